import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Entities } from '../engine/entities';
import { ApiError, badRequest } from '../engine/errors';
import { checkFaultOption, chooseFault, faultLabel, isFirstAttempt, isStreamFault, mutateJson, mutateStream, statusFault, type Fault } from './faults';
import { IdFactory } from '../engine/ids';
import { parseMultipart } from './multipart';
import type { Emulator, EmulatorOptions, RecordedRequest } from '../options';
import type { Query } from './pagination';
import { resolve, type Deps, type Route } from './router';
import { assistantRoutes } from '../assistants/routes-assistants';
import { fileRoutes } from '../assistants/routes-files';
import { runRoutes } from '../assistants/routes-runs';
import { threadRoutes } from '../assistants/routes-threads';
import { ResponseEngine, type ResponseContext } from '../responses/response-engine';
import { chatRoutes } from '../chat/routes-chat';
import { embeddingRoutes } from '../chat/routes-embeddings';
import { responseRoutes } from '../responses/routes-responses';
import { RunEngine } from '../assistants/run-engine';
import { SseReply } from './sse-reply';
import { CHUNKINGS, type Chunking } from './sse';
import { SseWriter } from './sse-writer';
import { Store } from '../engine/store';
import { RunStream, streamRun, type StreamFault } from '../assistants/stream-runs';

// The HTTP side: a loopback server speaking the Assistants v2 REST API under /v1 with the real
// response headers, recording every request it receives. Run routes with `stream: true` answer with
// SSE (stream-runs.ts); faults (faults.ts) are injected here, before and after the routes.

const SERVER_ERROR_MESSAGE = 'The server had an error while processing your request. Sorry about that!';
const CHUNKING_HEADER = 'x-emulator-chunking';

function chunkingOf(value: string | undefined, source: string): Chunking | undefined {
  if (value === undefined) return undefined;
  const found = CHUNKINGS.find((c) => c === value);
  if (!found) throw badRequest(`Invalid ${source} '${value}': expected one of ${CHUNKINGS.join(', ')}.`, source);
  return found;
}

function isStreamBody(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { stream?: unknown }).stream === true;
}

