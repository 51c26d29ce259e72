import { context, type Context } from '@opentelemetry/api';
import { isTracingSuppressed } from '../trace/suppress';

/*
 * The one way an `openai` socket class is observed. Every WebSocket transport of the package (Responses'
 * `ResponsesWSBase`, Realtime's `OpenAIRealtimeWS` / `OpenAIRealtimeWebSocket`) extends the package's
 * `lib/EventEmitter` the same way: `send(event)` (and variants) for client events, `_emit(name, ...args)`
 * to hand parsed server events and lifecycle events to the app's listeners, `_onError` for what failed
 * (during a send: the event was not sent), `close()`. The tap wraps those on the class's prototype and
 * reports to the transport's mapping:
 * - `sent`: after the SDK took a client event (not when `_onError` refused it during the send, nor under
 *   suppressed tracing), with the app's context at the send;
 * - `emitted`: every `_emit`, before the SDK's listeners get it (the span has what the app has seen when
 *   the app acts on it);
 * - `closing`: the app called `close()`, before the SDK closes.
 * Nothing is awaited or added on the event path: each report is a synchronous call whose errors go to
 * `internalError`, never into the SDK, and the original method always runs with the same arguments and
 * returns what it returns.
 */

/** What the instrumentation's `_wrap` / `_unwrap` are to the hooks. */
export interface Wrapping {
  wrap(target: object, name: string, wrapper: (original: never) => unknown): void;
  unwrap(target: object, name: string): void;
  isWrapped(fn: unknown): boolean;
}

export interface SocketTap {
  sent(socket: object, event: unknown, ambient: Context): void;
  emitted(socket: object, name: string, args: unknown[]): void;
  closing(socket: object): void;
  internalError(err: unknown): void;
}

type Method = (this: object, ...args: unknown[]) => unknown;

/** Runs an observation; what it throws goes to the internal error handler, never into the SDK. */
export const guarded =
  (handlers: Pick<SocketTap, 'internalError'>) =>
  (fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      handlers.internalError(err);
    }
  };

/**
 * A connection-controller lifecycle emit (`ResponsesWS`, `LiveWS`, Realtime with recovery): `close` (code
 * first) is a permanent close, `reconnecting` ({ closeCode }) a lost connection the SDK replaces. Undefined
 * for any other name.
 */
export function connectionEnded(name: string, args: unknown[]): { code: number | undefined; reconnecting: boolean } | undefined {
  if (name !== 'close' && name !== 'reconnecting') return undefined;
  const raw = name === 'close' ? args[0] : (args[0] as { closeCode?: unknown } | null | undefined)?.closeCode;
  return { code: typeof raw === 'number' ? raw : undefined, reconnecting: name === 'reconnecting' };
}

/** Sockets inside a send: `refused` once the SDK reported the send failed. */
const sending = new WeakMap<object, { refused: boolean }>();

const LIFECYCLE = ['close', '_emit', '_onError'] as const;

/** The methods a prototype needs to be tapped (its own or inherited). */
export function tappable(proto: Record<string, unknown> | undefined, sendMethods: readonly string[]): boolean {
  return !!proto && sendMethods.some((m) => typeof proto[m] === 'function') && LIFECYCLE.every((m) => typeof proto[m] === 'function');
}

/**
 * The prototype that defines `method` for the first of `classNames` a module exports (a socket class or
 * its base): the controller-backed sockets (`ResponsesWSBase`, `LiveWSBase`) define `send` on their base,
 * and the public subpath (`…/ws`) exports only the subclass, so the chain is walked up to the definer.
 */
export function definingPrototype(moduleExports: unknown, classNames: readonly string[], method: string): Record<string, unknown> | undefined {
  const mod = moduleExports as Record<string, unknown> | null | undefined;
  const cls = classNames.map((n) => mod?.[n]).find((c) => typeof c === 'function');
  let proto: unknown = cls ? (cls as { prototype?: unknown }).prototype : undefined;
  while (proto && typeof proto === 'object' && proto !== Object.prototype) {
    if (Object.prototype.hasOwnProperty.call(proto, method)) return proto as Record<string, unknown>;
    proto = Object.getPrototypeOf(proto);
  }
  return undefined;
}

/** Wraps a socket class's prototype once (a prototype already tapped is left alone). */
export function tapSocketClass(proto: Record<string, unknown>, sendMethods: readonly string[], w: Wrapping, tap: SocketTap): void {
  if (sendMethods.some((m) => w.isWrapped(proto[m]))) return;
  const guard = guarded(tap);
  for (const name of sendMethods) {
    if (typeof proto[name] !== 'function') continue;
    w.wrap(
      proto,
      name,
      (original: Method) =>
        function send(this: object, ...args: unknown[]) {
          const ambient = context.active();
          if (isTracingSuppressed(ambient)) return original.apply(this, args);
          const outer = sending.get(this);
          const state = { refused: false };
          sending.set(this, state);
          try {
            return original.apply(this, args);
          } finally {
            if (outer) sending.set(this, outer);
            else sending.delete(this);
            if (!state.refused) guard(() => tap.sent(this, args[0], ambient));
          }
        },
    );
  }
  w.wrap(
    proto,
    '_onError',
    (original: Method) =>
      function _onError(this: object, ...args: unknown[]) {
        const state = sending.get(this);
        if (state) state.refused = true;
        return original.apply(this, args);
      },
  );
  w.wrap(
    proto,
    'close',
    (original: Method) =>
      function close(this: object, ...args: unknown[]) {
        guard(() => tap.closing(this));
        return original.apply(this, args);
      },
  );
  w.wrap(
    proto,
    '_emit',
    (original: Method) =>
      function _emit(this: object, name: string, ...args: unknown[]) {
        guard(() => tap.emitted(this, name, args));
        return original.call(this, name, ...args);
      },
  );
}

export function untapSocketClass(proto: Record<string, unknown>, sendMethods: readonly string[], w: Wrapping): void {
  for (const m of [...sendMethods, ...LIFECYCLE]) if (w.isWrapped(proto[m])) w.unwrap(proto, m);
}
