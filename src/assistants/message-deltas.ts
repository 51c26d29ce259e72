import { arr, num, obj, str, type Obj } from '../util/json';

// The `thread.message.delta` events of a streamed run: the first of each message recorded (time, index,
// size, text), the rest counted, and their text kept up to the content cap for a message whose completed
// object never comes. What is kept is read from the delta at once: the app's object changes afterwards,
// as AssistantStream accumulates the message into it.

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

interface Part {
  index?: number;
  text: string;
}

interface Message {
  count: number;
  /** The first deltas, up to the cap: their content parts. */
  recorded: Array<{ at: number; parts: Part[] }>;
  /** The text of the later ones (content capture on), up to the content cap. */
  restText: string;
}

export class MessageDeltaLog {
  private readonly messages = new Map<string, Message>();

  /**
   * @param maxRecorded delta records kept per message (MAX_DELTA_EVENTS, or MAX_DELTA_SPANS)
   * @param content content capture: whether text is kept, and the longest text kept per message
   */
  constructor(
    private readonly maxRecorded: number,
    private readonly content: { enabled: boolean; maxLength: number },
  ) {}

  add(messageId: string, delta: Obj, at: number): void {
    let message = this.messages.get(messageId);
    if (!message) this.messages.set(messageId, (message = { count: 0, recorded: [], restText: '' }));
    message.count++;
    if (message.recorded.length < this.maxRecorded) message.recorded.push({ at, parts: partsOf(delta) });
    else if (this.content.enabled && message.restText.length < this.content.maxLength) message.restText += deltaText(delta);
  }

  /** How many deltas the message had. */
  count(messageId: string): number {
    return this.messages.get(messageId)?.count ?? 0;
  }

  /** The recorded deltas: one entry per content part; text only up to the content cap. */
  recorded(messageId: string): MessageDelta[] {
    const out: MessageDelta[] = [];
    let kept = 0;
    for (const { at, parts } of this.messages.get(messageId)?.recorded ?? []) {
      for (const part of parts) {
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
    return message.recorded.map((d) => d.parts.map((p) => p.text).join('')).join('') + message.restText;
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
