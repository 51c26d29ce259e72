// App scenario: replays a recorded OpenAI session through the SDK's high-level methods.
//
//   export default async function drive(ctx)
//     ctx.OpenAI   the SDK client class (any major 4..7)
//     ctx.major    4 | 5 | 6 | 7
//     ctx.compat   the `compat(client, major)` function of test/scenarios/compat.mjs (imported from there
//                  when absent)
//     ctx.baseURL  the replay server's base URL (`http://127.0.0.1:<port>/v1`)
//     ctx.args     { cassette: '<abs path of the cassette YAML>' }
//
// The cassette's recorded requests are issued in order, with the recorded bodies/queries and ids, one
// SDK call per recorded request (run polling is the app's own loop: one `runs.retrieve` per recorded GET).
// A request whose body says `stream: true` (or whose recorded response is SSE) is made with `stream: true`
// and the returned stream is iterated to the end with `for await`. Errors are caught and recorded.
//
// Returns (JSON-serialisable):
//   { calls: [{ index, method, path, query?, route, status, ok, error?: { name, status }, events?, result? }],
//     threadIds, runIds, assistantIds }
//   - `events`: what the SDK's stream yielded, in order (assistants: `event.event`; responses: `event.type`).
//     The terminal `event: done` / `data: [DONE]` is consumed by the SDK and never yielded.
//   - `result`: `{ object, id, status }` of a non-streamed JSON object result (pages: `{ object: 'list', count }`).
//   - ids are collected from the request paths and from response objects / stream events, first seen first.
//
// This file is plain JS so it can run in a child process without a TypeScript loader; it reads the
// cassette itself with `readPlan` (request side only; test/replay/cassette.ts is the full loader and the
// self-test checks that both agree).
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { compatExtra } from './compat-extra.mjs';

const rubyBinaryTag = {
  tag: '!binary',
  resolve: (value) => new Uint8Array(Buffer.from(value.replace(/\s+/g, ''), 'base64')),
};

/** The recorded requests of a cassette: [{ index, method, path (no /v1), query: URLSearchParams, body, status, isSSE }]. */
export function readPlan(file) {
  const doc = YAML.parse(readFileSync(file, 'utf8'), { schema: 'yaml-1.1', customTags: [rubyBinaryTag] });
  const list = doc.interactions ?? doc.http_interactions;
  if (!Array.isArray(list)) throw new Error(`${file}: not a VCR cassette`);
  return list.map((it, index) => {
    const u = new URL(String(it.request.uri));
    let raw = it.request.body;
    if (raw && typeof raw === 'object' && !(raw instanceof Uint8Array)) raw = raw.string;
    const text = raw == null ? '' : raw instanceof Uint8Array ? Buffer.from(raw).toString('utf8') : String(raw);
    let body;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const st = it.response.status;
    let contentType = '';
    for (const [k, v] of Object.entries(it.response.headers ?? {})) if (k.toLowerCase() === 'content-type') contentType = String(Array.isArray(v) ? v[0] : v);
    return {
      index,
      method: String(it.request.method).toUpperCase(),
      path: u.pathname.replace(/^\/v1(?=\/|$)/, '') || '/',
      query: u.searchParams,
      body,
      status: Number(st && typeof st === 'object' ? st.code : st),
      isSSE: /^text\/event-stream\b/i.test(contentType),
    };
  });
}

