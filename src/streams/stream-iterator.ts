import { obj, str, type Obj } from '../util/json';
import { now } from '../util/clock';
import type { StreamOutcome, StreamSink } from './stream-tap';

// The SDK side of stream observation (stream-tap.ts): the iterator of the Stream the SDK parsed a
// response into, watched as the app pulls from it.

/**
 * Wraps a Stream's iterator factory: the first iteration read from (the SDK allows one; tee() shares it) is
 * watched by a side reaction on each `next()` promise, so the consumer gets the very same promises and
 * values, in the same order. Events go to the sink as the SDK yields them; a finished iteration is
 * 'done' unless the request was aborted (the SDK ends quietly then), `return()` (break) is 'aborted'.
 */
export function observeIterator(
  factory: () => AsyncIterator<unknown>,
  sink: StreamSink,
  finish: (outcome: StreamOutcome, error?: unknown) => void,
  failed: (err: unknown) => void,
  aborted: () => boolean,
): () => AsyncIterator<unknown> {
  const onResult = (r: IteratorResult<unknown>): void => {
    if (r.done) return finish(aborted() ? 'aborted' : 'done');
    const v = obj(r.value);
    if (!v) return;
    // Assistants events come as { event, data }; Responses events and chat chunks as the data itself.
    const named = typeof v.event === 'string' && 'data' in v;
    const data = named ? obj(v.data) : v;
    if (data) sink.item(named ? (v.event as string) : (str(v.type) ?? 'message'), data, now());
  };
  const onError = (err: unknown): void => {
    const event = errorEventData(err);
    if (event) sink.item('error', event, now());
    failed(err);
  };
  // The iteration observed is the first one read from: an app may make an iterator it never uses.
  let owner: object | undefined;
  const owns = (wrapper: object): boolean => (owner ??= wrapper) === wrapper;
  return function iterator(this: unknown, ...args: unknown[]): AsyncIterator<unknown> {
    const it = (factory as (...a: unknown[]) => AsyncIterator<unknown>).apply(this, args);
    if (owner) return it;
    const wrapper: AsyncIterator<unknown> & AsyncIterable<unknown> = {
      next: (...a: [] | [unknown]) => {
        const p = it.next(...a);
        if (owns(wrapper)) p.then(onResult, onError);
        return p;
      },
      return: (value?: unknown) => {
        if (owns(wrapper)) finish('aborted');
        return it.return ? it.return(value) : Promise.resolve({ done: true, value });
      },
      throw: (err?: unknown) => (it.throw ? it.throw(err) : Promise.reject(err)),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    return wrapper;
  };
}

/**
 * An `error` event or chunk makes the SDK throw an APIError built from its data (no HTTP status: the
 * response itself succeeded). Its `error` object is the event's, for the sink to record.
 */
function errorEventData(err: unknown): Obj | undefined {
  const e = obj(err);
  const error = obj(e?.error);
  return error && e?.status === undefined ? { error } : undefined;
}
