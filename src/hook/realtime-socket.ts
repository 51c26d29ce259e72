import { context, type DiagLogger } from '@opentelemetry/api';
import type { RealtimeSessions } from '../realtime/realtime-sessions';
import { obj, type Obj } from '../util/json';
import { connectionEnded, guarded, tapSocketClass, tappable, untapSocketClass, type Wrapping } from './socket-tap';

/*
 * The Realtime API's socket classes (`OpenAIRealtimeWS` on the `ws` package, `OpenAIRealtimeWebSocket` on
 * the runtime's WebSocket; `openai/realtime/*` in openai 5–7, `openai/beta/realtime/*` in 4–7), observed
 * through the one socket tap (socket-tap.ts) on each class's prototype:
 * - `send(event)` / `sendResponseCreate(event)` (openai 7): a client event the app sent;
 * - `_emit('event', event)`: every server event the SDK parsed, before the app's listeners get it;
 *   `_emit('close' | 'reconnecting')` on a socket with automatic recovery (openai 7 `reconnect`);
 * - `close()`: the app closes the session. Without recovery the SDK emits no close: the underlying
 *   socket's own `close` (a listener added once per socket, the only thing added to the app's objects)
 *   ends the session, with its close code.
 * The constructor is not wrapped, so a session's span starts at the first event observed on its socket
 * (the server's `session.created`, or the app's first send if earlier).
 */

interface RealtimeSocketLike {
  url?: unknown;
  socket?: unknown;
  _recovery?: unknown;
}

export interface RealtimeHandlers {
  /** The sessions of the current configuration (undefined: not traced now). */
  sessions(): RealtimeSessions | undefined;
  /** A session started: the instrumentation watches the tracer provider's shutdown from now on. */
  seen(): void;
  internalError(err: unknown): void;
}

const CLASS_NAMES = ['OpenAIRealtimeWS', 'OpenAIRealtimeWebSocket'] as const;
const SEND = ['send', 'sendResponseCreate'] as const;

/** The socket class prototypes a module exports (either class, whichever it defines). */
function prototypes(moduleExports: unknown): Record<string, unknown>[] {
  const mod = moduleExports as Obj | null | undefined;
  const out: Record<string, unknown>[] = [];
  for (const name of CLASS_NAMES) {
    const cls = mod?.[name];
    const proto = typeof cls === 'function' ? obj((cls as { prototype?: unknown }).prototype) : undefined;
    if (proto && tappable(proto, SEND)) out.push(proto);
  }
  return out;
}

/** Underlying sockets that have the close listener. */
const watched = new WeakSet<object>();

/** Patches the Realtime socket classes a module exports (CJS or ESM; each prototype once). */
export function patchRealtimeSocket(moduleExports: unknown, version: string | undefined, w: Wrapping, handlers: RealtimeHandlers, diag: DiagLogger): void {
  const protos = prototypes(moduleExports);
  if (!protos.length) diag.debug(`openai ${version ?? '(unknown version)'}: no Realtime socket class in this module`);
  const guard = guarded(handlers);
  /** The sessions, with this socket's session started if it has none yet. */
  const sessionsFor = (rt: RealtimeSocketLike): RealtimeSessions | undefined => {
    const sessions = handlers.sessions();
    if (!sessions || sessions.of(rt)) return sessions;
    const url = typeof rt.url === 'string' || rt.url instanceof URL ? String(rt.url) : undefined;
    if (sessions.observe(rt, { url, ambient: context.active() })) {
      handlers.seen();
      if (!rt._recovery) watchClose(rt, sessions, guard);
    }
    return sessions;
  };
  for (const proto of protos) {
    tapSocketClass(proto, SEND, w, {
      sent: (rt, event, ambient) => {
        const e = obj(event);
        if (e) sessionsFor(rt)?.sent(rt, e, ambient);
      },
      emitted: (rt: RealtimeSocketLike, name, args) => {
        if (name === 'event') {
          const event = obj(args[0]);
          if (event) sessionsFor(rt)?.received(rt, event);
        } else if (rt._recovery) {
          // Recovery: a permanent close, or a lost connection (the next one is a new session). Without
          // recovery the SDK emits no such thing itself (a server event of that type would come by that name).
          const ended = connectionEnded(name, args);
          if (ended) handlers.sessions()?.closed(rt, ended.code, false, ended.reconnecting);
        }
      },
      closing: (rt) => handlers.sessions()?.closing(rt),
      internalError: handlers.internalError,
    });
  }
}

/** Ends the session when the underlying socket closes, with its close code. */
function watchClose(rt: RealtimeSocketLike, sessions: RealtimeSessions, guard: (fn: () => void) => void): void {
  const socket = rt.socket as { on?: (e: string, l: (code: unknown) => void) => void; addEventListener?: (e: string, l: (ev: unknown) => void) => void } | undefined;
  if (!socket || typeof socket !== 'object' || watched.has(socket)) return;
  watched.add(socket);
  const onClose = (code: unknown): void => guard(() => sessions.closed(rt, typeof code === 'number' ? code : undefined));
  // The standard listener first (a runtime WebSocket; `ws` has it too), else `ws`'s own.
  if (typeof socket.addEventListener === 'function') socket.addEventListener('close', (ev) => onClose(obj(ev)?.code));
  else if (typeof socket.on === 'function') socket.on('close', onClose);
}

export function unpatchRealtimeSocket(moduleExports: unknown, w: Wrapping): void {
  for (const proto of prototypes(moduleExports)) untapSocketClass(proto, SEND, w);
}
