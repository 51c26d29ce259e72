import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError } from '../engine/errors';
import type { IdFactory } from '../engine/ids';
import type { Emulator, EmulatorOptions, RecordedRequest } from '../options';
import { checkFaultOption, chooseFault, faultLabel, isFirstAttempt, isStreamFault, mutateJson, mutateStream, statusFault, type Fault, type StreamFault } from './faults';
import { CHUNKING_HEADER, chunkingOf, flatHeaders, isStreamBody, parseQuery, readBody, recordedBody, routeBody } from './request';
import { resolve, type Route } from './router';
import type { Chunking } from './sse';
import { SseReply } from './sse-reply';
import { SseWriter } from './sse-writer';
import { serveSockets, type SocketRoute } from './sockets';

// The HTTP side: a loopback server speaking the OpenAI REST API under /v1 with the real response
// headers, recording every request it receives. It knows no API: it matches the routes it is given,
// writes their JSON answers, and opens SSE responses for the SseReply answers. Faults (faults.ts) are
// injected here, before and after the routes.

const SERVER_ERROR_MESSAGE = 'The server had an error while processing your request. Sorry about that!';

export interface ServerSetup {
  options: EmulatorOptions;
  /** Also numbers the `x-request-id` headers. */
  ids: IdFactory;
  seed: number;
  /** Every API's routes, in match order. */
  routes: Route[];
  /** The WebSocket endpoints (upgrades of GET requests to these paths). */
  sockets: SocketRoute[];
  /** Forgets the APIs' state (Emulator.reset). */
  clearState: () => void;
}

interface ServerState extends ServerSetup {
  requests: RecordedRequest[];
  /** Open SSE streams: closed with the emulator (and on reset) so no socket or timer outlives it. */
  streams: Set<SseWriter>;
  defaultChunking: Chunking;
  eventDelayMs: number;
  pollAfterMs: number | null;
}

/** One request on its way through: what was recorded of it and the fault it carries. */
interface Exchange {
  started: number;
  record: RecordedRequest | undefined;
  fault: Fault | null;
  faultHeaders: Record<string, string>;
  chunking: Chunking;
}

/** Returned when the request needs no answer (its connection was destroyed). */
const NO_ANSWER = Symbol('no answer');

/** Starts listening; rejects on bad options or when the port cannot be bound. */
export async function serve(setup: ServerSetup): Promise<Emulator> {
  const { options } = setup;
  const pollAfterMs = options.pollAfterMs === undefined ? 5 : options.pollAfterMs;
  const defaultChunking: Chunking = chunkingOf(options.chunking, 'chunking option') ?? 'event';
  const eventDelayMs = options.eventDelayMs ?? 0;
  if (!(Number.isFinite(eventDelayMs) && eventDelayMs >= 0)) throw new Error(`Invalid eventDelayMs ${eventDelayMs}.`);
  checkFaultOption(options.fault);
  const state: ServerState = { ...setup, requests: [], streams: new Set(), defaultChunking, eventDelayMs, pollAfterMs };
  const server = createServer((req, res) => {
    if (options.unref) req.socket.unref();
    handle(state, req, res).catch((err: unknown) => {
      // Mid-stream there is no way to report it: drop the connection rather than write text into SSE.
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.statusCode = 500;
      res.end(String(err));
    });
  });
  const closeSockets = serveSockets(server, setup.sockets, state.requests, options);
  return listen(state, server, closeSockets);
}

function listen(state: ServerState, server: ReturnType<typeof createServer>, closeSockets: () => void): Promise<Emulator> {
  const { options, streams } = state;
  const host = options.host ?? '127.0.0.1';
  return new Promise((resolveStart, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      if (options.unref) server.unref();
      const port = (server.address() as AddressInfo).port;
      const urlHost = host.includes(':') ? `[${host}]` : host;
      resolveStart({
        baseURL: `http://${urlHost}:${port}/v1`,
        port,
        requests: state.requests,
        close: () =>
          new Promise<void>((done, fail) => {
            for (const stream of streams) stream.abort();
            closeSockets();
            server.close((err) => (err ? fail(err) : done()));
            server.closeAllConnections();
          }),
        reset: () => {
          for (const stream of streams) stream.abort();
          closeSockets();
          state.clearState();
          state.requests.length = 0;
        },
      });
    });
  });
}

async function handle(state: ServerState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const ex: Exchange = { started: Date.now(), record: undefined, fault: null, faultHeaders: {}, chunking: state.defaultChunking };
  let status = 200;
  let payload: unknown;
  try {
    payload = await dispatch(state, req, ex);
    if (payload === NO_ANSWER) return;
    if (payload instanceof SseReply) {
      await serveStream(state, res, payload, ex);
      return;
    }
  } catch (err) {
    const apiError = err instanceof ApiError ? err : new ApiError(500, SERVER_ERROR_MESSAGE, 'server_error');
    status = apiError.status;
    payload = apiError.body();
  }
  writeJson(state, req, res, ex, status, payload);
}

