import { PassThrough, type Readable } from 'node:stream';
import { SSEDecoder, type SSEEvent } from './sse';
import { now } from './request-observer';

export type StreamOutcome = 'done' | 'truncated' | 'aborted' | 'error';

/** What the tracker does with a stream it observes. Called synchronously as chunks pass. */
export interface StreamSink {
  event(event: SSEEvent, at: number): void;
  /** Exactly once: the stream ended (`done` event seen or not), was cancelled, or failed. */
  end(outcome: StreamOutcome, at: number, error?: unknown): void;
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
 * Observes a streaming response by wrapping its body, lazily, the first time the SDK (or the app,
 * after `.asResponse()`) asks for it: the consumer gets a stream of the same kind (web ReadableStream
 * or Node Readable) yielding the very same chunks, pulled on demand, so backpressure, cancellation and
 * errors reach it as before. A body nobody reads is never read.
 */
export function tapStream(response: object, sink: StreamSink): void {
  const target = response as ResponseWithBody;
  const descriptor = findProperty(response, 'body');
  const read = (): unknown => (descriptor?.get ? descriptor.get.call(response) : descriptor?.value);
  let wrapped: unknown;
  let ended = false;
  const decoder = new SSEDecoder();
  let sawDone = false;
  const finish = (outcome: StreamOutcome, error?: unknown): void => {
    if (ended) return;
    ended = true;
    if (outcome === 'done') for (const e of decoder.end()) deliver(e);
    sink.end(outcome === 'done' && !sawDone ? 'truncated' : outcome, now(), error);
  };
  const deliver = (e: SSEEvent): void => {
    if (e.event === 'done') sawDone = true;
    sink.event(e, now());
  };
  const observe = (chunk: unknown): void => {
    if (ended) return;
    if (chunk instanceof Uint8Array || typeof chunk === 'string') for (const e of decoder.push(chunk)) deliver(e);
  };
  const failed = (err: unknown): void => finish(isAbort(err) ? 'aborted' : 'error', err);
  Object.defineProperty(target, 'body', {
    configurable: true,
    enumerable: descriptor?.enumerable ?? false,
    get() {
      if (wrapped === undefined) {
        const original = read();
        wrapped = original ? wrapBody(original, observe, () => finish('done'), failed, () => finish('aborted')) : original;
        if (!original) finish('truncated');
      }
      return wrapped;
    },
  });
}

function wrapBody(
  original: unknown,
  observe: (chunk: unknown) => void,
  done: () => void,
  failed: (err: unknown) => void,
  cancelled: () => void,
): unknown {
  if (typeof (original as ReadableStream).getReader === 'function') {
    return tapWebStream(original as ReadableStream<Uint8Array>, observe, done, failed, cancelled);
  }
  if (typeof (original as Readable).pipe === 'function') {
    // openai 4 on Node uses node-fetch, whose body is a Node stream.
    const source = original as Readable;
    const out = new PassThrough({ highWaterMark: source.readableHighWaterMark });
    // Flows once the body is first asked for; write() backpressure pauses the source.
    source.on('data', (chunk: unknown) => {
      observe(chunk);
      if (!out.write(chunk)) source.pause();
    });
    out.on('drain', () => source.resume());
    source.once('end', () => {
      done();
      out.end();
    });
    source.once('error', (err) => {
      failed(err);
      out.destroy(err);
    });
    // node-fetch reports a premature close by emitting 'error' on `response.body`, which is this stream.
    out.once('error', (err) => failed(err));
    out.once('close', () => {
      if (!source.destroyed && !source.readableEnded) {
        cancelled();
        source.destroy();
      }
    });
    return out;
  }
  return original;
}

type ReadResult = ReadableStreamReadResult<Uint8Array> | IteratorResult<Uint8Array>;

/**
 * Observes a web ReadableStream in place: the consumer keeps the very stream object, and each read it
 * makes (through a reader or async iteration, the SDK's way) is watched by a side reaction on the same
 * promise, so no copy of the stream and no extra promise hop stands between the bytes and the SDK.
 * pipeTo / pipeThrough / tee read the stream internally, past any reader: for those, and for BYOB
 * readers, the consumer gets a pulled copy instead (`pulledCopy`).
 */
function tapWebStream(
  stream: ReadableStream<Uint8Array>,
  observe: (chunk: unknown) => void,
  done: () => void,
  failed: (err: unknown) => void,
  cancelled: () => void,
): ReadableStream<Uint8Array> {
  const onResult = (r: ReadResult): void => {
    if (r.done) done();
    else observe(r.value);
  };
  const watch = <R extends ReadResult>(p: Promise<R>): Promise<R> => {
    p.then(onResult, failed);
    return p;
  };
  const proto = Object.getPrototypeOf(stream) as ReadableStream<Uint8Array> & Record<PropertyKey, unknown>;
  let copy: ReadableStream<Uint8Array> | undefined;
  const pulled = (): ReadableStream<Uint8Array> => (copy ??= pulledCopy(proto.getReader.call(stream) as ReadableStreamDefaultReader<Uint8Array>, observe, done, failed, cancelled));
  const own = (name: PropertyKey, value: unknown): void => {
    Object.defineProperty(stream, name, { configurable: true, writable: true, enumerable: false, value });
  };
  own('getReader', function getReader(options?: { mode?: string }) {
    if (options?.mode === 'byob') return pulled().getReader(options as { mode: 'byob' });
    const reader = proto.getReader.call(stream) as ReadableStreamDefaultReader<Uint8Array>;
    const read = reader.read;
    const cancel = reader.cancel;
    Object.defineProperty(reader, 'read', { configurable: true, writable: true, value: () => watch(read.call(reader)) });
    Object.defineProperty(reader, 'cancel', {
      configurable: true,
      writable: true,
      value: (reason?: unknown) => {
        // The pending read resolves as done when the cancel lands: mark the end as a cancel first.
        if (stream.locked) cancelled();
        return cancel.call(reader, reason);
      },
    });
    return reader;
  });
  const values = function values(options?: { preventCancel?: boolean }): AsyncIterableIterator<Uint8Array> {
    const it = (proto.values as (o?: unknown) => AsyncIterableIterator<Uint8Array>).call(stream, options);
    return {
      next: () => watch(it.next()),
      return: (value?: unknown) => {
        // Leaving the loop cancels the stream (unless preventCancel keeps it readable).
        if (!options?.preventCancel) cancelled();
        return it.return ? it.return(value) : Promise.resolve({ done: true, value: undefined });
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  };
  own('values', values);
  own(Symbol.asyncIterator, values);
  own('cancel', (reason?: unknown) => {
    if (!stream.locked) cancelled(); // a locked stream refuses the cancel
    return proto.cancel.call(stream, reason);
  });
  own('pipeTo', (...args: unknown[]) => (pulled().pipeTo as (...a: unknown[]) => unknown)(...args));
  own('pipeThrough', (...args: unknown[]) => (pulled().pipeThrough as (...a: unknown[]) => unknown)(...args));
  own('tee', () => pulled().tee());
  return stream;
}

/** A copy of the stream, pulled chunk by chunk from `reader` (for consumers that bypass readers). */
function pulledCopy(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  observe: (chunk: unknown) => void,
  done: () => void,
  failed: (err: unknown) => void,
  cancelled: () => void,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (err) {
          failed(err);
          throw err;
        }
        if (result.done) {
          done();
          controller.close();
          return;
        }
        observe(result.value);
        controller.enqueue(result.value);
      },
      cancel(reason) {
        cancelled();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
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
