// Replays one cassette over real HTTP so the real `openai` SDK (and the instrumentation patched into it)
// parses real server responses.
//
// baseURL is `http://127.0.0.1:<port>/v1`, so the SDK's paths land on `/v1/...` exactly like on
// api.openai.com; the server strips `/v1` and compares with `Interaction.request.path`.
//
// Matching: an incoming request takes the FIRST UNUSED interaction with the same method, the same path
// and a compatible query. Query comparison is loose:
//   - parameter order does not matter, and `include[]` / `include[0]` / `include` are the same key
//     (the SDK serialises arrays with qs `brackets` => `include%5B%5D=...`; Ruby recorded the same);
//     percent-encoding differences (`*` vs `%2A`) disappear because both sides are decoded;
//   - every recorded parameter must be present with the same value(s);
//   - extra parameters on the request are tolerated (the SDK may add some, e.g. a client `defaultQuery`
//     or the page cursor of auto-pagination) and are reported in `warnings`.
// Request bodies are NOT used for matching; a JSON body that differs from the recording is reported in
// `warnings`, as is a match that skipped earlier unused interactions (out of order).
//
// Unmatched requests get `418` with an OpenAI-style error body (the SDK does not retry 418; it retries
// 408/409/429/5xx and connection errors) and a line in `mismatches`.
//
// Responses: recorded status + status message, recorded headers (lower-case, minus content-encoding /
// content-length / hop-by-hop ones; nothing is added: no openai-poll-after-ms, no x-stainless-*), and the
// decoded body. Bodies are sent chunked like the real API did (or with a Content-Length when the recording
// had one). SSE bodies are written in several chunks: `chunkSplit: 'events'` writes one SSE event per chunk,
// `'random'` cuts at arbitrary byte offsets (seeded; may split UTF-8 sequences and `\n\n` separators).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import type { Cassette, Interaction } from './cassette';
import { seededRandom } from '../../src/testing/emulator/http/sse';

export type ChunkSplit = 'events' | 'random';

export interface ReplayServerOptions {
  /** How SSE bodies are cut into writes. Default `'events'`. */
  chunkSplit?: ChunkSplit;
  /** Seed for `chunkSplit: 'random'` (combined with the interaction index). Default 1. */
  seed?: number;
  /** Pause between SSE chunks, in ms. Default 0 (= yield to the event loop with setImmediate). */
  chunkDelayMs?: number;
  /** Path prefix stripped from incoming URLs (must match the baseURL). Default `/v1`. */
  basePath?: string;
}

export interface ServedRequest {
  method: string;
  path: string; // without basePath
  query: string;
  body: unknown;
  headers: http.IncomingHttpHeaders;
  interaction: number | null; // index of the interaction served, null when unmatched
  status: number;
}

export interface ReplayServer {
  /** `http://127.0.0.1:<port>/v1`; pass as the SDK's `baseURL`. */
  baseURL: string;
  close(): Promise<void>;
  /** One line per request that matched nothing (answered with 418). */
  mismatches: string[];
  /** Non-fatal differences: extra query params, differing JSON bodies, out-of-order matches. */
  warnings: string[];
  /** Every request received, in arrival order. */
  requests: ServedRequest[];
  /** Number of interactions served so far. */
  readonly served: number;
  /** Number of interactions not served yet. */
  remaining(): number;
  /** The interactions not served yet. */
  unserved(): Interaction[];
  /** Forget what was served (and clear mismatches/warnings/requests) to replay the cassette again. */
  reset(): void;
}

export const MISMATCH_STATUS = 418;

