import { context, type DiagLogger } from '@opentelemetry/api';
import type { SocketSessions } from '../realtime/realtime-sessions';
import type { LiveConnectionType, LiveSession, LiveSessionStart } from '../live/live-session';
import type { ClientLike } from '../calls/observed-call';
import { obj } from '../util/json';
import { connectionEnded, definingPrototype, guarded, tapSocketClass, tappable, untapSocketClass, type Wrapping } from './socket-tap';

/*
 * The Live API's socket (`LiveWS`, openai >= 7.14; `send` on its base `LiveWSBase` in
 * `resources/live/ws-base`), observed through the one socket tap (socket-tap.ts) on that prototype. It
 * runs on the same connection controller as `ResponsesWS`, so its lifecycle is the same: every parsed
 * server event as `_emit('event', e)`, a permanent close as `_emit('close', code)`, a lost connection the
 * SDK replaces as `_emit('reconnecting')` (the next connection is one more root span in the session's
 * trace), the app's own `close()` first. A session's span starts at the first event observed on its
 * socket (normally the app's `session.start`). The sideband socket (`SidebandWS`, `resources/live/sideband`,
 * `/live/sessions/{id}/attach`: a trusted server's connection to a session, e.g. one a browser runs over
 * WebRTC) is the same controller and the same events: it is traced the same way, as a session span of its
 * own that names the session it attached to. So is the fork socket (`ForksWS`, `resources/live/forks`,
 * `/live/sessions/{id}/fork`): a new session started from a stored one (the app's `session.start` carries
 * only overrides; the model and conversation are the stored session's), a session span of its own that
 * names the stored session it forked from.
 */

export type LiveSessions = SocketSessions<LiveSession, LiveSessionStart>;

export interface LiveHandlers {
  /** The sessions of the current configuration (undefined: not traced now). */
  sessions(): LiveSessions | undefined;
  /** A session started: the instrumentation watches the tracer provider's shutdown from now on. */
  seen(): void;
  internalError(err: unknown): void;
}

interface LiveSocketLike {
  url?: unknown;
  _client?: ClientLike;
  /** A sideband's or a fork's parameters: the session it attaches to, or forks. */
  _parameters?: { session_id?: unknown };
}

const SEND = ['send'] as const;
/** The Live socket classes (a module exports one of them, or its base): the primary socket, the sideband, the fork. */
const CLASSES: readonly { names: readonly string[]; connection?: LiveConnectionType }[] = [
  { names: ['LiveWSBase', 'LiveWS'] },
  { names: ['SidebandWSBase', 'SidebandWS'], connection: 'sideband' },
  { names: ['ForksWSBase', 'ForksWS'], connection: 'fork' },
];

const prototypes = (moduleExports: unknown) =>
  CLASSES.map((c) => ({ proto: definingPrototype(moduleExports, c.names, 'send'), connection: c.connection })).filter((p) => tappable(p.proto, SEND)) as {
    proto: Record<string, unknown>;
    connection?: LiveConnectionType;
  }[];

/** Patches `LiveWSBase` / `SidebandWSBase` / `ForksWSBase` (from `…/live/ws-base`, `…/live/sideband/ws-base`, `…/live/forks/ws-base` or their `ws`, CJS or ESM; once). */
export function patchLiveSocket(moduleExports: unknown, version: string | undefined, w: Wrapping, handlers: LiveHandlers, diag: DiagLogger): void {
  const protos = prototypes(moduleExports);
  if (!protos.length) diag.debug(`openai ${version ?? '(unknown version)'}: no Live socket class of a known shape in this module`);
  for (const { proto, connection } of protos) tapLive(proto, connection, w, handlers);
}

function tapLive(proto: Record<string, unknown>, connection: LiveConnectionType | undefined, w: Wrapping, handlers: LiveHandlers): void {
  const guard = guarded(handlers);
  const sessionsFor = (ws: LiveSocketLike): LiveSessions | undefined => {
    const sessions = handlers.sessions();
    if (!sessions || sessions.of(ws)) return sessions;
    const url = typeof ws.url === 'string' || ws.url instanceof URL ? String(ws.url) : undefined;
    const id = ws._parameters?.session_id;
    const of = connection && typeof id === 'string' ? { type: connection, sessionId: id } : undefined;
    if (sessions.observe(ws, { url, client: ws._client, ambient: context.active(), of })) guard(handlers.seen);
    return sessions;
  };
  tapSocketClass(proto, SEND, w, {
    sent: (ws, event, ambient) => {
      const e = obj(event);
      if (e) sessionsFor(ws)?.sent(ws, e, ambient);
    },
    emitted: (ws, name, args) => {
      if (name === 'event') {
        const event = obj(args[0]);
        if (event) sessionsFor(ws)?.received(ws, event);
        return;
      }
      const ended = connectionEnded(name, args);
      if (ended) handlers.sessions()?.closed(ws, ended.code, false, ended.reconnecting);
    },
    closing: (ws) => handlers.sessions()?.closing(ws),
    internalError: handlers.internalError,
  });
}

export function unpatchLiveSocket(moduleExports: unknown, w: Wrapping): void {
  for (const { proto } of prototypes(moduleExports)) untapSocketClass(proto, SEND, w);
}