const ID = '([^/]+)';
const ROUTES = [
  ['POST', '/assistants', 'assistants.create'],
  ['GET', `/assistants/${ID}`, 'assistants.retrieve'],
  ['POST', '/threads', 'threads.create'],
  ['POST', '/threads/runs', 'threads.createAndRun'],
  ['GET', `/threads/${ID}`, 'threads.retrieve'],
  ['POST', `/threads/${ID}/messages`, 'messages.create'],
  ['GET', `/threads/${ID}/messages`, 'messages.list'],
  ['GET', `/threads/${ID}/messages/${ID}`, 'messages.retrieve'],
  ['POST', `/threads/${ID}/runs`, 'runs.create'],
  ['GET', `/threads/${ID}/runs`, 'runs.list'],
  ['GET', `/threads/${ID}/runs/${ID}`, 'runs.retrieve'],
  ['POST', `/threads/${ID}/runs/${ID}`, 'runs.update'],
  ['POST', `/threads/${ID}/runs/${ID}/cancel`, 'runs.cancel'],
  ['POST', `/threads/${ID}/runs/${ID}/submit_tool_outputs`, 'runs.submitToolOutputs'],
  ['GET', `/threads/${ID}/runs/${ID}/steps`, 'steps.list'],
  ['GET', `/threads/${ID}/runs/${ID}/steps/${ID}`, 'steps.retrieve'],
  ['POST', '/vector_stores', 'vectorStores.create'],
  ['POST', `/vector_stores/${ID}/files`, 'vectorStores.files.create'],
  ['POST', '/chat/completions', 'chat.completions.create'],
  ['POST', '/embeddings', 'embeddings.create'],
  ['POST', '/responses', 'responses.create'],
].map(([method, pattern, name]) => ({ method, re: new RegExp(`^${pattern}$`), name }));

/** Which high-level SDK method a recorded request maps to: { name, ids } (name `client.<method>` when none). */
export function routeOf(method, path) {
  for (const r of ROUTES) {
    if (r.method !== method) continue;
    const m = r.re.exec(path);
    if (m) return { name: r.name, ids: m.slice(1).map(decodeURIComponent) };
  }
  return { name: `client.${method.toLowerCase()}`, ids: [] };
}

// `include[]=a&order=asc` -> { include: ['a'], order: 'asc' }
function queryParams(query) {
  const out = {};
  for (const [k, v] of query) {
    if (k.endsWith('[]')) (out[k.slice(0, -2)] ??= []).push(v);
    else out[k] = k === 'limit' && /^\d+$/.test(v) ? Number(v) : v;
  }
  return out;
}

