import { arr, num, obj, str } from './json';

// The `thread.message.delta` events of a streamed run, held as their raw JSON. A long answer streams
// thousands of them, and parsing each one as it passed cost more than the rest of the stream observation
// together (the SDK parses it too). So only the message id is read as a delta passes (RunStreamSink);
// the deltas are parsed when the message's span is built, and only those that are recorded.

export interface MessageDelta {
  at: number;
  index: number;
  size: number;
  text?: string;
}

/**
 * Delta span events recorded per message: the OTel SDK's default span event limit (past it the SDK drops
 * the oldest events, after they were built). The rest are counted (`openai.message.delta.count`).
 */
export const MAX_DELTA_EVENTS = 128;
/** Per message with `messageDeltaSpans` (one child span per delta). */
export const MAX_DELTA_SPANS = 10_000;
/** Raw delta JSON kept per stream past the recorded ones: the text of a message that never completes. */
const MAX_UNRECORDED_CHARS = 256 * 1024;

interface Held {
  count: number;
  /** The first deltas, up to the cap: recorded (times, sizes and text). */
  recorded: Array<{ at: number; raw: string }>;
  /** Later deltas' raw JSON (content capture on, up to MAX_UNRECORDED_CHARS per stream): text only. */
  rest: string[];
}

export class MessageDeltaLog {
  private readonly messages = new Map<string, Held>();
  private restChars = 0;

  /**
   * @param maxRecorded delta records kept per message (MAX_DELTA_EVENTS, or MAX_DELTA_SPANS)
   * @param content content capture: whether text is kept, and the longest text kept per message
   */
  constructor(
    private readonly maxRecorded: number,
    private readonly content: { enabled: boolean; maxLength: number },
  ) {}

  add(messageId: string, raw: string, at: number): void {
    let held = this.messages.get(messageId);
    if (!held) this.messages.set(messageId, (held = { count: 0, recorded: [], rest: [] }));
    held.count++;
    if (held.recorded.length < this.maxRecorded) held.recorded.push({ at, raw });
    else if (this.content.enabled && this.restChars + raw.length <= MAX_UNRECORDED_CHARS) {
      held.rest.push(raw);
      this.restChars += raw.length;
    }
  }

  /** How many deltas the message had. */
  count(messageId: string): number {
    return this.messages.get(messageId)?.count ?? 0;
  }

  /** The recorded deltas, parsed: one entry per content part; text only up to the content cap. */
  recorded(messageId: string): MessageDelta[] {
    const out: MessageDelta[] = [];
    let kept = 0;
    for (const { at, raw } of this.messages.get(messageId)?.recorded ?? []) {
      for (const part of parts(raw)) {
        const text = str(obj(part.text)?.value) ?? '';
        const keep = this.content.enabled && kept < this.content.maxLength;
        if (keep) kept += text.length;
        out.push({ at, index: num(part.index) ?? out.length, size: text.length, ...(keep ? { text } : {}) });
      }
    }
    return out;
  }

  /** The text of all held deltas joined (for a message whose completed object never came). */
  text(messageId: string): string | undefined {
    const held = this.messages.get(messageId);
    if (!held?.count || !this.content.enabled) return held?.count ? '' : undefined;
    let text = '';
    for (const raw of [...held.recorded.map((d) => d.raw), ...held.rest]) {
      for (const part of parts(raw)) text += str(obj(part.text)?.value) ?? '';
      if (text.length >= this.content.maxLength) break;
    }
    return text;
  }
}

/** The content parts of a raw delta ([] when it does not parse: the SDK throws that at the app). */
function parts(raw: string): Array<Record<string, unknown>> {
  let delta: unknown;
  try {
    delta = JSON.parse(raw);
  } catch {
    return [];
  }
  return arr(obj(obj(delta)?.delta)?.content)
    .map(obj)
    .filter((p): p is Record<string, unknown> => p !== undefined);
}
