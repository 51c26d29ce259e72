// The one route table. Every SDK call reaches the hook as (method, path); this module turns that into
// the span name, the ids carried in the path, and, for the Assistants entities the trace model knows,
// a route kind that the tracker handles specially. Everything else gets a generic, consistently named span.

export type RouteKind =
  | 'assistant.create'
  | 'assistant.read'
  | 'thread.create'
  | 'thread.read'
  | 'run.create'
  | 'run.create_and_run'
  | 'run.retrieve'
  | 'run.submit_tool_outputs'
  | 'run.cancel'
  | 'message.create'
  | 'message.read'
  | 'response.create'
  | 'response.retrieve'
  | 'response.cancel'
  | 'conversation.create'
  | 'conversation.items'
  | 'conversation.read'
  | 'chat.create'
  | 'embeddings.create'
  | 'decision.create'
  | 'generic';

export interface Route {
  kind: RouteKind;
  /** e.g. `openai.threads.messages.create`; the tracker may choose a GenAI name instead. */
  name: string;
  /** e.g. `/threads/{thread_id}/runs/{run_id}` */
  template: string;
  threadId?: string;
  runId?: string;
  assistantId?: string;
  messageId?: string;
  stepId?: string;
  conversationId?: string;
  responseId?: string;
  itemId?: string;
}

// Keyed by `METHOD template`. Routes not listed are still traced, as generic spans.
const KINDS: Record<string, RouteKind> = {
  'POST /assistants': 'assistant.create',
  'GET /assistants/{assistant_id}': 'assistant.read',
  'POST /assistants/{assistant_id}': 'assistant.read',
  'GET /assistants': 'assistant.read',
  'POST /threads': 'thread.create',
  'GET /threads/{thread_id}': 'thread.read',
  'POST /threads/{thread_id}': 'thread.read',
  'POST /threads/runs': 'run.create_and_run',
  'POST /threads/{thread_id}/runs': 'run.create',
  'GET /threads/{thread_id}/runs/{run_id}': 'run.retrieve',
  'POST /threads/{thread_id}/runs/{run_id}/submit_tool_outputs': 'run.submit_tool_outputs',
  'POST /threads/{thread_id}/runs/{run_id}/cancel': 'run.cancel',
  'POST /threads/{thread_id}/messages': 'message.create',
  'GET /threads/{thread_id}/messages': 'message.read',
  'GET /threads/{thread_id}/messages/{message_id}': 'message.read',
  'POST /responses': 'response.create',
  'GET /responses/{response_id}': 'response.retrieve',
  'POST /responses/{response_id}/cancel': 'response.cancel',
  'POST /conversations': 'conversation.create',
  'POST /conversations/{conversation_id}/items': 'conversation.items',
  'GET /conversations/{conversation_id}/items': 'conversation.read',
  'GET /conversations/{conversation_id}': 'conversation.read',
  'POST /chat/completions': 'chat.create',
  'POST /embeddings': 'embeddings.create',
  'POST /decisions': 'decision.create',
};

const NAME_OVERRIDES: Record<string, string> = {
  'POST /threads/runs': 'openai.threads.create_and_run',
};

// Path words after an id that are actions on that entity rather than sub-collections.
const VERBS = new Set(['cancel', 'submit_tool_outputs', 'complete', 'search', 'content', 'poll']);

const ID_PARAM: Record<string, keyof Route> = {
  threads: 'threadId',
  runs: 'runId',
  assistants: 'assistantId',
  messages: 'messageId',
  steps: 'stepId',
  conversations: 'conversationId',
  responses: 'responseId',
  items: 'itemId',
};

// Each collection's id prefix. A compatible server's ids may be lowercase letters only (1 in ~2,500 of
// random [a-z0-9] ids is); with their collection's prefix they are still ids, and no path word has one.
const ID_PREFIX: Record<string, string> = {
  threads: 'thread_',
  runs: 'run_',
  assistants: 'asst_',
  messages: 'msg_',
  steps: 'step_',
  conversations: 'conv_',
  responses: 'resp_',
  vector_stores: 'vs_',
  batches: 'batch_',
};

