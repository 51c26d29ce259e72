import { context, type DiagLogger } from '@opentelemetry/api';
import type { SocketSessions } from '../realtime/realtime-sessions';
import type { LiveSession, LiveSessionStart } from '../live/live-session';
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
 * socket (normally the app's `session.start`).
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
}

const SEND = ['send'] as const;
const baseProto = (moduleExports: unknown): Record<string, unknown> | undefined => definingPrototype(moduleExports, ['LiveWSBase', 'LiveWS'], 'send');

/** Patches `LiveWSBase` (from `openai/resources/live/ws-base` or `…/ws`, CJS or ESM; once). */
export function patchLiveSocket(moduleExports: unknown, version: string | undefined, w: Wrapping, handlers: LiveHandlers, diag: DiagLogger): void {
  const proto = baseProto(moduleExports);
  if (!tappable(proto, SEND)) {
    diag.debug(`openai ${version ?? '(unknown version)'}: no Live socket class of a known shape in this module`);
    return;
  }
  const guard = guarded(handlers);
  const sessionsFor = (ws: LiveSocketLike): LiveSessions | undefined => {
    const sessions = handlers.sessions();
    if (!sessions || sessions.of(ws)) return sessions;
    const url = typeof ws.url === 'string' || ws.url instanceof URL ? String(ws.url) : undefined;
    if (sessions.observe(ws, { url, client: ws._client, ambient: context.active() })) guard(handlers.seen);
    return sessions;
  };
  tapSocketClass(proto!, SEND, w, {
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
  const proto = baseProto(moduleExports);
  if (proto) untapSocketClass(proto, SEND, w);
}
