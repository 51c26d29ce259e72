import { obj } from '../util/json';

// The SDK turns every response into what the app gets through one parser per APIPromise
// (`parseResponse`), called only when someone awaits it. Whoever observes a Response (its stream tap,
// its body tap) learns from here what the SDK made of it: a streaming call's `Stream`, or a JSON call's
// parsed body, which then need not be read or parsed a second time.

/** Told, synchronously when the SDK starts parsing, what its parser returned (a value or a promise of one). */
export type ParseWatcher = (parsed: unknown, onError: (err: unknown) => void) => void;

/** By Response object: the one observation of it that wants the SDK's parse. */
const watchers = new WeakMap<object, ParseWatcher>();

export function onSdkParse(response: object, watcher: ParseWatcher): void {
  watchers.set(response, watcher);
}

type Parser = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Wraps an APIPromise's parser (its own property in every major) so the Response's watcher hears of the
 * parse before anyone can read the result: the side reaction on the parser's promise is registered before
 * the SDK's own continuation. Promises derived with `_thenUnwrap` (responses.create, …) call that parser in
 * v4–v6; openai 7 gives each promise its own `_thenUnwrap`, whose derived promise parses past it: that one
 * is watched in turn.
 */
export function watchParse(promise: unknown, onError: (err: unknown) => void): void {
  try {
    const target = promise as { parseResponse?: unknown; _thenUnwrap?: unknown } | null;
    const parse = target?.parseResponse;
    if (typeof parse !== 'function') return;
    target!.parseResponse = function parseResponse(this: unknown, ...args: unknown[]) {
      const parsed = (parse as Parser).apply(this, args);
      // v4 passes (props), v5+ (client, props)
      sdkParsed(args[args.length - 1], parsed, onError);
      return parsed;
    };
    const unwrap = target!._thenUnwrap;
    if (typeof unwrap === 'function' && Object.prototype.hasOwnProperty.call(target, '_thenUnwrap')) {
      target!._thenUnwrap = function _thenUnwrap(this: unknown, ...args: unknown[]) {
        const derived = (unwrap as Parser).apply(this, args);
        watchParse(derived, onError);
        return derived;
      };
    }
  } catch (err) {
    onError(err);
  }
}

/** The SDK parsed a response (`props`: `{ response, … }`) into `parsed`: its watcher, if any, is told. */
export function sdkParsed(props: unknown, parsed: unknown, onError: (err: unknown) => void): void {
  try {
    const response = obj(obj(props)?.response);
    const watcher = response ? watchers.get(response) : undefined;
    watcher?.(parsed, onError);
  } catch (err) {
    onError(err);
  }
}