export default async function drive(ctx) {
  const major = ctx.major ?? 6;
  const client = new ctx.OpenAI({ apiKey: 'sk-test-replay', baseURL: ctx.baseURL, maxRetries: 0 });
  // ctx.compat: the compat function (or the compat.mjs module namespace); imported when absent.
  const compatFn = typeof ctx.compat === 'function' ? ctx.compat : typeof ctx.compat?.compat === 'function' ? ctx.compat.compat : (await import('../scenarios/compat.mjs')).compat;
  const c = compatFn(client, major);
  const x = compatExtra(client, major);
  const plan = readPlan(ctx.args.cassette);

  const threadIds = new Set();
  const runIds = new Set();
  const assistantIds = new Set();
  const add = (set, id) => {
    if (typeof id === 'string' && id) set.add(id);
  };
  const noteIds = (o) => {
    if (!o || typeof o !== 'object') return;
    if (Array.isArray(o.data)) o.data.forEach(noteIds); // list pages
    if (o.object === 'thread') add(threadIds, o.id);
    if (o.object === 'thread.run') add(runIds, o.id);
    if (o.object === 'assistant') add(assistantIds, o.id);
    add(threadIds, o.thread_id);
    add(runIds, o.run_id);
    add(assistantIds, o.assistant_id);
  };
  const notePath = (path) => {
    add(threadIds, /\/threads\/(thread_[^/]+)/.exec(path)?.[1]);
    add(runIds, /\/runs\/(run_[^/]+)/.exec(path)?.[1]);
    add(assistantIds, /\/assistants\/(asst_[^/]+)/.exec(path)?.[1]);
  };

  function invoke(step, route, streaming) {
    const [id1, id2, id3] = route.ids;
    const body = step.body;
    const params = queryParams(step.query);
    const withStream = (b) => (streaming ? { ...b, stream: true } : b);
    switch (route.name) {
      case 'assistants.create':
        return c.assistants.create(body);
      case 'assistants.retrieve':
        return c.assistants.retrieve(id1);
      case 'threads.create':
        return c.threads.create(body ?? {});
      case 'threads.createAndRun':
        return c.threads.createAndRun(withStream(body));
      case 'threads.retrieve':
        return c.threads.retrieve(id1);
      case 'messages.create':
        return c.messages.create(id1, body);
      case 'messages.list':
        return c.messages.list(id1, params);
      case 'messages.retrieve':
        return c.messages.retrieve(id1, id2);
      case 'runs.create': {
        // `include[]` on the recorded query is the SDK's `include` param (sent as query by the SDK).
        const include = params.include;
        return c.runs.create(id1, withStream({ ...body, ...(include ? { include } : {}) }));
      }
      case 'runs.list':
        return c.runs.list(id1, params);
      case 'runs.retrieve':
        return c.runs.retrieve(id1, id2);
      case 'runs.update':
        return x.runs.update(id1, id2, body);
      case 'runs.cancel':
        return c.runs.cancel(id1, id2);
      case 'runs.submitToolOutputs':
        return c.runs.submitToolOutputs(id1, id2, withStream(body));
      case 'steps.list':
        return c.steps.list(id1, id2, params);
      case 'steps.retrieve':
        return c.steps.retrieve(id1, id2, id3, params);
      case 'vectorStores.create':
        return x.vectorStores.create(body ?? {});
      case 'vectorStores.files.create':
        return x.vectorStores.files.create(id1, body);
      case 'chat.completions.create':
        return x.chat.completions.create(withStream(body));
      case 'embeddings.create':
        return x.embeddings.create(body);
      case 'responses.create':
        return x.responses.create(withStream(body));
      default: {
        // No high-level method: the SDK's generic request methods (still the SDK's HTTP stack).
        const method = step.method.toLowerCase();
        const opts = { query: params, ...(body !== undefined ? { body } : {}), ...(streaming ? { stream: true } : {}) };
        return client[method](step.path, opts);
      }
    }
  }

  async function perform(step) {
    const route = routeOf(step.method, step.path);
    const streaming = step.isSSE || (step.body && typeof step.body === 'object' && step.body.stream === true);
    const qs = step.query.toString();
    const call = { index: step.index, method: step.method, path: step.path, ...(qs ? { query: qs } : {}), route: route.name, status: 0, ok: false };
    notePath(step.path);
    try {
      const { data, response } = await invoke(step, route, streaming).withResponse();
      call.status = response.status;
      if (streaming && data && typeof data[Symbol.asyncIterator] === 'function') {
        call.events = [];
        for await (const ev of data) {
          call.events.push(ev?.event ?? ev?.type ?? ev?.object ?? 'chunk');
          noteIds(ev?.event ? ev.data : ev);
        }
      } else {
        noteIds(data);
        if (data && typeof data === 'object')
          call.result = Array.isArray(data.data) ? { object: data.object ?? 'list', count: data.data.length } : { object: data.object, id: data.id, status: data.status };
      }
      call.ok = true;
    } catch (err) {
      call.error = { name: err?.constructor?.name ?? 'Error', status: err?.status, message: String(err?.message ?? err).slice(0, 300) };
      if (!call.status) call.status = typeof err?.status === 'number' ? err.status : 0;
    }
    return call;
  }

  const calls = [];
  for (let i = 0; i < plan.length; i++) {
    const step = plan[i];
    const route = routeOf(step.method, step.path);
    if (route.name === 'runs.retrieve') {
      // The app's polling loop: one retrieve per recorded GET of this run, until the recording moves on
      // (the recording is the clock: a real app would stop on a terminal status, the recording already did).
      let current = step;
      for (;;) {
        const call = await perform(current);
        call.poll = true;
        calls.push(call);
        const next = plan[i + 1];
        if (!next || next.method !== 'GET' || next.path !== current.path || next.query.toString() !== current.query.toString()) break;
        current = next;
        i++;
      }
      continue;
    }
    calls.push(await perform(step));
  }
  return { calls, threadIds: [...threadIds], runIds: [...runIds], assistantIds: [...assistantIds] };
}
