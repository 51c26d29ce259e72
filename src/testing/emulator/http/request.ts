import type { IncomingMessage } from 'node:http';
import { badRequest } from '../engine/errors';
import { parseMultipart } from './multipart';
import type { Query } from './pagination';
import { CHUNKINGS, type Chunking } from './sse';

// Reading an incoming request: its query, headers and body, as recorded and as the routes get them.

export const CHUNKING_HEADER = 'x-emulator-chunking';

export function chunkingOf(value: string | undefined, source: string): Chunking | undefined {
  if (value === undefined) return undefined;
  const found = CHUNKINGS.find((c) => c === value);
  if (!found) throw badRequest(`Invalid ${source} '${value}': expected one of ${CHUNKINGS.join(', ')}.`, source);
  return found;
}

export function isStreamBody(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { stream?: unknown }).stream === true;
}

export function parseQuery(search: URLSearchParams): Query {
  const out: Query = {};
  for (const [key, value] of search) {
    const prev = out[key];
    if (prev === undefined) out[key] = value;
    else out[key] = Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

export function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[k] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolveBody(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function isMultipart(contentType: string): boolean {
  return /^multipart\/form-data/i.test(contentType);
}

/** The body as recorded: JSON parsed, multipart summarised (field values, file names and sizes). */
export function recordedBody(raw: Buffer, contentType: string): unknown {
  if (raw.length === 0) return null;
  if (isMultipart(contentType)) {
    const summary: Record<string, unknown> = {};
    for (const part of parseMultipart(raw, contentType)) {
      summary[part.name] = part.filename !== undefined ? { filename: part.filename, bytes: part.data.length, content_type: part.contentType ?? null } : part.data.toString('utf8');
    }
    return summary;
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return raw.toString('utf8');
  }
}

/** The body as the routes get it: parsed JSON, {} when empty or multipart (routes parse that themselves). */
export function routeBody(raw: Buffer, contentType: string): unknown {
  if (raw.length === 0 || isMultipart(contentType)) return {};
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw badRequest(
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
    );
  }
}
