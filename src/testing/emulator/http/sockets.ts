import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { EmulatorOptions, RecordedRequest } from '../options';
import { chooseFault, isStreamFault, type StreamFault } from './faults';
import { flatHeaders, parseQuery } from './request';

// The WebSocket side of the server (it knows no API, like the HTTP side): an upgrade on a path a socket
// route claims becomes a connection on the `ws` package, handed to the route as a MessageSocket (text
// frames in and out); any other upgrade is refused with the status the real API gives a path it does
// not serve. `ws` is loaded on the first upgrade: it is an optional peer of this package (every `openai`
// with a WebSocket transport needs it too), so the emulator runs without it until a socket is opened.
// Each client event is parsed and recorded as a request (`method: 'WS'`, the event as its body) here, once
// for every route.

/** One open connection as a socket route sees it. */
export interface MessageSocket {
  /** Each client text frame, parsed (a JSON object; undefined for anything else, which a route answers as an error) and recorded first. */
  onEvent(listener: (event: Record<string, unknown> | undefined) => void): void;
  /** Sends a text frame; resolves once it is written (or the socket is gone). */
  send(text: string): Promise<void>;
  readonly closed: boolean;
  /** The pause between events, as on an SSE stream (the `eventDelayMs` option; 0: a turn of the event loop). */
  pause(): Promise<void>;
  /** Breaks the connection without a close frame (a network failure, from the client's side). */
  cut(): void;
  /** Closes the connection normally (a close frame with `code`), as a server that ended the session. */
  close(code: number): void;
}

export interface SocketRoute {
  /** Path below /v1, e.g. `/responses`; a pattern for a path with ids in it (`/live/sessions/{id}/attach`). */
  path: string | RegExp;
  /**
   * A connection opened; `fault` is the stream fault (the upgrade's `x-emulator-fault` header, else the
   * `fault` option) for the answer to the next one.
   */
  open(socket: MessageSocket, upgrade: { path: string; headers: Record<string, string>; query: Record<string, string | string[]>; fault: () => StreamFault | null }): void;
}

interface WsSocket {
  readonly readyState: number;
  on(event: 'message', listener: (data: unknown, isBinary: boolean) => void): void;
  on(event: 'close', listener: () => void): void;
  send(data: string, cb: (err?: Error) => void): void;
  close(code: number): void;
  terminate(): void;
}
interface WsServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, done: (ws: WsSocket) => void): void;
}
type WsModule = { WebSocketServer: new (options: { noServer: true; perMessageDeflate: false }) => WsServer };

const OPEN = 1;

/** Serves `routes` on `server`'s upgrades; returns what closes every open connection (close, reset). */
export function serveSockets(server: Server, routes: readonly SocketRoute[], requests: RecordedRequest[], options: EmulatorOptions): () => void {
  const open = new Set<WsSocket>();
  let wss: Promise<WsServer> | undefined;
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const below = url.pathname.slice(3);
    const route = url.pathname.startsWith('/v1/') ? routes.find((r) => (typeof r.path === 'string' ? r.path === below : r.path.test(below))) : undefined;
    if (!route) return refuse(socket, 404, 'Not Found');
    wss ??= loadWs().then((ws) => new ws.WebSocketServer({ noServer: true, perMessageDeflate: false }));
    wss.then(
      (s) =>
        s.handleUpgrade(req, socket, head, (ws) => {
          open.add(ws);
          ws.on('close', () => open.delete(ws));
          const headers = flatHeaders(req);
          const query = parseQuery(url.searchParams);
          const record = (event: unknown): void => {
            requests.push({ method: 'WS', path: url.pathname, query, headers, body: event });
          };
          const fault = (): StreamFault | null => {
            try {
              const f = chooseFault({ method: 'POST', path: url.pathname, headers, stream: true }, options.fault);
              return f && isStreamFault(f) ? f : null;
            } catch {
              return null; // a bad spec: the HTTP side answers it with a 400; a socket has nowhere to say so
            }
          };
          route.open(messageSocket(ws, options.eventDelayMs ?? 0, record), { path: below, headers, query, fault });
        }),
      () => refuse(socket, 501, 'Not Implemented', 'The emulator needs the `ws` package for WebSocket endpoints.'),
    );
  });
  return () => {
    for (const ws of open) ws.terminate();
    open.clear();
  };
}

function messageSocket(ws: WsSocket, eventDelayMs: number, record: (event: unknown) => void): MessageSocket {
  return {
    pause: () => new Promise<void>((resolve) => (eventDelayMs > 0 ? setTimeout(resolve, eventDelayMs) : setImmediate(resolve))),
    onEvent(listener) {
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        let event: unknown;
        try {
          event = JSON.parse(String(data));
        } catch {
          event = String(data);
        }
        record(event);
        listener(event && typeof event === 'object' && !Array.isArray(event) ? (event as Record<string, unknown>) : undefined);
      });
    },
    send(text) {
      return new Promise((resolve) => {
        if (ws.readyState !== OPEN) return resolve();
        ws.send(text, () => resolve());
      });
    },
    get closed() {
      return ws.readyState !== OPEN;
    },
    cut() {
      ws.terminate();
    },
    close(code) {
      if (ws.readyState === OPEN) ws.close(code);
    },
  };
}

function refuse(socket: Duplex, status: number, text: string, body = ''): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

async function loadWs(): Promise<WsModule> {
  const name = 'ws';
  const mod = (await import(name)) as WsModule & { default?: WsModule };
  return mod.WebSocketServer ? mod : (mod.default as WsModule);
}
