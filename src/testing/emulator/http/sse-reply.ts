import type { StreamFault } from './faults';
import type { SseWriter } from './sse-writer';

// SSE answers. A route returns an SseReply; the server opens the response and calls `write`. `pump`
// (used by the Responses and Chat streams; run streams have their own loop) writes a sequence of
// events and applies the stream faults (`injectFault`, which the run streams use too) after
// `fault.events` events.

/** One SSE event: `event: <name>` + `data:` line, or (name null) a `data:` line only, as chat streams frame them. */
export interface OutEvent {
  name: string | null;
  /** JSON-encoded unless `raw` (the `[DONE]` sentinel). */
  data: unknown;
  raw?: boolean;
}

export function encodeOut(e: OutEvent): Buffer {
  const data = e.raw ? String(e.data) : JSON.stringify(e.data);
  return encodeText(e.name, data);
}

function encodeText(name: string | null, data: string): Buffer {
  return Buffer.from(name === null ? `data: ${data}\n\n` : `event: ${name}\ndata: ${data}\n\n`, 'utf8');
}

export type Writer = (out: SseWriter, fault: StreamFault | null, onFault: (f: StreamFault) => void) => Promise<void>;

/** What a route returns to answer with SSE: the server opens the response, then calls `write`. */
export class SseReply {
  constructor(
    /** Seed parts of split chunking (e.g. the response id), so each stream cuts its own way. */
    readonly seedKey: ReadonlyArray<string | number>,
    readonly write: Writer,
  ) {}
}

export interface PumpOptions {
  fault: StreamFault | null;
  onFault: (f: StreamFault) => void;
  /** The event an `error-event` fault writes (it may depend on how many events went out). */
  errorEvent: (sent: number) => OutEvent;
}

/**
 * Writes the events `next` yields (null: no more; it may wait), then ends the response cleanly.
 * The fault, if any, takes the place of the event after the first `fault.events` ones (or of the end).
 */
export async function pump(out: SseWriter, next: () => Promise<OutEvent | null>, options: PumpOptions): Promise<void> {
  const { fault } = options;
  let sent = 0;
  for (;;) {
    if (out.closed) return;
    const event = await next();
    if (out.closed) return;
    if (fault && sent === fault.events) {
      options.onFault(fault);
      await injectFault(out, fault, event, options.errorEvent(sent));
      return;
    }
    if (!event) break;
    await out.send(encodeOut(event));
    sent++;
  }
  await out.end();
}

/**
 * Applies a stream fault in place of `next` (null: in place of the end): cut the connection (after half
 * of `next`'s bytes for cut-mid-event), end the response, write `errorEvent`, or write `next` with its
 * data cut in half. Shared by `pump` and the run streams.
 */
export async function injectFault(out: SseWriter, fault: StreamFault, next: OutEvent | null, errorEvent: OutEvent): Promise<void> {
  switch (fault.kind) {
    case 'cut-after':
      await out.cut();
      return;
    case 'cut-mid-event': {
      if (next) {
        const bytes = encodeOut(next);
        await out.send(bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2))));
        await out.flush();
      }
      await out.cut();
      return;
    }
    case 'truncate':
      await out.end();
      return;
    case 'error-event':
      await out.send(encodeOut(errorEvent));
      await out.end();
      return;
    case 'malformed-json': {
      if (next) {
        const data = next.raw ? String(next.data) : JSON.stringify(next.data);
        // Cut where the JSON (or the done sentinel) can't parse; a cut `[DONE]` is no longer the sentinel.
        await out.send(encodeText(next.name, data.slice(0, Math.max(1, Math.floor(data.length / 2)))));
      }
      await out.end();
      return;
    }
  }
}
