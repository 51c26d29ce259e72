import { context, type DiagLogger } from '@opentelemetry/api';
import { isTracingSuppressed } from '../trace/suppress';
import { isThenable } from '../util/thenable';
import { knownSocket, socketState, type SocketHandlers } from './responses-socket';
import { closedError } from '../responses/response-socket';
import { guarded, type Wrapping } from './socket-tap';

/*
 * The Agents SDK's Responses WebSocket transport (`useResponsesWebSocket: true`, `@openai/agents-openai`
 * 0.x): it does not use openai's `ResponsesWS` but a socket of its own, `ResponsesWebSocketConnection`
 * (`dist/responsesWebSocketConnection`) on the global `WebSocket`, one request at a time per connection.
 * Its prototype is observed where the model hands frames over:
 * - `send(frame)`: the JSON text of a `response.create`, on an open socket (a closed one throws, and the
 *   model reconnects and sends it again);
 * - `nextFrame()`: a side reaction on the very promise the model awaits, registered before it, sees each
 *   text frame (handed on unparsed: the model parses it itself), the end of the socket (null) or the
 *   failure or abort of the read;
 * - `close()`: the model dropped the connection; a response still open on it was abandoned there;
 * - the static `connect(url)`: which server it talks to (for `server.address` / `server.port`).
 */

interface ConnectionProto {
  send: (this: object, data: unknown) => unknown;
  nextFrame: (this: object, ...args: unknown[]) => unknown;
  close: (this: object, ...args: unknown[]) => unknown;
  isReusable?: (this: object) => unknown;
}
interface ConnectionClass {
  prototype: ConnectionProto;
  connect: (url: unknown, ...args: unknown[]) => unknown;
}

const urls = new WeakMap<object, string>();

function connectionClass(moduleExports: unknown, diag: DiagLogger, version: string | undefined): ConnectionClass | undefined {
  const found: unknown = (moduleExports as { ResponsesWebSocketConnection?: unknown } | null | undefined)?.ResponsesWebSocketConnection;
  const cls = typeof found === 'function' ? (found as unknown as Partial<ConnectionClass>) : undefined;
  const proto = cls?.prototype;
  if (cls && typeof cls.connect === 'function' && proto && (['send', 'nextFrame', 'close'] as const).every((m) => typeof proto[m] === 'function')) return cls as ConnectionClass;
  diag.warn(`@openai/agents-openai ${version ?? '(unknown version)'}: ResponsesWebSocketConnection has an unknown shape; its Responses over WebSocket are not traced`);
  return undefined;
}

const isAbort = (err: unknown): boolean => (err as { name?: unknown } | null)?.name === 'AbortError' || (err as { constructor?: { name?: unknown } } | null)?.constructor?.name === 'APIUserAbortError';

/** Patches `ResponsesWebSocketConnection` (`@openai/agents-openai/dist/responsesWebSocketConnection`, CJS or ESM). */
export function patchAgentsSocket(moduleExports: unknown, version: string | undefined, w: Wrapping, handlers: SocketHandlers, diag: DiagLogger): void {
  const cls = connectionClass(moduleExports, diag, version);
  if (!cls || w.isWrapped(cls.prototype.send)) return;
  const guard = guarded(handlers);
  w.wrap(
    cls,
    'connect',
    (original: ConnectionClass['connect']) =>
      function connect(this: unknown, url: unknown, ...args: unknown[]) {
        const pending = original.call(this, url, ...args);
        if (isThenable(pending) && typeof url === 'string') {
          pending.then(
            (connection) => {
              if (connection && typeof connection === 'object') urls.set(connection, url);
            },
            () => undefined,
          );
        }
        return pending;
      },
  );
  w.wrap(
    cls.prototype,
    'send',
    (original: ConnectionProto['send']) =>
      function send(this: object, data: unknown) {
        const open = typeof this.constructor === 'function' && (this as ConnectionProto).isReusable?.call(this) !== false;
        if (open && typeof data === 'string' && !isTracingSuppressed(context.active())) {
          guard(() => {
            const event = JSON.parse(data) as unknown;
            // The server's base URL as the client's would be: what server.address / server.port are read from.
            socketState(this, () => ({ baseURL: urls.get(this) }), handlers).responses.sent(event);
          });
        }
        return original.call(this, data);
      },
  );
  w.wrap(
    cls.prototype,
    'nextFrame',
    (original: ConnectionProto['nextFrame']) =>
      function nextFrame(this: object, ...args: unknown[]) {
        const pending = original.apply(this, args);
        const st = knownSocket(this);
        if (st && isThenable(pending)) {
          pending.then(
            (frame) =>
              guard(() => {
                if (typeof frame === 'string') st.responses.receivedText(frame);
                else if (frame === null) st.responses.ended('error', closedError(undefined));
              }),
            (err: unknown) => guard(() => st.responses.ended(isAbort(err) ? 'aborted' : 'error', err)),
          );
        }
        return pending;
      },
  );
  w.wrap(
    cls.prototype,
    'close',
    (original: ConnectionProto['close']) =>
      function close(this: object, ...args: unknown[]) {
        const st = knownSocket(this);
        if (st) guard(() => st.responses.ended('aborted', undefined));
        return original.apply(this, args);
      },
  );
}

export function unpatchAgentsSocket(moduleExports: unknown, w: Wrapping): void {
  const cls = (moduleExports as { ResponsesWebSocketConnection?: ConnectionClass } | null | undefined)?.ResponsesWebSocketConnection;
  if (!cls) return;
  if (w.isWrapped(cls.connect)) w.unwrap(cls, 'connect');
  for (const m of ['send', 'nextFrame', 'close'] as const) if (w.isWrapped(cls.prototype[m])) w.unwrap(cls.prototype, m);
}
