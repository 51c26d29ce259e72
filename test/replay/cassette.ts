// Loads one recorded cassette (VCR.py YAML or Ruby VCR YAML) from test/fixtures/recordings and
// normalises it into plain request/response pairs that the replay server can serve byte for byte.
//
// Conventions (read these before using the types):
// - `request.path` is the API path WITHOUT the `/v1` prefix and without the query string, i.e. the
//   same string the SDK takes in `client.get(path)` / `client.post(path)` (e.g. `/threads/thread_x/runs`).
//   `request.url` keeps the original recorded URI untouched.
// - `request.query` is a URLSearchParams of the recorded query (keys as recorded, e.g. `include[]`).
// - `request.body` is the parsed JSON request body, or `undefined` when the body was empty;
//   `request.rawBody` keeps the recorded text.
// - Header names are lower-cased; every value is an array (a header may repeat, e.g. set-cookie).
// - `response.body` is the decoded payload: `!!binary` (VCR.py) / `!binary` (Ruby VCR) base64 is
//   decoded, gzip/deflate/br is undone, so it is exactly what the API produced before transfer coding.
//   Because of that, `content-encoding` and `content-length` are removed from `response.headers`, and so
//   are the hop-by-hop headers `transfer-encoding`, `connection` and `keep-alive`. `response.framing`
//   says whether the real response was chunked or had a Content-Length.
// - YAML is parsed with the YAML 1.1 schema: both PyYAML and Ruby's Psych emit YAML 1.1, and it is the
//   schema that knows `!!binary`. Ruby VCR's local `!binary` tag is registered as a custom tag.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import YAML from 'yaml';

/**
 * The recordings vendored into the repository (test/fixtures/recordings, see its SOURCES.md; refreshed
 * with `npm run fixtures:sync`); SPANLENS_RECORDINGS points the suites at another folder of the same layout.
 */
export const RECORDINGS_DIR = process.env.SPANLENS_RECORDINGS || path.resolve(__dirname, '../fixtures/recordings');

export type CassetteFormat = 'vcrpy' | 'ruby-vcr';
export type Headers = Record<string, string[]>;

export interface RecordedRequest {
  method: string; // upper case
  url: string; // as recorded
  path: string; // without the /v1 prefix and without query
  query: URLSearchParams;
  body: unknown; // parsed JSON, or undefined when empty (a non-JSON body is kept as a string)
  rawBody: string | undefined;
  headers: Headers;
}

export interface RecordedResponse {
  status: number;
  statusText: string;
  headers: Headers; // lower-case; content-encoding, content-length and hop-by-hop headers removed
  body: Buffer; // decoded (gunzipped) bytes
  isSSE: boolean; // content-type text/event-stream
  framing: 'chunked' | 'length';
}

export interface Interaction {
  index: number;
  request: RecordedRequest;
  response: RecordedResponse;
}

export interface Cassette {
  file: string; // absolute path
  name: string; // file name without extension
  shortName: string; // name without the long source prefix (e.g. `test_assistant__test_new_assistant`)
  source: string; // the folder it came from, e.g. `traceloop__openllmetry`
  format: CassetteFormat;
  interactions: Interaction[];
}

const API_PREFIX = '/v1';
const DROPPED_RESPONSE_HEADERS = new Set(['content-encoding', 'content-length', 'transfer-encoding', 'connection', 'keep-alive']);
const NAME_PREFIXES = ['packages__opentelemetry-instrumentation-openai__tests__traces__cassettes__', 'packages__opentelemetry-instrumentation-', 'spec__fixtures__cassettes__'];

// Ruby VCR marks bodies that are not valid UTF-8 text with the local tag `!binary` (base64 payload).
const rubyBinaryTag: YAML.ScalarTag = {
  tag: '!binary',
  resolve: (value: string) => new Uint8Array(Buffer.from(value.replace(/\s+/g, ''), 'base64')),
};

/** Header lookup helper: first value of a (case-insensitive) header, or undefined. */
export function header(headers: Headers, name: string): string | undefined {
  return headers[name.toLowerCase()]?.[0];
}

/** Every cassette file under the recordings folder (both source folders), sorted. */
export function listCassettes(dir: string = RECORDINGS_DIR): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const p = path.join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...listCassettes(p));
    else if (/\.ya?ml$/.test(entry)) out.push(p);
  }
  return out;
}

