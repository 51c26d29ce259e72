// One benchmark configuration in its own process (forked by run.mjs): sets up tracing for the
// configuration, then runs the batches the parent asks for and reports numbers over IPC.
// argv: scenario config
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { agentRuns } from './agents.mjs';
import { realtimeEvents, realtimeSoak } from './realtime.mjs';
import { chatBody } from './fixtures.mjs';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const [_scenario, config] = process.argv.slice(2); // the batches say which scenario
const PKG = '@spanlens/instrumentation-openai';

const api = require('@opentelemetry/api');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { AlwaysOffSampler, BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { ProtobufTraceSerializer } = require('@opentelemetry/otlp-transformer');

// The package under test must see the bench's OTel API, not the repo's devDependency: two API copies
// would still share the global provider only by luck of matching versions. Fail loudly otherwise.
const benchApi = require.resolve('@opentelemetry/api');
const pkgApi = require.resolve('@opentelemetry/api', { paths: [path.dirname(require.resolve(PKG))] });
if (benchApi !== pkgApi) throw new Error(`two @opentelemetry/api copies: ${benchApi} vs ${pkgApi}`);

// An exporter that does the real OTLP work (protobuf serialization) and drops the bytes.
const exported = { spans: 0, bytes: 0 };
const exporter = {
  export(spans, done) {
    exported.spans += spans.length;
    exported.bytes += ProtobufTraceSerializer.serializeRequest(spans)?.length ?? 0;
    done({ code: 0 });
  },
  shutdown: async () => {},
  forceFlush: async () => {},
};

api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
// Node 20's AsyncLocalStorage installs its promise hooks on its first run(), which in an app with an OTel SDK
// happens at the first span export (BatchSpanProcessor exports inside context.with) or the first request an
// HTTP instrumentation sees. Every configuration starts with it active, so the baseline is not an app whose
// OTel SDK has never done anything; 'none-idle' keeps it inactive, to show what that costs on its own.
if (config !== 'none-idle') api.context.with(api.ROOT_CONTEXT, () => undefined);
let idGenerator;
if (config.startsWith('ours')) idGenerator = new (require(PKG).ThreadTraceIdGenerator)();
// 'ours-unsampled': the instrumentation observes everything but no span is sampled (AlwaysOff), which
// separates the cost of observing from the cost of recording and exporting spans.
const sampler = config === 'ours-unsampled' ? new AlwaysOffSampler() : undefined;
const provider = new BasicTracerProvider({ idGenerator, sampler, spanProcessors: [new BatchSpanProcessor(exporter)] });
api.trace.setGlobalTracerProvider(provider);

let inst;
if (config === 'ours' || config === 'ours-unsampled') inst = new (require(PKG).OpenAIInstrumentation)();
// The soak runs with a small entity bound so it passes the bound (default 10000) within the soak.
else if (config === 'ours-bounded') inst = new (require(PKG).OpenAIInstrumentation)({ maxTrackedEntities: 500 });
else if (config === 'ours-nocontent') inst = new (require(PKG).OpenAIInstrumentation)({ captureContent: false });
else if (config === 'otel') inst = new (require('@opentelemetry/instrumentation-openai').OpenAIInstrumentation)();
else if (config === 'arize') inst = new (require('@arizeai/openinference-instrumentation-openai').OpenAIInstrumentation)();
// 'sdk-noop' (agent runs only): no instrumentation; agents.mjs turns the Agents SDK's own tracing on.
else if (!['none', 'none-idle', 'floor', 'sdk-noop'].includes(config)) throw new Error(`unknown config ${config}`);
if (inst) {
  inst.setTracerProvider(provider);
  inst.enable();
}
// Required after the instrumentations are enabled so their require hooks patch it.
const OpenAI = require('openai').default ?? require('openai');
// 'floor': the least any tracing of these calls can cost: one span per SDK request, no attributes, no body
// observed, ended when the request settles, through the same batch processor and OTLP serialization.
if (config === 'floor') {
  const tracer = provider.getTracer('floor');
  const proto = OpenAI.prototype;
  const makeRequest = proto.makeRequest;
  proto.makeRequest = function floorMakeRequest(...args) {
    const span = tracer.startSpan('openai');
    const p = makeRequest.apply(this, args);
    p.then(
      () => span.end(),
      () => span.end(),
    );
    return p;
  };
}

const flushAll = async () => {
  if (inst?.flush) await inst.flush();
  await provider.forceFlush();
};
const cpuMs = (c) => (c.user + c.system) / 1000;
const gc = () => {
  for (let i = 0; i < 3; i++) global.gc();
};
const heapMB = () => process.memoryUsage().heapUsed / 1048576;

let client;
let chatClient;
let streamClient;
let streamSeq = 0;
let streamURL;
let emulatorURL;
/** The long stream's events, fetched once, for the in-process stream batches. */
let inProcessTemplate;
/** Per batch: fresh assistant and thread (the parent reset the emulator before the batch). */
async function assistant(tools) {
  return client.beta.assistants.create({ model: 'gpt-4o-mini', name: 'Bench agent', tools });
}

async function timed(n, fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  const tCalls = performance.now() - t0;
  await flushAll(); // export cost belongs to the calls that produced the spans
  const wall = performance.now() - t0;
  return { n, wallMs: wall / n, callMs: tCalls / n, cpuMs: cpuMs(process.cpuUsage(c0)) / n };
}

/** A client whose fetch answers every request in this process with the JSON `body()` gives. */
function inProcessClient(body) {
  let seq = 0;
  const fetch = async () => new Response(body(), { status: 200, headers: { 'content-type': 'application/json', 'x-request-id': `req_ip${++seq}` } });
  return new OpenAI({ apiKey: 'bench', baseURL: 'http://bench.invalid/v1', fetch, maxRetries: 0 });
}

const batches = {
  async retrieve(n) {
    const a = await assistant([]);
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'hello' }] });
    const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: a.id });
    await flushAll();
    return timed(n, () => client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id }));
  },
  async message(n) {
    const thread = await client.beta.threads.create();
    return timed(n, (i) => client.beta.threads.messages.create(thread.id, { role: 'user', content: `question ${i}` }));
  },
  async chat(n) {
    return timed(n, () => chatClient.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hi' }] }));
  },
  /**
   * The chat and messages.create calls with the SDK's fetch answered in this process (no sockets, no
   * server on the machine): the per-call CPU of each configuration, steady enough to compare changes.
   */
  async chatInProcess(n) {
    const c = inProcessClient(() => chatBody);
    return timed(n, () => c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hi' }] }));
  },
  async messageInProcess(n) {
    let seq = 0;
    const threadId = 'thread_inProcess01';
    const c = inProcessClient(() =>
      JSON.stringify({
        id: `msg_ip${++seq}`,
        object: 'thread.message',
        created_at: 1700000000,
        thread_id: threadId,
        role: 'user',
        content: [{ type: 'text', text: { value: `question ${seq}`, annotations: [] } }],
        attachments: [],
        metadata: {},
        assistant_id: null,
        run_id: null,
      }),
    );
    return timed(n, (i) => c.beta.threads.messages.create(threadId, { role: 'user', content: `question ${i}` }));
  },
  /** Polled 'code' runs, then the app lists the thread's messages (what most apps do next). */
  async polledRead(n) {
    return this.polled(n, true);
  },
  /** Polled 'code' runs: the app only polls (does not read the messages). */
  async polled(n, read = false) {
    const a = await assistant([{ type: 'code_interpreter' }]);
    const threads = [];
    for (let i = 0; i < n; i++) threads.push(await client.beta.threads.create({ messages: [{ role: 'user', content: `plot values ${i}` }] }));
    process.send({ type: 'mark' }); // requests from here on belong to the runs
    await new Promise((r) => process.once('message', r));
    let steps = 0;
    const r = await timed(n, async (i) => {
      const run = await client.beta.threads.runs.createAndPoll(threads[i].id, { assistant_id: a.id }, { pollIntervalMs: 1 });
      if (run.status !== 'completed') throw new Error(`run ${run.status}`);
      if (read) await client.beta.threads.messages.list(threads[i].id);
      if (i === 0) steps = (await client.beta.threads.runs.steps.list(run.id, { thread_id: threads[i].id })).data.length;
    });
    return { ...r, steps };
  },
  async stream(n) {
    // n runs of the long-stream server's N events each (see long-stream.mjs).
    let events = 0;
    let peak = heapMB();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let runs = 0; runs < n; runs++) {
      const s = await streamClient.beta.threads.runs.create(`thread_bench${++streamSeq}`, { assistant_id: 'asst_bench', stream: true });
      for await (const _ev of s) {
        if (++events % 200 === 0) peak = Math.max(peak, heapMB());
      }
    }
    await flushAll();
    const ms = performance.now() - t0;
    return { events, runs: n, ms, eventsPerSec: (events / ms) * 1000, cpuMsPerEvent: cpuMs(process.cpuUsage(c0)) / events, peakHeapMB: peak };
  },
  /**
   * The same N-event run with the SDK's fetch answered in this process from chunks encoded beforehand (one
   * per event, as the server writes them): the app's CPU per event with no sockets and no server sharing
   * the machine, far steadier than the loopback rate.
   */
  async streamInProcess(n) {
    if (!inProcessTemplate) {
      const res = await fetch(`${streamURL}/threads/thread_inprocT/runs`, { method: 'POST', body: '{}' });
      const k = /\d+$/.exec(res.headers.get('x-request-id'))[0];
      inProcessTemplate = {
        k,
        events: (await res.text())
          .split('\n\n')
          .filter(Boolean)
          .map((e) => `${e}\n\n`),
      };
    }
    const { k, events } = inProcessTemplate;
    const encoder = new TextEncoder();
    const bodies = Array.from({ length: n }, () => {
      const id = `ip${++streamSeq}`;
      return events.map((e) => encoder.encode(e.replaceAll(`_long${k}"`, `_${id}"`).replaceAll('thread_inprocT', `thread_${id}`)));
    });
    const fakeFetch = async () => {
      const chunks = bodies.shift();
      let i = 0;
      const body = new ReadableStream({ pull: (c) => (i < chunks.length ? c.enqueue(chunks[i++]) : c.close()) });
      return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream', 'x-request-id': `req_${streamSeq}` } });
    };
    const c = new OpenAI({ apiKey: 'bench', baseURL: 'http://bench.invalid/v1', fetch: fakeFetch, maxRetries: 0 });
    let count = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let r = 0; r < n; r++) {
      const s = await c.beta.threads.runs.create(`thread_ip${streamSeq - n + r + 1}`, { assistant_id: 'asst_bench', stream: true });
      for await (const _ev of s) count++;
    }
    await flushAll();
    const ms = performance.now() - t0;
    return { events: count, runs: n, ms, usPerEvent: (ms * 1000) / count, cpuUsPerEvent: (cpuMs(process.cpuUsage(c0)) * 1000) / count };
  },
  /** An Agents SDK run with two tool calls, answered in-process (agents.mjs). */
  agentRun: (n) => agentRuns(n, { config, emulatorURL, timed }),
  /** A Realtime session over loopback: responses until n server events arrived (realtime.mjs). */
  realtimeEvents: (n) => realtimeEvents(n, { emulatorURL, flush: flushAll }),
  /** Soak: n responses on one Realtime session, heap after GC every n/20 (realtime.mjs). */
  realtimeSoak: (n) => realtimeSoak(n, Math.max(1, Math.round(n / 20)), { emulatorURL, flush: flushAll, gc, heapMB }),
  /** Soak: polled and streamed runs alternately, heap after GC every `every` runs. */
  async soak(n, every = 100) {
    let a = await assistant([{ type: 'code_interpreter' }]);
    gc();
    const samples = [{ runs: 0, heapMB: heapMB() }];
    for (let i = 1; i <= n; i++) {
      const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: `soak ${i}` }] });
      if (i % 2) await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: a.id }, { pollIntervalMs: 1 });
      else for await (const _ev of await client.beta.threads.runs.create(thread.id, { assistant_id: a.id, stream: true }));
      if (i % every === 0) {
        await flushAll();
        gc();
        samples.push({ runs: i, heapMB: heapMB() });
        process.send({ type: 'reset' }); // keep the emulator's own memory bounded
        await new Promise((r) => process.once('message', r));
        a = await assistant([{ type: 'code_interpreter' }]);
      }
    }
    return { samples };
  },
  /**
   * Retained heap for n distinct threads and runs. Through the real SDK and instrumentation, but the
   * SDK's fetch is answered in-process (no HTTP: 100k runs over loopback would take minutes).
   */
  async threads(n) {
    let seq = 0;
    const json = (body) => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json', 'x-request-id': `req_${++seq}` } });
    const now = () => Math.floor(Date.now() / 1000);
    const usage = { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 };
    const runObj = (t, r, status) => ({
      id: r,
      object: 'thread.run',
      created_at: now(),
      thread_id: t,
      assistant_id: 'asst_bench',
      status,
      model: 'gpt-4o-mini',
      instructions: '',
      tools: [],
      metadata: {},
      usage: status === 'completed' ? usage : null,
      started_at: now(),
      completed_at: status === 'completed' ? now() : null,
    });
    const fakeFetch = async (url, init) => {
      const p = new URL(url).pathname.replace(/^\/v1/, '');
      const m = init?.method ?? 'GET';
      let x;
      if (m === 'POST' && p === '/threads') return json({ id: `thread_${++seq}`, object: 'thread', created_at: now(), metadata: {}, tool_resources: {} });
      if (m === 'POST' && (x = /^\/threads\/([^/]+)\/runs$/.exec(p))) return json(runObj(x[1], `run_${++seq}`, 'queued'));
      if ((x = /^\/threads\/([^/]+)\/runs\/([^/]+)$/.exec(p))) return json(runObj(x[1], x[2], 'completed'));
      if ((x = /^\/threads\/([^/]+)\/runs\/([^/]+)\/steps$/.exec(p)))
        return json({
          object: 'list',
          has_more: false,
          data: [
            {
              id: `step_${x[2]}`,
              object: 'thread.run.step',
              created_at: now(),
              completed_at: now(),
              run_id: x[2],
              thread_id: x[1],
              assistant_id: 'asst_bench',
              type: 'message_creation',
              status: 'completed',
              step_details: { type: 'message_creation', message_creation: { message_id: `msg_${x[2]}` } },
              usage,
            },
          ],
        });
      if ((x = /^\/threads\/([^/]+)\/messages$/.exec(p)))
        return json({
          object: 'list',
          has_more: false,
          data: [
            {
              id: `msg_${new URL(url).searchParams.get('run_id')}`,
              object: 'thread.message',
              created_at: now(),
              thread_id: x[1],
              role: 'assistant',
              run_id: new URL(url).searchParams.get('run_id'),
              content: [{ type: 'text', text: { value: 'The answer is forty-two, as computed.', annotations: [] } }],
              attachments: [],
              metadata: {},
            },
          ],
        });
      return new Response('{"error":{"message":"no route"}}', { status: 404 });
    };
    const c = new OpenAI({ apiKey: 'bench', baseURL: 'http://bench.invalid/v1', fetch: fakeFetch, maxRetries: 0 });
    await flushAll();
    gc();
    const before = heapMB();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const t = await c.beta.threads.create();
      const r = await c.beta.threads.runs.create(t.id, { assistant_id: 'asst_bench' });
      await c.beta.threads.runs.retrieve(r.id, { thread_id: t.id });
      if (i % 1000 === 999) await flushAll();
    }
    await flushAll();
    const ms = performance.now() - t0;
    gc();
    return { n, ms, heapBeforeMB: before, heapAfterMB: heapMB(), retainedMB: heapMB() - before };
  },
};

process.on('message', async (msg) => {
  if (msg.type === 'exit') process.exit(0);
  if (msg.type !== 'batch') return;
  try {
    client ??= new OpenAI({ apiKey: 'bench', baseURL: msg.baseURL, maxRetries: 0 });
    chatClient ??= new OpenAI({ apiKey: 'bench', baseURL: msg.chatURL, maxRetries: 0 });
    streamClient ??= new OpenAI({ apiKey: 'bench', baseURL: msg.streamURL, maxRetries: 0 });
    streamURL = msg.streamURL;
    emulatorURL = msg.baseURL;
    const spans0 = exported.spans;
    const bytes0 = exported.bytes;
    const result = await batches[msg.kind](msg.n);
    process.send({ type: 'result', result: { ...result, spans: exported.spans - spans0, otlpBytes: exported.bytes - bytes0 } });
  } catch (err) {
    process.send({ type: 'error', error: String(err?.stack ?? err) });
  }
});
process.send({ type: 'ready' });
void here;
