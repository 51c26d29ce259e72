import { context } from '@opentelemetry/api';
import type { ClientLike, ObservedCall, RequestOptionsLike } from '../calls/observed-call';
import { tapStream, type StreamSink } from '../streams/stream-tap';
import { onSdkParse } from '../streams/sdk-parse';
import { now } from '../util/clock';
import { isThenable } from '../util/thenable';

interface ResponsePropsLike {
  response?: ResponseLike;
  options?: RequestOptionsLike;
}

interface ResponseLike {
  status?: number;
  headers?: { get(name: string): string | null };
  json?: () => Promise<unknown>;
  text?: () => Promise<string>;
}

/** How long a response body may stay unread before the call is reported without it. */
const BODY_WAIT_MS = 5000;
/** Bodies larger than this are not parsed a second time (v7 reads text and parses it itself). */
const MAX_PARSE_CHARS = 16 * 1024 * 1024;

/**
 * Runs `invoke` (the original makeRequest) and observes its outcome without changing it: the promise
 * the SDK gets settles with the same value or error, one microtask later. The body is observed lazily,
 * by tapping the Response's json()/text() for the one read the SDK does when the app asks for data;
 * a body nobody reads is never read. `done` is called exactly once per call, and never throws out.
 */
export interface CallHandlers {
  /** The call's outcome (response and body, or error); exactly once. */
  done(call: ObservedCall): void;
  /** For a streaming response: a sink for its events, or undefined to report it like any call. */
  stream(call: ObservedCall): StreamSink | undefined;
  internalError(err: unknown): void;
  /** Whose calls these are (the instrumentation): its open streams end when it is disabled. */
  owner: object;
  /** Places a new call, in the caller's async context (an agent framework's span may be its parent). */
  place?(call: ObservedCall): void;
}

export function observeRequest<T>(client: ClientLike, optionsInput: unknown, invoke: () => Promise<T>, handlers: CallHandlers): Promise<T> {
  const onInternalError = handlers.internalError;
  let call: ObservedCall | undefined;
  try {
    call = { client, ambient: context.active(), startTime: now(), endTime: 0, bodyRead: false, stream: false };
    handlers.place?.(call);
    // openai 5+ passes the options as a promise; a response carries them again (props.options), so only a
    // failed call needs them from here (see the rejection handler below).
    if (!isThenable(optionsInput)) call.options = optionsInput as RequestOptionsLike;
  } catch (err) {
    onInternalError(err);
    call = undefined;
  }
  const result = invoke();
  if (!call) return result;
  const c = call;
  let reported = false;
  const report = (): void => {
    if (reported) return;
    reported = true;
    try {
      handlers.done(c);
    } catch (err) {
      onInternalError(err);
    }
  };
  return result.then(
    (props) => {
      try {
        onResponse(c, props as ResponsePropsLike, report, handlers);
      } catch (err) {
        onInternalError(err);
        report();
      }
      return props;
    },
    (err: unknown) => {
      try {
        c.error = err;
        c.endTime = now();
        const status = (err as { status?: unknown } | null)?.status;
        if (typeof status === 'number') c.status = status;
        const headers = (err as { headers?: unknown } | null)?.headers;
        c.requestId = headerValue(headers, 'x-request-id');
      } catch (e) {
        onInternalError(e);
      }
      // The options promise settled before the request was sent (or rejected, which is the error here).
      if (c.options || !isThenable(optionsInput)) report();
      else
        optionsInput.then((o) => {
          c.options = o as RequestOptionsLike;
          report();
        }, report);
      throw err;
    },
  );
}

function onResponse(call: ObservedCall, props: ResponsePropsLike, report: () => void, handlers: CallHandlers): void {
  const response = props.response;
  call.options = props.options ?? call.options;
  call.endTime = now();
  call.status = response?.status;
  call.requestId = response?.headers?.get('x-request-id') ?? undefined;
  call.stream = call.options?.stream === true;
  if (response && call.stream) {
    const sink = handlers.stream(call);
    if (sink) return tapStream(response, sink, handlers.owner, handlers.internalError);
  }
  if (!response || call.stream) return report();
  const contentType = response.headers?.get('content-type') ?? '';
  if (!contentType.includes('json')) return report();
  tapBody(call, response, report);
}

