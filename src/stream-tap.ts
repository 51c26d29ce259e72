import { wrapBody, type BodyTap } from './body-tap';
import { obj, type Obj } from './json';
import { isThenable, now } from './request-observer';
import { SSEDecoder, type SSEEvent } from './sse';
import { observeIterator } from './stream-iterator';

// A streaming response is observed one of two ways, never both:
// - through the SDK's own `Stream` (what `await client….create({stream: true})` resolves to): its
//   iterator is wrapped, so each event is seen as the SDK parsed it, with no second decode or parse.
//   This is how every SDK helper and app loop reads a stream (for await, AssistantStream, tee,
//   toReadableStream);
// - through the raw body, when the app takes the Response itself (`.asResponse()`) and no Stream is
//   made: the body is tapped and its bytes decoded (SSEDecoder) as the app reads them.
// Which one is settled when the body is first read: by then the Stream, if any, has been made.

/**
 * How a stream ended: 'done' ended cleanly (the body's `[DONE]` seen, or the SDK's iterator finished);
 * 'truncated' the body ended without `[DONE]`; 'aborted' the app stopped reading or aborted; 'error'.
 * A clean end before the stream's terminal event is for the sink to judge.
 */
export type StreamOutcome = 'done' | 'truncated' | 'aborted' | 'error';

/** What the tracker does with a stream it observes. Called synchronously as events pass. */
export interface StreamSink {
  /** An event of the raw body (its data unparsed). */
  event(event: SSEEvent, at: number): void;
  /**
   * An event as the SDK's Stream yields it to the app, named by its SSE event (Assistants) or its `type`
   * (Responses), else 'message' (chat chunks). `data` is the app's own object: read it now, keep copies.
   */
  item(name: string, data: Obj, at: number): void;
  /** Exactly once: the stream ended, was cancelled, or failed. */
  end(outcome: StreamOutcome, at: number, error?: unknown): void;
}

/** Per tapped Response: hands the observation over to the SDK's Stream made from it (see above). */
const taps = new WeakMap<object, (stream: unknown) => void>();

type Parser = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Wraps an APIPromise's parser (its own property in every major, which `_thenUnwrap`'s derived promises
 * call too) so a Stream it makes is handed to the stream observation before anyone can read it: the side
 * reaction on the parser's promise is registered before the SDK's own continuation.
 */
export function watchParse(promise: unknown, onError: (err: unknown) => void): void {
  try {
    const target = promise as { parseResponse?: unknown } | null;
    const parse = target?.parseResponse;
    if (typeof parse !== 'function') return;
    target!.parseResponse = function parseResponse(this: unknown, ...args: unknown[]) {
      const parsed = (parse as Parser).apply(this, args);
      // v4 passes (props), v5+ (client, props)
      adoptParsedStream(args[args.length - 1], parsed, onError);
      return parsed;
    };
  } catch (err) {
    onError(err);
  }
}

/**
 * The SDK parsed a response (`props`: `{ response, … }`) into `parsed`, a value or a promise of one. For a
 * tapped stream that is its Stream: observe the events from there if the body has not been read yet.
 */
export function adoptParsedStream(props: unknown, parsed: unknown, onError: (err: unknown) => void): void {
  const response = obj(obj(props)?.response);
  const adopt = response ? taps.get(response) : undefined;
  if (!adopt) return;
  const adoptSafely = (value: unknown): void => {
    try {
      adopt(value);
    } catch (err) {
      onError(err);
    }
  };
  if (isThenable(parsed)) parsed.then(adoptSafely, () => undefined);
  else adoptSafely(parsed);
}

/**
 * How a stream ended for the app. After an `error` event the SDK throws and aborts the request, and data
 * that does not parse makes it throw that SyntaxError: either way the stream failed, and the abort that
 * follows is not the cause.
 */
export function appOutcome(outcome: StreamOutcome, error: unknown, sawErrorEvent: boolean, malformed: unknown): [StreamOutcome, unknown] {
  if (sawErrorEvent) return ['error', undefined];
  if (malformed !== undefined) return ['error', malformed];
  return [outcome, error];
}

interface ResponseWithBody {
  body?: unknown;
}

