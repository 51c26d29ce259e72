import { ApiError } from '../engine/errors';
import type { Query } from './pagination';

// A tiny router: routes are `METHOD /path/:param` patterns matched segment by segment, first match wins
// (so literal paths such as /threads/runs must come before /threads/:thread_id).

export interface ApiRequest {
  method: string;
  /** Path below /v1, e.g. `/threads/thread_abc/runs`. */
  path: string;
  query: Query;
  /** Parsed JSON body (or {} when empty). */
  body: unknown;
  rawBody: Buffer;
  headers: Record<string, string>;
  params: Record<string, string>;
}

export type Handler = (req: ApiRequest) => unknown;

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  pattern: string;
  handler: Handler;
}

export function route(method: Route['method'], pattern: string, handler: Handler): Route {
  return { method, pattern, handler };
}

function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const g = got[i] as string;
    if (w.startsWith(':')) params[w.slice(1)] = decodeURIComponent(g);
    else if (w !== g) return null;
  }
  return params;
}

/** Finds the handler; unknown paths are 404 and known paths with another method 405 ("Invalid URL"). */
export function resolve(routes: readonly Route[], method: string, path: string): { handler: Handler; params: Record<string, string> } {
  let pathKnown = false;
  for (const r of routes) {
    const params = match(r.pattern, path);
    if (!params) continue;
    if (r.method === method) return { handler: r.handler, params };
    pathKnown = true;
  }
  const message = `Invalid URL (${method} /v1${path})`;
  throw pathKnown ? new ApiError(405, message) : new ApiError(404, message);
}
