import { context, type DiagLogger } from '@opentelemetry/api';
import { connectionEnded, definingPrototype, tapSocketClass, tappable, untapSocketClass, type Wrapping } from './socket-tap';
import type { ClientLike, ObservedCall } from '../calls/observed-call';
import { ResponseSocket, closedError, type BeginStream } from '../responses/response-socket';
import { now } from '../util/clock';
import { obj, type Obj } from '../util/json';

/*
 * Responses over WebSocket (`ResponsesWS`, openai 6.x/7; its base `ResponsesWSBase` in
 * `resources/responses/ws-base`): the app's own socket is observed where the SDK hands events over, on
 * the base class's prototype:
 * - `send(event)`: a `response.create` the SDK accepted (one it refused, through `_onError` during the
 *   send, e.g. a closed socket or a full queue, was never sent);
 * - `_emit('event', event)`: every server event the SDK parsed, the very object its listeners get, before
 *   they get it (so the span has what the app has seen when the app acts on it);
 * - `_emit('close')` (a permanent close), `_emit('reconnecting')` (the connection is gone; creates in
 *   flight on it are lost) and `close()` (the app closed it itself: what was in flight was aborted).
 * The wrapping is the one socket tap's (socket-tap.ts): nothing awaited or added on the event path.
 */

interface SocketLike {
  _client?: ClientLike;
}

export interface SocketHandlers {
  /** A create's stream sink (undefined: not traced). */
  begin: BeginStream;
  /** Places a new call in the caller's context (an agent's span may be its parent). */
  place?(call: ObservedCall): void;
  internalError(err: unknown): void;
}

export interface SocketState {
  responses: ResponseSocket;
  /** The app called `close()`. */
  closing: boolean;
}

const sockets = new WeakMap<object, SocketState>();

/**
 * The prototype that defines `send`: `ResponsesWSBase`'s, found from the module that defines it
 * (`ws-base`) or from `ResponsesWS` (`ws`, the public subpath: under an ESM loader that wraps only the
 * modules asked for by name, the base's own module, imported relatively, is never wrapped).
 */
const baseProto = (moduleExports: unknown): Record<string, unknown> | undefined => definingPrototype(moduleExports, ['ResponsesWSBase', 'ResponsesWS'], 'send');
const SEND = ['send'] as const;

/** The responses a socket carries (made at its first create; `client`: whose server it talks to). */
export function socketState(socket: object, client: () => ClientLike, handlers: SocketHandlers): SocketState {
  let st = sockets.get(socket);
  if (!st) {
    const call = (body: Obj): ObservedCall => {
      const startTime = now();
      const c: ObservedCall = {
        client: client(),
        ambient: context.active(),
        startTime,
        endTime: startTime,
        bodyRead: false,
        stream: true,
        options: { method: 'post', path: '/responses', body, stream: true },
      };
      handlers.place?.(c);
      return c;
    };
    st = { responses: new ResponseSocket(call, handlers.begin), closing: false };
    sockets.set(socket, st);
  }
  return st;
}

/** The socket's state, if it sent a create. */
export const knownSocket = (socket: object): SocketState | undefined => sockets.get(socket);

function socketProto(moduleExports: unknown, diag: DiagLogger, version: string | undefined): Record<string, unknown> | undefined {
  const proto = baseProto(moduleExports);
  if (tappable(proto, SEND)) return proto;
  diag.warn(`openai ${version ?? '(unknown version)'}: ResponsesWSBase has an unknown shape; Responses over WebSocket are not traced`);
  return undefined;
}

/** Patches `ResponsesWSBase` (from `openai/resources/responses/ws-base` or `…/ws`, CJS or ESM; once), through the one socket tap. */
export function patchResponsesSocket(moduleExports: unknown, version: string | undefined, w: Wrapping, handlers: SocketHandlers, diag: DiagLogger): void {
  const proto = socketProto(moduleExports, diag, version);
  if (!proto) return;
  tapSocketClass(proto, SEND, w, {
    sent: (socket: SocketLike, event) => socketState(socket, () => socket._client ?? {}, handlers).responses.sent(event),
    emitted: (socket, name, args) => {
      const st = sockets.get(socket);
      if (st) observe(st, name, args);
    },
    closing: (socket) => {
      const st = sockets.get(socket);
      if (st) st.closing = true;
    },
    internalError: handlers.internalError,
  });
}

function observe(st: SocketState, name: string, args: unknown[]): void {
  if (name === 'event') {
    const event = obj(args[0]);
    if (event) st.responses.received(event);
    return;
  }
  const ended = connectionEnded(name, args);
  if (!ended) return;
  if (st.closing) return st.responses.ended('aborted', undefined);
  st.responses.ended('error', closedError(ended.code));
}

export function unpatchResponsesSocket(moduleExports: unknown, w: Wrapping): void {
  const proto = baseProto(moduleExports);
  if (proto) untapSocketClass(proto, SEND, w);
}
