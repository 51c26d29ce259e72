import { wrapBody, type BodyTap } from './body-tap';
import { obj, type Obj } from '../util/json';
import { now } from '../util/clock';
import { isThenable } from '../util/thenable';
import { SSEDecoder, type SSEEvent } from './sse';
import { observeIterator } from './stream-iterator';
import { onSdkParse } from './sdk-parse';

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
 * 'truncated' the body ended without `[DONE]`; 'aborted' the app stopped reading or aborted; 'error';
 * 'abandoned' the app dropped the stream unfinished (never read, or left mid-way without `break`);
 * 'shutdown' the instrumentation was disabled while it was open.
 * A clean end before the stream's terminal event is for the sink to judge.
 */
export type StreamOutcome = 'done' | 'truncated' | 'aborted' | 'error' | 'abandoned' | 'shutdown';

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

/** An object the app can still read a stream through, as `dropped` holds it: the stream's end. */
interface Holder {
  readonly end: StreamEnd;
}

/**
 * The sink of one stream as the taps see it: ended exactly once (nothing passes after that), never
 * throwing into the stream the app is reading, and remembering the time of the last thing it saw. It
 * holds nothing of the Response, so it can be the held value of `dropped` below.
 */
class StreamEnd implements StreamSink {
  ended = false;
  /** The objects the app can still read the stream through, while they live (see `dropped`). */
  private readonly holders = new Set<Holder>();

  constructor(
    private readonly sink: StreamSink,
    public last: number,
    /** Whose stream it is (the instrumentation), for endOpenStreams. */
    readonly owner: object,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** The stream can be read through `target` while it lives. */
  watch(target: object): Holder {
    const holder: Holder = { end: this };
    this.holders.add(holder);
    dropped.register(target, holder, holder);
    return holder;
  }

  /** The stream can no longer be read through `holder`'s object (collected, or not the source). */
  release(holder: Holder): void {
    if (!this.holders.delete(holder)) return;
    dropped.unregister(holder);
    if (this.holders.size === 0) this.end('abandoned', this.last);
  }

  // Only the body's decoding calls this, and it stops at the end (StreamObservation.observe).
  event(e: SSEEvent, at: number): void {
    this.last = at;
    try {
      this.sink.event(e, at);
    } catch (err) {
      this.onError(err);
    }
  }

  // A `next()` the app made before it broke off can still resolve after the end.
  item(name: string, data: Obj, at: number): void {
    if (this.ended) return;
    this.last = at;
    try {
      this.sink.item(name, data, at);
    } catch (err) {
      this.onError(err);
    }
  }

  end(outcome: StreamOutcome, at: number, error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    for (const h of this.holders) dropped.unregister(h);
    this.holders.clear();
    open.delete(this);
    try {
      this.sink.end(outcome, at, error);
    } catch (err) {
      this.onError(err);
    }
  }
}

/**
 * A stream observed somewhere else than in a Response (a response over a WebSocket): the returned sink
 * ends `sink` exactly once, never throws, and is ended 'shutdown' by `endOpenStreams` while open.
 */
export function openStream(sink: StreamSink, owner: object, onError: (err: unknown) => void): StreamSink {
  const end = new StreamEnd(sink, now(), owner, onError);
  open.add(end);
  return end;
}

/** Streams not ended yet, for `endOpenStreams`. */
const open = new Set<StreamEnd>();

/** `owner` (an instrumentation) is being disabled: every stream of its still open ends now, 'shutdown'. */
export function endOpenStreams(owner: object): void {
  for (const s of [...open]) if (s.owner === owner) s.end('shutdown', now());
}

/**
 * A stream the app dropped before it ended would otherwise leave its span open (and the call unreported)
 * forever: once everything it can be read through is garbage-collected (its Response; its body too, when
 * the app reads the raw body, which it can hold without the Response), it ends 'abandoned', at the last
 * event it saw (or when its headers came). A timeout would misreport a slow reader; collection cannot.
 */
const dropped = new FinalizationRegistry<Holder>((holder) => holder.end.release(holder));

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

/**
 * One tapped stream's observation: which source it settled on, the body's SSE decoding, and its end. It
 * holds nothing of the Response: the body's reader (held by the request's abort signal while the
 * connection lives, in openai 7) reaches it, and through it the Response would never be collected.
 */
class StreamObservation implements BodyTap {
  private readonly decoder = new SSEDecoder();
  private sawDone = false;
  /** The source of the events, once settled: the SDK's Stream, or the body's bytes. */
  private viaStream = false;
  private viaBody = false;
  /** The body, while it may be what the app reads (until the SDK's Stream takes over). */
  private body?: Holder;

  constructor(readonly sink: StreamEnd) {}