export function loadCassette(file: string): Cassette {
  const abs = path.resolve(file);
  const doc: unknown = YAML.parse(readFileSync(abs, 'utf8'), {
    schema: 'yaml-1.1',
    customTags: [rubyBinaryTag],
  });
  if (!isRecord(doc)) throw new Error(`${abs}: not a YAML mapping`);
  let format: CassetteFormat;
  let list: unknown;
  if (Array.isArray(doc.interactions)) {
    format = 'vcrpy';
    list = doc.interactions;
  } else if (Array.isArray(doc.http_interactions)) {
    format = 'ruby-vcr';
    list = doc.http_interactions;
  } else {
    throw new Error(`${abs}: neither \`interactions\` (VCR.py) nor \`http_interactions\` (Ruby VCR)`);
  }
  const name = path.basename(abs).replace(/\.ya?ml$/, '');
  const prefix = NAME_PREFIXES.find((p) => name.startsWith(p));
  return {
    file: abs,
    name,
    shortName: prefix ? name.slice(prefix.length) : name,
    source: path.basename(path.dirname(abs)),
    format,
    interactions: (list as unknown[]).map((raw, index) => normaliseInteraction(raw, index, abs)),
  };
}

function normaliseInteraction(raw: unknown, index: number, file: string): Interaction {
  const where = `${file} interaction #${index}`;
  if (!isRecord(raw) || !isRecord(raw.request) || !isRecord(raw.response)) throw new Error(`${where}: malformed`);
  const req = raw.request;
  const res = raw.response;

  const url = String(req.uri);
  const u = new URL(url);
  let p = u.pathname;
  if (p === API_PREFIX || p.startsWith(API_PREFIX + '/')) p = p.slice(API_PREFIX.length) || '/';
  const rawBody = bodyText(req.body);
  const reqBodyText = rawBody === undefined ? undefined : rawBody.toString('utf8');
  const request: RecordedRequest = {
    method: String(req.method).toUpperCase(),
    url,
    path: p,
    query: new URLSearchParams(u.search),
    body: parseJsonMaybe(reqBodyText),
    rawBody: reqBodyText === '' ? undefined : reqBodyText,
    headers: normaliseHeaders(req.headers),
  };

  const allResHeaders = normaliseHeaders(res.headers);
  const status = isRecord(res.status) ? Number(res.status.code) : Number(res.status);
  const statusText = isRecord(res.status) && res.status.message != null ? String(res.status.message) : '';
  const encoding = header(allResHeaders, 'content-encoding');
  const body = decodeContent(bodyText(res.body) ?? Buffer.alloc(0), encoding, where);
  const headers: Headers = {};
  for (const [k, v] of Object.entries(allResHeaders)) if (!DROPPED_RESPONSE_HEADERS.has(k)) headers[k] = v;
  const contentType = header(headers, 'content-type') ?? '';
  const response: RecordedResponse = {
    status,
    statusText,
    headers,
    body,
    isSSE: /^text\/event-stream\b/i.test(contentType),
    framing: allResHeaders['content-length'] && !allResHeaders['transfer-encoding'] ? 'length' : 'chunked',
  };
  if (!Number.isInteger(status)) throw new Error(`${where}: no status code`);
  return { index, request, response };
}

// A VCR body is either a scalar (string / bytes), or a mapping `{string: ...}` (VCR.py) /
// `{encoding, string}` (Ruby VCR). Returns the raw bytes, or undefined for "no body".
function bodyText(body: unknown): Buffer | undefined {
  let v: unknown = body;
  if (isRecord(v)) v = v.string;
  if (v == null) return undefined;
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  return Buffer.from(String(v), 'utf8');
}

function decodeContent(buf: Buffer, encoding: string | undefined, where: string): Buffer {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (!enc || enc === 'identity') return buf;
  try {
    // Only undo the coding if the bytes really carry it (some recorders store the decoded text).
    if (enc === 'gzip' || enc === 'x-gzip') return buf[0] === 0x1f && buf[1] === 0x8b ? gunzipSync(buf) : buf;
    if (enc === 'deflate') return inflateSync(buf);
    if (enc === 'br') return brotliDecompressSync(buf);
  } catch (err) {
    throw new Error(`${where}: cannot decode ${enc} body: ${(err as Error).message}`, { cause: err });
  }
  throw new Error(`${where}: unsupported content-encoding ${enc}`);
}

function normaliseHeaders(raw: unknown): Headers {
  const out: Headers = {};
  if (!isRecord(raw)) return out;
  for (const [k, v] of Object.entries(raw)) {
    const values = (Array.isArray(v) ? v : [v]).filter((x) => x != null).map((x) => String(x));
    const key = k.toLowerCase();
    (out[key] ??= []).push(...values);
  }
  return out;
}

function parseJsonMaybe(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}
