import { context, type DiagLogger } from '@opentelemetry/api';
import type { RealtimeSessions } from '../realtime/realtime-sessions';
import { isTracingSuppressed } from '../trace/suppress';
import { obj, type Obj } from '../util/json';
import type { Wrapping } from './responses-socket';

/*
 * The Realtime API's socket classes (`OpenAIRealtimeWS` on the `ws` package, `OpenAIRealtimeWebSocket`
 * on the runtime's WebSocket; `openai/realtime/*` in openai 5–7, `openai/beta/realtime/*` in 4–7), observed
 * on their prototypes where the SDK hands events over:
 * - `send(event)` / `sendResponseCreate(event)` (openai 7): a client event the app sent;
 * - `_emit('event', event)`: every server event the SDK parsed, the object its listeners get, before they
 *   get it; `_emit('close' | 'reconnecting')` on a socket with automatic recovery (openai 7);
 * - `close()`: the app closed the session; the underlying socket's own `close` (a listener added once per
 *   socket, the only thing added to the app's objects) ends it otherwise, with its close code.
 * The class's constructor is not wrapped, so a session's span starts at the first event observed on it
 * (the app's first send or the server's `session.created`, whichever comes first). Nothing is awaited or
 * added on the event path; each observation is a synchronous call that cannot throw into the SDK, and
 * the original method runs with the same arguments and its result is returned unchanged.
 */

interface RealtimeSocketLike {
  url?: unknown;
  socket?: unknown;
  _recovery?: unknown;
}
type Method = (this: RealtimeSocketLike, ...args: unknown[]) => unknown;

export interface RealtimeHandlers {
  /** The sessions tracker of the current configuration (undefined: not traced). */
  sessions(): RealtimeSessions | undefined;
  /** The first observation of the instrumentation's: it starts watching the tracer provider's shutdown. */
  seen(): void;
  internalError(err: unknown): void;
}

const CLASS_NAMES = ['OpenAIRealtimeWS', 'OpenAIRealtimeWebSocket'] as const;
const SEND_METHODS = ['send', 'sendResponseCreate'] as const;
const METHODS = [...SEND_METHODS, 'close', '_emit', '_onError'] as const;

/** Sockets inside a send; set when the SDK reports the send failed (`_onError` during it): not sent. */
const sending = new WeakMap<object, { refused: boolean }>();

/** The socket class prototypes a module exports (either class, whichever it defines). */
function prototypes(moduleExports: unknown): Record<string, unknown>[] {
  const mod = obj(moduleExports) ?? (typeof moduleExports === 'function' ? (moduleExports as unknown as Obj) : undefined);
  const out: Record<string, unknown>[] = [];
  for (const name of CLASS_NAMES) {
    const cls = mod?.[name];
    const proto = typeof cls === 'function' ? obj((cls as { prototype?: unknown }).prototype) : undefined;
    if (proto && typeof proto.send === 'function' && typeof proto._emit === 'function') out.push(proto);
  }
  return out;
}

/** Sockets whose underlying socket has the close listener. */
const watched = new WeakSet<object>();

/** Patches the Realtime socket classes of a module (CJS or ESM; each prototype once). */
export function patchRealtimeSocket(moduleExports: unknown, version: string | undefined, w: Wrapping, handlers: RealtimeHandlers, diag: DiagLogger): void {
  const protos = prototypes(moduleExports);
  if (!protos.length && obj(moduleExports)) diag.debug(`openai ${version ?? ''}: no Realtime socket class in this module`);
  for (const proto of protos) {
    if (w.isWrapped(proto.send)) continue;
    const guard = (fn: () => void): void => {
      try {
        fn();
      } catch (err) {
        handlers.internalError(err);
      }
    };
    /** The socket's session tracker, starting its session at the first observation. */
    const sessionsFor = (socket: RealtimeSocketLike): RealtimeSessions | undefined => {
      const sessions = handlers.sessions();
      if (!sessions) return undefined;
      if (!sessions.of(socket) && sessions.observe(socket, { url: typeof socket.url === 'object' || typeof socket.url === 'string' ? String(socket.url) : undefined, ambient: context.active() })) {
        handlers.seen();
        if (!socket._recovery) watchClose(socket, sessions, guard);
      }
      return sessions;
    };
    for (const name of SEND_METHODS) {
      if (typeof proto[name] !== 'function') continue;
      w.wrap(
        proto,
        name,
        (original: Method) =>
          function send(this: RealtimeSocketLike, ...args: unknown[]) {
            const ambient = context.active();
            const outer = sending.get(this);
            const state = { refused: false };
            sending.set(this, state);
            try {
              return original.apply(this, args);
            } finally {
              if (outer) sending.set(this, outer);
              else sending.delete(this);
              const event = obj(args[0]);
              if (event && !state.refused && !isTracingSuppressed(ambient)) guard(() => sessionsFor(this)?.sent(this, event, ambient));
            }
          },
      );
    }
    if (typeof proto.close === 'function') {
      w.wrap(
        proto,
        'close',
        (original: Method) =>
          function close(this: RealtimeSocketLike, ...args: unknown[]) {
            guard(() => handlers.sessions()?.closing(this));
            return original.apply(this, args);
          },
      );
    }
    if (typeof proto._onError === 'function') {
      w.wrap(
        proto,
        '_onError',
        (original: Method) =>
          function _onError(this: RealtimeSocketLike, ...args: unknown[]) {
            const state = sending.get(this);
            if (state) state.refused = true;
            return original.apply(this, args);
          },
      );
    }
    w.wrap(
      proto,
      '_emit',
      (original: Method) =>
        function _emit(this: RealtimeSocketLike, name: unknown, ...args: unknown[]) {
          guard(() => {
            if (name === 'event') {
              const event = obj(args[0]);
              if (event) sessionsFor(this)?.received(this, event);
            } else if (name === 'close' || name === 'reconnecting') {
              // Recovery (openai 7 `reconnect`): a permanent close, or a connection lost (the next one is a new session).
              const code = name === 'close' ? args[0] : obj(args[0])?.closeCode;
              handlers.sessions()?.closed(this, typeof code === 'number' ? code : undefined, false, name === 'reconnecting');
            }
          });
          return original.call(this, name, ...args);
        },
    );
  }
}

/** Ends the session when the underlying socket closes (`ws`: `on('close', code)`; WebSocket: a close event). */
function watchClose(rt: RealtimeSocketLike, sessions: RealtimeSessions, guard: (fn: () => void) => void): void {
  const socket = rt.socket as { on?: (e: string, l: (code: unknown) => void) => void; addEventListener?: (e: string, l: (ev: unknown) => void) => void } | undefined;
  if (!socket || watched.has(socket)) return;
  watched.add(socket);
  const onClose = (code: unknown): void => guard(() => sessions.closed(rt, typeof code === 'number' ? code : undefined, false));
  if (typeof socket.on === 'function') socket.on('close', onClose);
  else if (typeof socket.addEventListener === 'function') socket.addEventListener('close', (ev) => onClose(obj(ev)?.code));
}

export function unpatchRealtimeSocket(moduleExports: unknown, w: Wrapping): void {
  for (const proto of prototypes(moduleExports)) for (const m of METHODS) if (w.isWrapped(proto[m])) w.unwrap(proto, m);
}
