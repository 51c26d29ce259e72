import { PassThrough, type Readable } from 'node:stream';

// The raw-body side of stream observation (stream-tap.ts): a streaming Response's body wrapped so that
// the reads of whoever consumes it are watched, with the very same chunks, backpressure and errors.

/** What a tapped body reports; `bypass()` says the body goes to its reader unwatched. */
export interface BodyTap {
  bypass(): boolean;
  /** A watched read of the body began: the body is the source from now on. */
  reading(): void;
  observe(chunk: unknown): void;
  done(): void;
  failed(err: unknown): void;
  cancelled(): void;
}

/**
 * Wraps a body: a web ReadableStream is watched in place (tapWebStream), a Node Readable (node-fetch, openai
 * 4) through a PassThrough.
 */
export function wrapBody(original: unknown, tap: BodyTap): unknown {
  if (typeof (original as ReadableStream).getReader === 'function') return tapWebStream(original as ReadableStream<Uint8Array>, tap);
  if (typeof (original as Readable).pipe === 'function') {
    // openai 4 on Node uses node-fetch, whose body is a Node stream.
    const source = original as Readable;
    const out = new PassThrough({ highWaterMark: source.readableHighWaterMark });
    // Flows once the body is first asked for; write() backpressure pauses the source.
    source.on('data', (chunk: unknown) => {
      tap.observe(chunk);
      if (!out.write(chunk)) source.pause();
    });
    out.on('drain', () => source.resume());
    source.once('end', () => {
      tap.done();
      out.end();
    });
    source.once('error', (err) => {
      tap.failed(err);
      out.destroy(err);
    });
    // node-fetch reports a premature close by emitting 'error' on `response.body`, which is this stream.
    out.once('error', (err) => tap.failed(err));
    out.once('close', () => {
      if (!source.destroyed && !source.readableEnded) {
        tap.cancelled();
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
function tapWebStream(stream: ReadableStream<Uint8Array>, tap: BodyTap): ReadableStream<Uint8Array> {
  const onResult = (r: ReadResult): void => {
    if (r.done) tap.done();
    else tap.observe(r.value);
  };
  const onError = (err: unknown): void => tap.failed(err);
  const watch = <R extends ReadResult>(p: Promise<R>): Promise<R> => {
    p.then(onResult, onError);
    return p;
  };
  const proto = Object.getPrototypeOf(stream) as ReadableStream<Uint8Array> & Record<PropertyKey, unknown>;
  let copy: ReadableStream<Uint8Array> | undefined;
  const pulled = (): ReadableStream<Uint8Array> => {
    tap.reading();
    return (copy ??= pulledCopy(proto.getReader.call(stream) as ReadableStreamDefaultReader<Uint8Array>, tap));
  };
  const own = (name: PropertyKey, value: unknown): void => {
    Object.defineProperty(stream, name, { configurable: true, writable: true, enumerable: false, value });
  };
  own('getReader', function getReader(options?: { mode?: string }) {
    // The SDK's Stream is observed instead: the body is read as it is.
    if (tap.bypass()) return (proto.getReader as (o?: unknown) => unknown).call(stream, options);
    if (options?.mode === 'byob') return pulled().getReader(options as { mode: 'byob' });
    tap.reading();
    return watchReader(stream, proto.getReader.call(stream) as ReadableStreamDefaultReader<Uint8Array>, tap, watch);
  });
  const values = function values(options?: { preventCancel?: boolean }): AsyncIterableIterator<Uint8Array> {
    const it = (proto.values as (o?: unknown) => AsyncIterableIterator<Uint8Array>).call(stream, options);
    if (tap.bypass()) return it;
    tap.reading();
    return {
      next: () => watch(it.next()),
      return: (value?: unknown) => {
        // Leaving the loop cancels the stream (unless preventCancel keeps it readable).
        if (!options?.preventCancel) tap.cancelled();
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
    if (!stream.locked) tap.cancelled(); // a locked stream refuses the cancel
    return proto.cancel.call(stream, reason);
  });
  // Through the stream's own method when it is not watched (its own property here is this wrapper).
  const via =
    (name: 'pipeTo' | 'pipeThrough' | 'tee') =>
    (...args: unknown[]): unknown =>
      tap.bypass() ? (proto[name] as (...a: unknown[]) => unknown).apply(stream, args) : (pulled()[name] as (...a: unknown[]) => unknown)(...args);
  own('pipeTo', via('pipeTo'));
  own('pipeThrough', via('pipeThrough'));
  own('tee', via('tee'));
  return stream;
}

/** A default reader of the tapped stream whose reads are watched; its cancel marks the end a cancel. */
function watchReader(
  stream: ReadableStream<Uint8Array>,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  tap: BodyTap,
  watch: <R extends ReadResult>(p: Promise<R>) => Promise<R>,
): ReadableStreamDefaultReader<Uint8Array> {
  const read = reader.read;
  const cancel = reader.cancel;
  Object.defineProperty(reader, 'read', { configurable: true, writable: true, value: () => watch(read.call(reader)) });
  Object.defineProperty(reader, 'cancel', {
    configurable: true,
    writable: true,
    value: (reason?: unknown) => {
      // The pending read resolves as done when the cancel lands: mark the end as a cancel first.
      if (stream.locked) tap.cancelled();
      return cancel.call(reader, reason);
    },
  });
  return reader;
}

/** A copy of the stream, pulled chunk by chunk from `reader` (for consumers that bypass readers). */
function pulledCopy(reader: ReadableStreamDefaultReader<Uint8Array>, tap: BodyTap): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (err) {
          tap.failed(err);
          throw err;
        }
        if (result.done) {
          tap.done();
          controller.close();
          return;
        }
        tap.observe(result.value);
        controller.enqueue(result.value);
      },
      cancel(reason) {
        tap.cancelled();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