/**
 * Whether `segments[i]` is an id. Path words are lowercase letters and underscores; OpenAI ids carry
 * digits or capitals, or (from compatible servers) at least their collection's prefix.
 */
function isIdAt(segments: string[], i: number): boolean {
  const seg = segments[i];
  if (i === 0 || seg === undefined) return false;
  if (!/^[a-z_]+$/.test(seg)) return true;
  const prefix = ID_PREFIX[segments[i - 1] ?? ''];
  return prefix !== undefined && seg.length > prefix.length && seg.startsWith(prefix);
}

function singular(word: string): string {
  return word.endsWith('ies') ? `${word.slice(0, -3)}y` : word.endsWith('s') ? word.slice(0, -1) : word;
}

/**
 * Routes by `METHOD path`, for the paths an app repeats (a thread's messages, a run's polls). Cleared
 * when full: a bound, not an LRU, since a miss only costs the parse below.
 */
const routeCache = new Map<string, Route>();
const ROUTE_CACHE_MAX = 256;

/** The route of a request; the returned object is shared (frozen): copy it to change a field. */
export function matchRoute(method: string, rawPath: string): Route {
  const cacheKey = `${method} ${rawPath}`;
  let route = routeCache.get(cacheKey);
  if (route) return route;
  route = Object.freeze(parseRoute(method, rawPath));
  if (routeCache.size >= ROUTE_CACHE_MAX) routeCache.clear();
  routeCache.set(cacheKey, route);
  return route;
}

function parseRoute(method: string, rawPath: string): Route {
  const m = method.toUpperCase();
  const path = stripPath(rawPath);
  const segments = path.split('/').filter(Boolean);
  const words: string[] = [];
  const templateParts: string[] = [];
  const route: Route = { kind: 'generic', name: '', template: '' };
  let lastWasId = false;
  for (const [i, seg] of segments.entries()) {
    if (isIdAt(segments, i)) {
      const collection = segments[i - 1] ?? '';
      templateParts.push(`{${singular(collection)}_id}`);
      const key = ID_PARAM[collection];
      if (key) (route as unknown as Record<string, string>)[key] = decodeSegment(seg);
      lastWasId = true;
    } else {
      templateParts.push(seg);
      words.push(seg);
      lastWasId = false;
    }
  }
  route.template = `/${templateParts.join('/')}`;
  const key = `${m} ${route.template}`;
  route.kind = KINDS[key] ?? 'generic';
  route.name = NAME_OVERRIDES[key] ?? ['openai', ...words, action(m, segments, lastWasId)].filter(Boolean).join('.');
  return route;
}

function action(method: string, segments: string[], lastWasId: boolean): string {
  const last = segments[segments.length - 1] ?? '';
  if (lastWasId) return method === 'GET' ? 'retrieve' : method === 'DELETE' ? 'delete' : 'update';
  if (VERBS.has(last) && isIdAt(segments, segments.length - 2)) return '';
  return method === 'GET' ? 'list' : method === 'DELETE' ? 'delete' : 'create';
}

/** A path segment's text; a malformed escape (a stray `%`) is kept as it is rather than thrown. */
function decodeSegment(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

/** Drop origin, query, a leading /v1 (an absolute URL can reach the hook as a path) and an Azure deployment. */
function stripPath(raw: string): string {
  let p = raw;
  const schemeEnd = p.indexOf('://');
  if (schemeEnd >= 0) p = p.slice(p.indexOf('/', schemeEnd + 3) >>> 0 || p.length);
  const q = p.indexOf('?');
  if (q >= 0) p = p.slice(0, q);
  if (p.startsWith('/v1/')) p = p.slice(3);
  // Azure OpenAI routes model endpoints through a deployment (`/deployments/{name}/chat/completions`).
  const azure = /^\/deployments\/[^/]+(?=\/)/.exec(p);
  if (azure) p = p.slice(azure[0].length);
  return p;
}