export async function startReplayServer(cassette: Cassette, opts: ReplayServerOptions = {}): Promise<ReplayServer> {
  const chunkSplit: ChunkSplit = opts.chunkSplit ?? 'events';
  const seed = opts.seed ?? 1;
  const chunkDelayMs = opts.chunkDelayMs ?? 0;
  const basePath = (opts.basePath ?? '/v1').replace(/\/+$/, '');
  const used = new Array<boolean>(cassette.interactions.length).fill(false);
  const mismatches: string[] = [];
  const warnings: string[] = [];
  const requests: ServedRequest[] = [];
  let served = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks)).catch((err: unknown) => {
        mismatches.push(`internal replay error: ${(err as Error).stack ?? String(err)}`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, rawBody: Buffer): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://replay.invalid');
    let p = url.pathname;
    const underBase = basePath === '' || p === basePath || p.startsWith(basePath + '/');
    if (basePath && underBase) p = p.slice(basePath.length) || '/';
    const bodyText = rawBody.toString('utf8');
    const body = parseJsonMaybe(bodyText);
    const record: ServedRequest = {
      method,
      path: p,
      query: url.search,
      body,
      headers: req.headers,
      interaction: null,
      status: MISMATCH_STATUS,
    };
    requests.push(record);
    const label = `${method} ${url.pathname}${url.search}`;

    const firstUnused = used.indexOf(false);
    let found: Interaction | undefined;
    let extras: string[] = [];
    let samePathDiffQuery: Interaction | undefined;
    if (underBase) {
      for (const it of cassette.interactions) {
        if (used[it.index] || it.request.method !== method || it.request.path !== p) continue;
        const cmp = compareQuery(it.request.query, url.searchParams);
        if (cmp.ok) {
          found = it;
          extras = cmp.extra;
          break;
        }
        samePathDiffQuery ??= it;
      }
    }

    if (!found) {
      let why: string;
      if (!underBase) why = `path is not under ${basePath}`;
      else if (samePathDiffQuery)
        why = `query differs from unused interaction #${samePathDiffQuery.index} (recorded ?${samePathDiffQuery.request.query.toString()}): ${compareQuery(samePathDiffQuery.request.query, url.searchParams).problems.join('; ')}`;
      else {
        const next = firstUnused >= 0 ? cassette.interactions[firstUnused] : undefined;
        why = next
          ? `no unused interaction with this method+path; next unused is #${next.index} ${next.request.method} ${next.request.path}${next.request.query.size ? '?' + next.request.query.toString() : ''}`
          : 'all interactions already served';
      }
      const msg = `[${cassette.shortName}] unmatched ${label}: ${why}`;
      mismatches.push(msg);
      const errBody = JSON.stringify({
        error: { message: `Replay mismatch: ${msg}`, type: 'replay_mismatch', param: null, code: 'replay_mismatch' },
      });
      res.writeHead(MISMATCH_STATUS, 'Replay Mismatch', { 'content-type': 'application/json' });
      res.end(errBody);
      return;
    }

    used[found.index] = true;
    served++;
    record.interaction = found.index;
    record.status = found.response.status;
    if (firstUnused !== found.index) warnings.push(`[${cassette.shortName}] ${label} served interaction #${found.index} out of order (first unused was #${firstUnused})`);
    if (extras.length) warnings.push(`[${cassette.shortName}] ${label}: extra query params not in the recording: ${extras.join(', ')}`);
    const recBody = found.request.body;
    if (recBody !== undefined || body !== undefined) {
      if (!isDeepStrictEqual(normaliseBody(recBody), normaliseBody(body)))
        warnings.push(`[${cassette.shortName}] ${label} (#${found.index}): request body differs from the recording: sent ${truncate(bodyText)} recorded ${truncate(found.request.rawBody ?? '')}`);
    }

    const resp = found.response;
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(resp.headers)) headers[k] = v.length === 1 ? v[0] : v;
    if (resp.framing === 'length' && !resp.isSSE) headers['content-length'] = String(resp.body.length);
    if (resp.statusText) res.statusMessage = resp.statusText;
    res.writeHead(resp.status, headers);
    if (!resp.isSSE) {
      if (resp.body.length) res.write(resp.body);
      res.end();
      return;
    }
    res.flushHeaders();
    const pieces = chunkSplit === 'random' ? splitRandom(resp.body, seed * 7919 + found.index) : splitEvents(resp.body);
    for (const piece of pieces) {
      if (res.destroyed) return;
      res.write(piece);
      await pause(chunkDelayMs);
    }
    res.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}${basePath}`,
    mismatches,
    warnings,
    requests,
    get served() {
      return served;
    },
    remaining: () => used.filter((u) => !u).length,
    unserved: () => cassette.interactions.filter((it) => !used[it.index]),
    reset: () => {
      used.fill(false);
      served = 0;
      mismatches.length = 0;
      warnings.length = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Loose query comparison, see the header comment. */
export function compareQuery(recorded: URLSearchParams, actual: URLSearchParams): { ok: boolean; extra: string[]; problems: string[] } {
  const rec = groupQuery(recorded);
  const act = groupQuery(actual);
  const problems: string[] = [];
  for (const [k, values] of rec) {
    const got = act.get(k);
    if (!got) problems.push(`missing ${k}=${values.join(',')}`);
    else if (!isDeepStrictEqual([...got].sort(), [...values].sort())) problems.push(`${k}: sent ${got.join(',')} recorded ${values.join(',')}`);
  }
  const extra = [...act.keys()].filter((k) => !rec.has(k)).map((k) => `${k}=${act.get(k)!.join(',')}`);
  return { ok: problems.length === 0, extra, problems };
}

function groupQuery(q: URLSearchParams): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const [k, v] of q) {
    const key = k.replace(/\[\d*\]$/, '');
    const list = m.get(key) ?? [];
    list.push(v);
    m.set(key, list);
  }
  return m;
}

/** One chunk per SSE event (the separator stays with the event it ends). */
export function splitEvents(body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (;;) {
    const lf = body.indexOf('\n\n', start);
    const crlf = body.indexOf('\r\n\r\n', start);
    let end: number;
    if (lf < 0 && crlf < 0) break;
    if (crlf >= 0 && (lf < 0 || crlf < lf)) end = crlf + 4;
    else end = lf + 2;
    out.push(body.subarray(start, end));
    start = end;
  }
  if (start < body.length) out.push(body.subarray(start));
  return out;
}

/** Cuts at arbitrary byte offsets: many tiny chunks (1-8 bytes) mixed with larger ones (up to ~700). */
export function splitRandom(body: Buffer, seed: number): Buffer[] {
  const rnd = seededRandom('replay-split', seed);
  const out: Buffer[] = [];
  let i = 0;
  while (i < body.length) {
    const size = rnd() < 0.3 ? 1 + Math.floor(rnd() * 8) : 9 + Math.floor(rnd() * 700);
    out.push(body.subarray(i, Math.min(body.length, i + size)));
    i += size;
  }
  return out;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));
}

function parseJsonMaybe(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// `{}` and "no body" are the same request for our purpose (Ruby sends `{}` or "" for bodiless POSTs).
function normaliseBody(b: unknown): unknown {
  if (b === undefined || b === null) return undefined;
  if (typeof b === 'object' && !Array.isArray(b) && Object.keys(b).length === 0) return undefined;
  return b;
}

function truncate(s: string, n = 200): string {
  return s.length > n ? s.slice(0, n) + '…' : s;
}