/** Records the request, applies the faults that act before the routes, and runs its route. */
async function dispatch(state: ServerState, req: IncomingMessage, ex: Exchange): Promise<unknown> {
  const method = (req.method ?? 'GET').toUpperCase();
  const url = new URL(req.url ?? '/', 'http://emulator.invalid');
  const headers = flatHeaders(req);
  const contentType = headers['content-type'] ?? '';
  const raw = await readBody(req);
  const query = parseQuery(url.searchParams);
  const record: RecordedRequest = { method, path: url.pathname, query, headers, body: recordedBody(raw, contentType) };
  ex.record = record;
  state.requests.push(record);
  ex.chunking = chunkingOf(headers[CHUNKING_HEADER], CHUNKING_HEADER) ?? state.defaultChunking;
  ex.fault = chooseFault({ method, path: url.pathname, headers, stream: isStreamBody(record.body) }, state.options.fault);
  if (await requestFault(req, record, headers, ex)) return NO_ANSWER;
  if (url.pathname !== '/v1' && !url.pathname.startsWith('/v1/')) {
    throw new ApiError(404, `Invalid URL (${method} ${url.pathname})`);
  }
  const path = url.pathname.slice(3) || '/';
  const { handler, params } = resolve(state.routes, method, path);
  const body = routeBody(raw, contentType);
  return handler({ method, path, query, body, rawBody: raw, headers, params });
}

/**
 * The faults that act before any route: a reset or a client that gave up during a delay (true: no
 * answer at all), an injected status (thrown as its error).
 */
async function requestFault(req: IncomingMessage, record: RecordedRequest, headers: Record<string, string>, ex: Exchange): Promise<boolean> {
  const { fault } = ex;
  if (fault?.kind === 'reset-before-headers') {
    record.fault = faultLabel(fault);
    req.socket.destroy();
    return true;
  }
  if (fault?.kind === 'delay') {
    record.fault = faultLabel(fault);
    await new Promise((r) => setTimeout(r, fault.ms));
    if (req.socket.destroyed) return true; // the client gave up: nothing processed
  }
  if (fault?.kind === 'status' || (fault?.kind === 'flaky' && isFirstAttempt(headers))) {
    record.fault = faultLabel(fault);
    const injected = statusFault(fault.status);
    Object.assign(ex.faultHeaders, injected.headers);
    throw injected.error;
  }
  return false;
}

function writeJson(state: ServerState, req: IncomingMessage, res: ServerResponse, ex: Exchange, status: number, payload: unknown): void {
  const { fault, record } = ex;
  if (fault?.kind === 'mutate' && record && status < 400) {
    record.fault = faultLabel(fault);
    payload = mutateJson(fault.mutation, payload);
  }
  let text = JSON.stringify(payload, null, 2);
  if (fault?.kind === 'malformed-json' && record) {
    record.fault = 'malformed-json';
    text = text.slice(0, Math.floor(text.length / 2));
  }
  res.statusCode = status;
  for (const [name, value] of Object.entries(ex.faultHeaders)) res.setHeader(name, value);
  res.setHeader('content-type', 'application/json');
  res.setHeader('x-request-id', state.ids.requestId());
  res.setHeader('openai-version', '2020-10-01');
  res.setHeader('openai-processing-ms', String(Math.max(1, Date.now() - ex.started)));
  // The real API tells run pollers how long to wait; no other object gets the header.
  const isRun = typeof payload === 'object' && payload !== null && (payload as { object?: unknown }).object === 'thread.run';
  if (isRun && state.pollAfterMs !== null) res.setHeader('openai-poll-after-ms', String(state.pollAfterMs));
  res.setHeader('content-length', Buffer.byteLength(text));
  if (fault?.kind === 'reset-after-headers' && record) {
    record.fault = faultLabel(fault);
    res.flushHeaders();
    setImmediate(() => req.socket.destroy());
    return;
  }
  res.end(text);
}

async function serveStream(state: ServerState, res: ServerResponse, reply: SseReply, ex: Exchange): Promise<void> {
  const record = ex.record as RecordedRequest;
  res.statusCode = 200;
  res.setHeader('content-type', 'text/event-stream; charset=utf-8');
  res.setHeader('x-request-id', state.ids.requestId());
  res.setHeader('openai-version', '2020-10-01');
  res.setHeader('openai-processing-ms', String(Math.max(1, Date.now() - ex.started)));
  // Headers go out at once, as the real API's do: a stream cut before any event still got its 200.
  res.flushHeaders();
  const out = new SseWriter(res, { chunking: ex.chunking, eventDelayMs: state.eventDelayMs, seed: [state.seed, ...reply.seedKey] });
  state.streams.add(out);
  let fault = ex.fault;
  if (fault?.kind === 'mutate') mutateStream(out, fault.mutation);
  if (fault?.kind === 'reset-after-headers') fault = { kind: 'cut-after', events: 0 };
  const streamFault = fault && isStreamFault(fault) ? fault : null;
  const onFault = (f: StreamFault) => {
    record.fault = faultLabel(f);
  };
  try {
    await reply.write(out, streamFault, onFault);
  } finally {
    state.streams.delete(out);
  }
}