function tapBody(call: ObservedCall, response: ResponseLike, report: () => void): void {
  const waiting = unreadBodies.add(report);
  const target = response as Record<string, unknown>;
  // The taps stay on the Response after the first read and then just pass through: deleting them would
  // turn every observed Response into a dictionary-mode object, which slows the SDK's own reads of it.
  let observed = false;
  // The SDK's own parse of this body, when the app awaits the call (v5+ read text and parse it): its
  // result is the body, so the text need not be parsed twice. A raw read (`.asResponse()`) has none.
  let sdkParse: PromiseLike<unknown> | undefined;
  onSdkParse(response, (parsed) => {
    if (isThenable(parsed)) sdkParse ??= parsed;
  });
  const settle = (body: unknown, at: number): void => {
    try {
      call.body = body;
      call.bodyRead = true;
      call.endTime = at;
      // A JSON response whose text does not parse: the SDK throws that SyntaxError at the app.
      if (call.body === MALFORMED) {
        call.body = undefined;
        call.error = new SyntaxError('response body is not valid JSON');
      }
    } finally {
      report();
    }
  };
  // The body could not be read (the connection dropped after the headers, malformed JSON in json()):
  // the SDK rejects the app's promise with this error, so the call failed.
  const failed = (err: unknown, at = now()): void => {
    unreadBodies.delete(waiting);
    try {
      call.error ??= err ?? new Error('response body could not be read');
      call.endTime = at;
    } finally {
      report();
    }
  };
  const parsed = (value: unknown): void => {
    unreadBodies.delete(waiting);
    settle(value, now());
  };
  const read = (value: unknown): void => {
    unreadBodies.delete(waiting);
    const at = now();
    const parse = sdkParse;
    if (!parse) return settle(parseText(value), at);
    // Only a plain object is the body as sent: a list's parser makes a Page of it, and then the text is read.
    parse.then(
      (parsed) => settle(isPlainObject(parsed) ? parsed : parseText(value), at),
      (err: unknown) => failed(err, at),
    );
  };
  for (const method of ['json', 'text'] as const) {
    const original = response[method];
    if (typeof original !== 'function') continue;
    Object.defineProperty(target, method, {
      configurable: true,
      writable: true,
      enumerable: false,
      value: function tappedRead(this: unknown, ...args: unknown[]) {
        const pending = (original as (...a: unknown[]) => Promise<unknown>).apply(this, args);
        if (observed) return pending; // one read is observed; anything later goes straight through
        observed = true;
        pending.then(method === 'json' ? parsed : read, failed);
        return pending;
      },
    });
  }
}

const isPlainObject = (v: unknown): boolean => v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;

/**
 * Calls whose JSON body has not been read yet, reported without it once older than BODY_WAIT_MS. One
 * unref'd interval for all of them, rather than a timer per call: arming and clearing a timer (an async
 * resource, with hooks when a context manager is active) for every call costs more than the check.
 */
class UnreadBodies {
  private readonly waiting = new Map<number, { since: number; report: () => void }>();
  private seq = 0;
  private timer?: ReturnType<typeof setInterval>;

  add(report: () => void): number {
    const id = ++this.seq;
    this.waiting.set(id, { since: Date.now(), report });
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(), Math.min(1000, BODY_WAIT_MS));
      this.timer.unref?.();
    }
    return id;
  }

  delete(id: number): void {
    this.waiting.delete(id);
  }

  private sweep(): void {
    const cutoff = Date.now() - BODY_WAIT_MS;
    // Map order is insertion order: the oldest come first.
    for (const [id, w] of this.waiting) {
      if (w.since > cutoff) break;
      this.waiting.delete(id);
      w.report();
    }
    if (this.waiting.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

const unreadBodies = new UnreadBodies();

const MALFORMED = Symbol('malformed JSON');

function parseText(value: unknown): unknown {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_PARSE_CHARS) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return MALFORMED;
  }
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const h = headers as { get?: (n: string) => string | null } & Record<string, unknown>;
  if (typeof h.get === 'function') return h.get(name) ?? undefined;
  const v = h[name];
  return typeof v === 'string' ? v : undefined;
}