/**
 * Observes a streaming response: registers it for `adoptParsedStream`, and wraps its body, lazily, the
 * first time anyone asks for it (the SDK passes it to its debug logger before it makes the Stream). The
 * consumer gets a stream of the same kind (web ReadableStream or Node Readable) yielding the very same
 * chunks, pulled on demand, so backpressure, cancellation and errors reach it as before; it is watched
 * only if reading starts before the SDK's Stream took over. A body nobody reads is never read.
 */
export function tapStream(response: object, sink: StreamSink): void {
  const target = response as ResponseWithBody;
  const descriptor = findProperty(response, 'body');
  const read = (): unknown => (descriptor?.get ? descriptor.get.call(response) : descriptor?.value);
  let wrapped: unknown;
  let ended = false;
  const decoder = new SSEDecoder();
  let sawDone = false;
  /** The source of the events, once settled: the SDK's Stream, or the body's bytes. */
  let viaStream = false;
  let viaBody = false;
  const finish = (outcome: StreamOutcome, error?: unknown): void => {
    if (ended) return;
    ended = true;
    if (viaStream) return sink.end(outcome, now(), error);
    if (outcome === 'done') for (const e of decoder.end()) deliver(e);
    sink.end(outcome === 'done' && !sawDone ? 'truncated' : outcome, now(), error);
  };
  const deliver = (e: SSEEvent): void => {
    if (e.event === 'done') sawDone = true;
    sink.event(e, now());
  };
  const failed = (err: unknown): void => finish(isAbort(err) ? 'aborted' : 'error', err);
  const body: BodyTap = {
    bypass: () => viaStream,
    reading: () => {
      viaBody = true;
    },
    observe: (chunk) => {
      if (ended || viaStream) return;
      viaBody = true;
      if (chunk instanceof Uint8Array || typeof chunk === 'string') for (const e of decoder.push(chunk)) deliver(e);
    },
    done: () => {
      if (!viaStream) finish('done');
    },
    failed: (err) => {
      if (!viaStream) failed(err);
    },
    cancelled: () => {
      if (!viaStream) finish('aborted');
    },
  };
  taps.set(response, (parsed) => {
    const stream = obj(parsed);
    if (viaStream || viaBody || ended || typeof stream?.iterator !== 'function') return;
    viaStream = true;
    stream.iterator = observeIterator(stream.iterator as () => AsyncIterator<unknown>, sink, finish, failed, () => {
      const signal = obj(stream.controller)?.signal;
      return obj(signal)?.aborted === true;
    });
  });
  let bodyGets = 0;
  Object.defineProperty(target, 'body', {
    configurable: true,
    enumerable: descriptor?.enumerable ?? false,
    get() {
      bodyGets++;
      if (wrapped === undefined) {
        const original = read();
        wrapped = original ? wrapBody(original, body) : original;
        if (!original) finish('truncated');
      }
      return wrapped;
    },
  });
  // An app that reads the raw Response whole (`.asResponse()` then text()): fetch reads its body past the
  // getter above, so the whole text is observed when it arrives. (node-fetch reads it through the getter.)
  for (const method of ['text', 'arrayBuffer'] as const) {
    const original = (response as Record<string, unknown>)[method];
    if (typeof original !== 'function') continue;
    Object.defineProperty(target, method, {
      configurable: true,
      writable: true,
      enumerable: false,
      value: function readWhole(this: unknown, ...args: unknown[]) {
        const gets = bodyGets;
        const pending = (original as (...a: unknown[]) => Promise<unknown>).apply(this, args);
        if (gets === bodyGets && !viaStream && !viaBody && !ended && isThenable(pending)) {
          body.reading();
          pending.then((value) => {
            try {
              body.observe(value instanceof ArrayBuffer ? new Uint8Array(value) : value);
            } finally {
              body.done();
            }
          }, body.failed);
        }
        return pending;
      },
    });
  }
}

function isAbort(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  return name === 'AbortError' || name === 'APIUserAbortError';
}

function findProperty(obj: object, key: string): PropertyDescriptor | undefined {
  for (let o: object | null = obj; o; o = Object.getPrototypeOf(o)) {
    const d = Object.getOwnPropertyDescriptor(o, key);
    if (d) return d;
  }
  return undefined;
}
