import { arr, num, obj, str, type Obj } from './json';

// The `thread.message.delta` events of a streamed run. A long answer streams thousands of them, so as
// one passes only its message id is read and the delta is held: from the raw body, as its JSON (parsed
// when the message's span is built, and only if recorded); from the SDK's Stream, as its text parts (the
// app's object itself changes later, as AssistantStream accumulates the message into it).

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
/** Delta JSON kept per stream past the recorded ones: the text of a message that never completes. */
const MAX_UNRECORDED_CHARS = 256 * 1024;

interface Part {
  index?: number;
  text: string;
}
/** A delta as held: its JSON, or its content parts. */
type Held = string | Part[];

interface Message {
  count: number;
  /** The first deltas, up to the cap: recorded (times, sizes and text). */
  recorded: Array<{ at: number; delta: Held }>;
  /** Later deltas, for their text only (content capture on): as JSON, up to MAX_UNRECORDED_CHARS per stream, */
  rest: string[];
  /** or, from the SDK's objects, their text itself, up to the content cap. */
  restText: string;
}

export class MessageDeltaLog {
  private readonly messages = new Map<string, Message>();
  private restChars = 0;

  /**
   * @param maxRecorded delta records kept per message (MAX_DELTA_EVENTS, or MAX_DELTA_SPANS)
   * @param content content capture: whether text is kept, and the longest text kept per message
   */
  constructor(
    private readonly maxRecorded: number,
    private readonly content: { enabled: boolean; maxLength: number },
  ) {}

  add(messageId: string, delta: string | Obj, at: number): void {
    let message = this.messages.get(messageId);
    if (!message) this.messages.set(messageId, (message = { count: 0, recorded: [], rest: [], restText: '' }));
    message.count++;
    if (message.recorded.length < this.maxRecorded) {
      message.recorded.push({ at, delta: typeof delta === 'string' ? delta : partsOf(delta) });
    } else if (!this.content.enabled) {
      // counted only
    } else if (typeof delta !== 'string') {
      if (message.restText.length < this.content.maxLength) message.restText += deltaText(delta);
    } else if (this.restChars + delta.length <= MAX_UNRECORDED_CHARS) {
      message.rest.push(delta);
      this.restChars += delta.length;
    }
  }

  /** How many deltas the message had. */
  count(messageId: string): number {
    return this.messages.get(messageId)?.count ?? 0;
  }

  /** The recorded deltas: one entry per content part; text only up to the content cap. */
  recorded(messageId: string): MessageDelta[] {
    const out: MessageDelta[] = [];
    let kept = 0;
    for (const { at, delta } of this.messages.get(messageId)?.recorded ?? []) {
      for (const part of parts(delta)) {
        const keep = this.content.enabled && kept < this.content.maxLength;
        if (keep) kept += part.text.length;
        out.push({ at, index: part.index ?? out.length, size: part.text.length, ...(keep ? { text: part.text } : {}) });
      }
    }
    return out;
  }

  /** The text of all held deltas joined (for a message whose completed object never came). */
  text(messageId: string): string | undefined {
    const message = this.messages.get(messageId);
    if (!message?.count || !this.content.enabled) return message?.count ? '' : undefined;
    let text = '';
    for (const delta of [...message.recorded.map((d) => d.delta), ...message.rest]) {
      for (const part of parts(delta)) text += part.text;
      if (text.length >= this.content.maxLength) return text;
    }
    return text + message.restText;
  }
}

function parts(delta: Held): Part[] {
  if (typeof delta !== 'string') return delta;
  try {
    return partsOf(obj(JSON.parse(delta)) ?? {});
  } catch {
    return []; // the SDK throws that at the app
  }
}

/** The text of a delta's content parts, joined (no part objects made: most of a stream takes this path). */
function deltaText(delta: Obj): string {
  let text = '';
  for (const raw of arr(obj(delta.delta)?.content)) {
    const value = obj(obj(raw)?.text)?.value;
    if (typeof value === 'string') text += value;
  }
  return text;
}

/** A delta's content parts: index and text (empty for a non-text part). */
function partsOf(delta: Obj): Part[] {
  return arr(obj(delta.delta)?.content).flatMap((raw) => {
    const p = obj(raw);
    return p ? [{ index: num(p.index), text: str(obj(p.text)?.value) ?? '' }] : [];
  });
}