  /** Nothing read yet, by either source. */
  get untouched(): boolean {
    return !this.viaStream && !this.viaBody && !this.sink.ended;
  }

  finish(outcome: StreamOutcome, error?: unknown): void {
    if (this.sink.ended) return;
    if (this.viaStream) return this.sink.end(outcome, now(), error);
    this.sink.end(outcome === 'done' && !this.sawDone ? 'truncated' : outcome, now(), error);
  }

  private deliver(e: SSEEvent): void {
    if (e.event === 'done') this.sawDone = true;
    this.sink.event(e, now());
  }

  private fail(err: unknown): void {
    this.finish(isAbort(err) ? 'aborted' : 'error', err);
  }

  /**
   * The body was handed out: an app reading it raw may keep only the body (or its reader), so the stream
   * lives while the body does, unless the SDK's Stream reads it (that holds the Response itself).
   */
  bodyGiven(body: object): void {
    if (!this.viaStream && !this.sink.ended) this.body = this.sink.watch(body);
  }

  /** The SDK made a Stream of the response: observe its iterator, unless the body is the source already. */
  adopt(parsed: unknown): void {
    const stream = obj(parsed);
    if (!this.untouched || typeof stream?.iterator !== 'function') return;
    this.viaStream = true;
    // Held by the request's abort signal while the connection lives (openai 7), the body would keep a
    // dropped Stream's span open: the Response alone says whether the app can still read it.
    if (this.body) this.sink.release(this.body);
    stream.iterator = observeIterator(
      stream.iterator as () => AsyncIterator<unknown>,
      this.sink,
      (outcome, error) => this.finish(outcome, error),
      (err) => this.fail(err),
      () => obj(obj(stream.controller)?.signal)?.aborted === true,
    );
  }

  // BodyTap: the raw body's bytes, when they are the source.
  bypass(): boolean {
    return this.viaStream;
  }

  reading(): void {
    this.viaBody = true;
  }

  observe(chunk: unknown): void {
    if (this.sink.ended || this.viaStream) return;
    this.viaBody = true;
    if (chunk instanceof Uint8Array || typeof chunk === 'string') for (const e of this.decoder.push(chunk)) this.deliver(e);
  }

  done(): void {
    if (!this.viaStream) this.finish('done');
  }

  failed(err: unknown): void {
    if (!this.viaStream) this.fail(err);
  }

  cancelled(): void {
    if (!this.viaStream) this.finish('aborted');
  }
}

interface ResponseWithBody {
  body?: unknown;
}

/**
 * Observes a streaming response: registers it for the SDK's parse (sdk-parse.ts), and wraps its body, lazily, the
 * first time anyone asks for it (the SDK passes it to its debug logger before it makes the Stream). The
 * consumer gets a stream of the same kind (web ReadableStream or Node Readable) yielding the very same
 * chunks, pulled on demand, so backpressure, cancellation and errors reach it as before; it is watched
 * only if reading starts before the SDK's Stream took over. A body nobody reads is never read.
 */
export function tapStream(response: object, sink: StreamSink, owner: object, onError: (err: unknown) => void): void {
  const end = new StreamEnd(sink, now(), owner, onError);
  end.watch(response);
  open.add(end);
  observeResponse(response, new StreamObservation(end));
}

/** The Response's side of the tap; only these closures (on the Response itself) hold it. */
function observeResponse(response: object, tap: StreamObservation): void {
  const target = response as ResponseWithBody;
  const descriptor = findProperty(response, 'body');
  let wrapped: unknown;
  // The SDK's Stream made from it is handed to the observation (see above).
  onSdkParse(response, (parsed, onError) => {
    const adoptSafely = (value: unknown): void => {
      try {
        tap.adopt(value);
      } catch (err) {
        onError(err);
      }
    };
    if (isThenable(parsed)) parsed.then(adoptSafely, () => undefined);
    else adoptSafely(parsed);
  });
  let bodyGets = 0;
  Object.defineProperty(target, 'body', {
    configurable: true,
    enumerable: descriptor?.enumerable ?? false,
    get() {
      bodyGets++;
      if (wrapped === undefined) {
        const original: unknown = descriptor?.get ? descriptor.get.call(response) : descriptor?.value;
        wrapped = original ? wrapBody(original, tap) : original;
        if (!original) tap.finish('truncated');
        else tap.bodyGiven(wrapped as object);
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
        if (gets === bodyGets && tap.untouched && isThenable(pending)) {
          tap.reading();
          pending.then(
            (value) => {
              // Whoever awaits text() may hold only its promise: the Response lives until the text is in.
              void response;
              try {
                tap.observe(value instanceof ArrayBuffer ? new Uint8Array(value) : value);
              } finally {
                tap.done();
              }
            },
            (err: unknown) => tap.failed(err),
          );
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
