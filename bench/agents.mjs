// (g) an OpenAI Agents SDK run with two tool calls (three model calls), its requests answered in the app's
// process: the emulator's answers to one run are recorded over HTTP once, then replayed from memory with
// fresh ids per run, so a batch's CPU is the app's alone (the SDK, its tracing, ours), no sockets.
// Configs (run.mjs): none = the SDK's tracing disabled; sdk-noop = its tracing on with one no-op processor
// (setTraceProcessors([noop])); ours = the instrumentation, the SDK's tracing disabled by the app;
// ours-nocontent = the same with captureContent: false.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const BENCH_URL = 'http://bench.invalid/v1';
const noop = {
  onTraceStart: async () => {},
  onTraceEnd: async () => {},
  onSpanStart: async () => {},
  onSpanEnd: async () => {},
  shutdown: async () => {},
  forceFlush: async () => {},
};

let app;

/** Loads the SDK (after the instrumentation is enabled, so its hooks see it) and records one run's answers. */
async function setup(config, emulatorURL) {
  const agents = require('@openai/agents');
  const { OpenAI } = createRequire(require.resolve('@openai/agents-openai'))('openai');
  if (config === 'sdk-noop') {
    agents.setTracingDisabled(false);
    agents.setTraceProcessors([noop]);
  } else agents.setTracingDisabled(true);
  const recorded = [];
  let replay;
  let seq = 0;
  let k = 0;
  const fetch = async (url, init) => {
    if (!replay) {
      const res = await globalThis.fetch(String(url).replace(BENCH_URL, emulatorURL), init);
      const text = await res.text();
      recorded.push(text);
      return new Response(text, { status: res.status, headers: { 'content-type': 'application/json', 'x-request-id': `req_${++seq}` } });
    }
    const body = replay.bodies[seq % replay.bodies.length].replace(replay.ids, (id) => `${id}${replay.run}`);
    if (++seq % replay.bodies.length === 0) replay.run = `r${++k}`;
    return new Response(body, { status: 200, headers: { 'content-type': 'application/json', 'x-request-id': `req_${seq}` } });
  };
  agents.setDefaultOpenAIClient(new OpenAI({ apiKey: 'bench', baseURL: BENCH_URL, fetch, maxRetries: 0 }));
  const tool = (name, result) =>
    agents.tool({
      name,
      description: `The ${name.slice(4)} in a city.`,
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
      strict: true,
      execute: async ({ city }) => JSON.stringify({ city, ...result }),
    });
  const agent = new agents.Agent({
    name: 'Bench agent',
    model: 'gpt-4.1-mini',
    instructions: 'Look up the weather, then the local time. [emulator:call=get_weather] [emulator:call=get_time]',
    tools: [tool('get_weather', { celsius: 21 }), tool('get_time', { time: '14:05' })],
  });
  const runOnce = async () => {
    const r = await agents.run(agent, 'Weather and time in Berlin?');
    if (typeof r.finalOutput !== 'string') throw new Error('the agent run gave no answer');
  };
  await runOnce();
  if (recorded.length !== 3) throw new Error(`expected 3 model calls, recorded ${recorded.length}`);
  // Ids the answers carry (responses, items, calls) get a per-run suffix, as a real server's would differ.
  const ids = new Set();
  for (const body of recorded) for (const m of body.matchAll(/"(?:id|call_id)":\s*"([a-z]+_[A-Za-z0-9]+)"/g)) ids.add(m[1]);
  if (ids.size === 0) throw new Error('no ids in the recorded answers');
  replay = { bodies: recorded, ids: new RegExp([...ids].join('|'), 'g'), run: 'r0' };
  seq = 0;
  return { runOnce };
}

/** n agent runs; `timed` is child.mjs's CPU/wall meter (flush included). */
export async function agentRuns(n, { config, emulatorURL, timed }) {
  app ??= await setup(config, emulatorURL);
  return timed(n, app.runOnce);
}
