import { context, type DiagLogger } from '@opentelemetry/api';
import { tapSocketClass, tappable, untapSocketClass, type Wrapping } from './socket-tap';
import type { ClientLike, ObservedCall } from '../calls/observed-call';
import { ResponseSocket, type BeginStream } from '../responses/response-socket';
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
function baseProto(moduleExports: unknown): object | undefined {
  const mod = moduleExports as { ResponsesWSBase?: unknown; ResponsesWS?: unknown } | null | undefined;
  const cls = mod?.ResponsesWSBase ?? mod?.ResponsesWS;
  let proto: unknown = typeof cls === 'function' ? (cls as { prototype?: unknown }).prototype : undefined;
  while (proto && typeof proto === 'object' && proto !== Object.prototype) {
    if (Object.prototype.hasOwnProperty.call(proto, 'send')) return proto;
    proto = Object.getPrototypeOf(proto);
  }
  return undefined;
}
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

/** The error a connection that went away mid-response failed with (the one error rule's `error.type`: its code). */
export function closedError(code: unknown): Error {
  return Object.assign(new Error(`the WebSocket closed${code === undefined ? '' : ` (code ${String(code)})`} before the response ended`), { code: 'websocket_closed' });
}

function socketProto(moduleExports: unknown, diag: DiagLogger, version: string | undefined): Record<string, unknown> | undefined {
  const proto = baseProto(moduleExports) as Record<string, unknown> | undefined;
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
  } else if (name === 'close' || name === 'reconnecting') {
    const code = name === 'close' ? args[0] : obj(args[0])?.closeCode;
    if (st.closing) return st.responses.ended('aborted', undefined);
    st.responses.ended('error', closedError(code));
  }
}

export function unpatchResponsesSocket(moduleExports: unknown, w: Wrapping): void {
  const proto = baseProto(moduleExports) as Record<string, unknown> | undefined;
  if (proto) untapSocketClass(proto, SEND, w);
}