function parseQuery(search: URLSearchParams): Query {
  const out: Query = {};
  for (const [key, value] of search) {
    const prev = out[key];
    if (prev === undefined) out[key] = value;
    else out[key] = Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[k] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolveBody(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The body as recorded: JSON parsed, multipart summarised (field values, file names and sizes). */
function recordedBody(raw: Buffer, contentType: string): unknown {
  if (raw.length === 0) return null;
  if (/^multipart\/form-data/i.test(contentType)) {
    const summary: Record<string, unknown> = {};
    for (const part of parseMultipart(raw, contentType)) {
      summary[part.name] =
        part.filename !== undefined
          ? { filename: part.filename, bytes: part.data.length, content_type: part.contentType ?? null }
          : part.data.toString('utf8');
    }
    return summary;
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return raw.toString('utf8');
  }
}

export async function startServer(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  const seed = options.seed ?? 1;
  const pollAfterMs = options.pollAfterMs === undefined ? 5 : options.pollAfterMs;
  const ids = new IdFactory(seed);
  const store = new Store(ids);
  const entities = new Entities(store);
  const engine = new RunEngine({ store, entities, seed, pollsPerStatus: options.pollsPerStatus ?? 1 });
  const deps: Deps = { store, entities, engine };
  const responses = new ResponseEngine();
  const chatPrefixes = new Map<string, number>();
  const responseContext: ResponseContext = { store, entities, ids, seed, pollsPerStatus: options.pollsPerStatus ?? 1 };
  // createAndRun (POST /threads/runs) is among the run routes, so they go before the thread routes.
  const routes: Route[] = [
    ...assistantRoutes(deps),
    ...runRoutes(deps),
    ...threadRoutes(deps),
    ...fileRoutes(deps),
    ...responseRoutes(responseContext, responses),
    ...chatRoutes(ids, seed, chatPrefixes),
    ...embeddingRoutes(seed),
  ];
  const requests: RecordedRequest[] = [];
  const defaultChunking: Chunking = chunkingOf(options.chunking, 'chunking option') ?? 'event';
  const eventDelayMs = options.eventDelayMs ?? 0;
  if (!(Number.isFinite(eventDelayMs) && eventDelayMs >= 0)) throw new Error(`Invalid eventDelayMs ${eventDelayMs}.`);
  checkFaultOption(options.fault);
  /** Open SSE streams: closed with the emulator (and on reset) so no socket or timer outlives it. */
  const streams = new Set<SseWriter>();

  async function serveStream(res: ServerResponse, stream: RunStream | SseReply, fault: Fault | null, record: RecordedRequest, started: number, chunking: Chunking): Promise<void> {
    res.statusCode = 200;
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('x-request-id', ids.requestId());
    res.setHeader('openai-version', '2020-10-01');
    res.setHeader('openai-processing-ms', String(Math.max(1, Date.now() - started)));
    // Headers go out at once, as the real API's do: a stream cut before any event still got its 200.
    res.flushHeaders();
    const seedKey: ReadonlyArray<string | number> = stream instanceof RunStream ? [stream.machine.run.id, stream.from] : [stream.seedKey];
    const out = new SseWriter(res, { chunking, eventDelayMs, seed: [seed, ...seedKey] });
    streams.add(out);
    if (fault?.kind === 'mutate') mutateStream(out, fault.mutation);
    if (fault?.kind === 'reset-after-headers') fault = { kind: 'cut-after', events: 0 };
    const streamFault = fault && isStreamFault(fault) ? fault : null;
    const onFault = (f: StreamFault) => {
      record.fault = faultLabel(f);
    };
    try {
      if (stream instanceof RunStream) await streamRun(out, stream, streamFault, onFault);
      else await stream.write(out, streamFault, onFault);
    } finally {
      streams.delete(out);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const headers = flatHeaders(req);
    const contentType = headers['content-type'] ?? '';
    let status = 200;
    let payload: unknown;
    let record: RecordedRequest | undefined;
    let fault: Fault | null = null;
    const faultHeaders: Record<string, string> = {};
    try {
      const raw = await readBody(req);
      const query = parseQuery(url.searchParams);
      record = { method, path: url.pathname, query, headers, body: recordedBody(raw, contentType) };
      requests.push(record);
      const chunking = chunkingOf(headers[CHUNKING_HEADER], CHUNKING_HEADER) ?? defaultChunking;
      fault = chooseFault({ method, path: url.pathname, headers, stream: isStreamBody(record.body) }, options.fault);
      if (fault?.kind === 'reset-before-headers') {
        record.fault = faultLabel(fault);
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'delay') {
        record.fault = faultLabel(fault);
        await new Promise((r) => setTimeout(r, fault?.kind === 'delay' ? fault.ms : 0));
        if (req.socket.destroyed) return; // the client gave up: nothing processed
      }
      if (fault?.kind === 'status' || (fault?.kind === 'flaky' && isFirstAttempt(headers))) {
        record.fault = faultLabel(fault);
        const injected = statusFault(fault.status);
        Object.assign(faultHeaders, injected.headers);
        throw injected.error;
      }
      if (url.pathname !== '/v1' && !url.pathname.startsWith('/v1/')) {
        throw new ApiError(404, `Invalid URL (${method} ${url.pathname})`);
      }
      const path = url.pathname.slice(3) || '/';
      const { handler, params } = resolve(routes, method, path);
      let body: unknown = {};
      if (raw.length > 0 && !/^multipart\/form-data/i.test(contentType)) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw badRequest(
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
          );
        }
      }
      payload = handler({ method, path, query, body, rawBody: raw, headers, params });
      if (payload instanceof RunStream || payload instanceof SseReply) {
        await serveStream(res, payload, fault, record, started, chunking);
        return;
      }
    } catch (err) {
      const apiError = err instanceof ApiError ? err : new ApiError(500, SERVER_ERROR_MESSAGE, 'server_error');
      status = apiError.status;
      payload = apiError.body();
    }
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
    for (const [name, value] of Object.entries(faultHeaders)) res.setHeader(name, value);
    res.setHeader('content-type', 'application/json');
    res.setHeader('x-request-id', ids.requestId());
    res.setHeader('openai-version', '2020-10-01');
    res.setHeader('openai-processing-ms', String(Math.max(1, Date.now() - started)));
    const isRun = typeof payload === 'object' && payload !== null && (payload as { object?: unknown }).object === 'thread.run';
    if (isRun && pollAfterMs !== null) res.setHeader('openai-poll-after-ms', String(pollAfterMs));
    res.setHeader('content-length', Buffer.byteLength(text));
    if (fault?.kind === 'reset-after-headers' && record) {
      record.fault = faultLabel(fault);
      res.flushHeaders();
      setImmediate(() => req.socket.destroy());
      return;
    }
    res.end(text);
  }

  const server = createServer((req, res) => {
    if (options.unref) req.socket.unref();
    handle(req, res).catch((err: unknown) => {
      // Mid-stream there is no way to report it: drop the connection rather than write text into SSE.
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.statusCode = 500;
      res.end(String(err));
    });
  });

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
        requests,
        close: () =>
          new Promise<void>((done, fail) => {
            for (const stream of streams) stream.abort();
            server.close((err) => (err ? fail(err) : done()));
            server.closeAllConnections();
          }),
        reset: () => {
          for (const stream of streams) stream.abort();
          store.clear();
          engine.clear();
          responses.clear();
          chatPrefixes.clear();
          requests.length = 0;
        },
      });
    });
  });
}
