// The user's path, run as a user runs it: each example as its own process (the register entry for
// CJS and ESM, an app's own NodeSDK, streaming, an Agents SDK app) against the package's emulator, exporting over real
// OTLP/HTTP to a local receiver; and `npm run demo`'s script printing the thread's tree.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { promisify } from 'node:util';
import { conversationTraceId, threadTraceId } from '../src/trace/trace-ids';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');
const REGISTER = '@spanlens/instrumentation-openai/register';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}
const received: OtlpSpan[] = [];
let receiver: http.Server;
let endpoint: string;

before(async () => {
  // A minimal OTLP/HTTP JSON receiver: what an exporter configured by OTEL_EXPORTER_OTLP_ENDPOINT sends.
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const doc = JSON.parse(body);
        for (const rs of doc.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) received.push(...ss.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
});
after(() => receiver.close());

async function example(args: string[], cwd = ROOT): Promise<{ threadId: string; status: string }> {
  const { stdout } = await run(process.execPath, args, {
    cwd,
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OPENAI_BASE_URL: '', OPENAI_API_KEY: '' },
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

function assertThreadExported(threadId: string, runs = 1): void {
  const trace = received.filter((s) => s.traceId === threadTraceId(threadId));
  const root = trace.find((s) => s.name === 'openai.threads.create');
  assert.ok(root, `thread root exported (got ${trace.map((s) => s.name).join(', ')})`);
  assert.ok(!root.parentSpanId, 'the create call is a root of the thread trace');
  const agents = trace.filter((s) => s.name.startsWith('invoke_agent '));
  assert.equal(agents.length, runs);
  for (const s of trace)
    if (s.parentSpanId)
      assert.ok(
        trace.some((p) => p.spanId === s.parentSpanId),
        `${s.name}: parent not exported`,
      );
  for (const a of agents) {
    assert.ok(!a.parentSpanId, 'runs are roots of the thread trace');
    assert.ok(
      trace.some((s) => s.parentSpanId === a.spanId && s.name.startsWith('chat ')),
      'step spans under the run',
    );
  }
  assert.ok(!JSON.stringify(trace).includes('sk-example'), 'no key in exported spans');
}

it('node -r register: a CommonJS app is traced and exported over OTLP/HTTP, flushed at exit', async () => {
  const out = await example(['-r', REGISTER, 'examples/register.cjs']);
  assert.equal(out.status, 'completed');
  assertThreadExported(out.threadId);
});

it('node --import register: an ES module app is traced the same way', async () => {
  const out = await example(['--import', REGISTER, 'examples/register.mjs']);
  assert.equal(out.status, 'completed');
  assertThreadExported(out.threadId);
});

it("an app's own NodeSDK with the instrumentation: function tool turn exported", async () => {
  const out = await example(['examples/nodesdk.cjs']);
  assert.equal(out.status, 'completed');
  assertThreadExported(out.threadId);
  assert.ok(received.some((s) => s.traceId === threadTraceId(out.threadId) && s.name === 'execute_tool get_weather'));
});

it("an ES module app's own NodeSDK (loader hook first): traced and exported", async () => {
  const out = await example(['examples/nodesdk.mjs']);
  assert.equal(out.status, 'completed');
  assertThreadExported(out.threadId);
});

it('a multi-run thread: three runs, one trace', async () => {
  const out = await example(['--import', REGISTER, 'examples/multi-run.mjs']);
  assert.equal(out.status, 'completed');
  assertThreadExported(out.threadId, 3);
});

it('streaming example through --import register: message deltas on the chat span', async () => {
  const out = await example(['--import', REGISTER, 'examples/streaming.mjs']);
  assertThreadExported(out.threadId);
  const chat = received.find((s) => s.traceId === threadTraceId(out.threadId) && s.name.startsWith('chat '));
  assert.ok(chat && chat.attributes.some((a) => a.key === 'gen_ai.response.time_to_first_chunk'));
});

it('realtime example through --import register: the session is one trace, its responses, the call and the tool work beneath', async () => {
  const out = (await example(['--import', REGISTER, 'examples/realtime.mjs'])) as unknown as { sessionId: string; responseIds: string[]; status: string };
  assert.equal(out.status, 'completed');
  const attr = (s: OtlpSpan, k: string) => s.attributes.find((a) => a.key === k)?.value;
  const root = received.find((s) => s.name === 'realtime gpt-realtime' && attr(s, 'spanlens.realtime.session_id')?.stringValue === out.sessionId);
  assert.ok(root, 'the session span exported');
  assert.ok(!root.parentSpanId, 'the session is the root of its trace');
  const trace = received.filter((s) => s.traceId === root.traceId);
  const responses = out.responseIds.map((id) => trace.find((s) => attr(s, 'gen_ai.response.id')?.stringValue === id && s.name === 'chat gpt-realtime'));
  assert.ok(responses.every((s) => s?.parentSpanId === root.spanId));
  assert.ok(responses.every((s) => Number(attr(s!, 'spanlens.cost.usd')?.doubleValue) > 0));
  const tools = trace.filter((s) => s.name === 'execute_tool get_weather');
  assert.deepEqual(tools.map((s) => (s.parentSpanId === root.spanId ? 'work' : s.parentSpanId === responses[0]!.spanId ? 'call' : 'elsewhere')).sort(), ['call', 'work']);
});

it('live example through --import register, in an app with openai 7: the session is one trace, its delegation a chat span with its cost', async () => {
  // This repository's openai is 6 (no Live API): the example runs as in an app dir whose openai is 7 (the
  // copy @openai/agents-openai depends on) and which installed this package (a link to it).
  const app = mkdtempSync(path.join(os.tmpdir(), 'spanlens-live-example-'));
  try {
    const openai7 = path.resolve(createRequire(createRequire(__filename).resolve('@openai/agents-openai')).resolve('openai/resources/live/ws'), '../../..');
    mkdirSync(path.join(app, 'examples'));
    mkdirSync(path.join(app, 'node_modules/@spanlens'), { recursive: true });
    for (const f of ['live.mjs', 'connect.cjs']) copyFileSync(path.join(ROOT, 'examples', f), path.join(app, 'examples', f));
    symlinkSync(openai7, path.join(app, 'node_modules/openai'), 'dir');
    symlinkSync(ROOT, path.join(app, 'node_modules/@spanlens/instrumentation-openai'), 'dir');
    const out = (await example(['--import', REGISTER, 'examples/live.mjs'], app)) as unknown as { sessionId: string; delegationId: string; responseId: string; seconds: number; status: string };
    assert.equal(out.status, 'close_requested');
    const attr = (s: OtlpSpan, k: string) => s.attributes.find((a) => a.key === k)?.value;
    const root = received.find((s) => s.name === 'live gpt-live-1' && attr(s, 'spanlens.live.session_id')?.stringValue === out.sessionId);
    assert.ok(root, 'the session span exported');
    assert.ok(!root.parentSpanId, 'the session is the root of its trace');
    assert.equal(attr(root, 'spanlens.usage.audio_seconds')?.doubleValue, out.seconds);
    const cost = Number(attr(root, 'spanlens.cost.usd')?.doubleValue);
    assert.ok(cost > 0, 'the audio time is priced');
    const chat = received.find((s) => s.traceId === root.traceId && s.parentSpanId === root.spanId);
    assert.equal(chat?.name, 'chat gpt-5-mini');
    assert.equal(attr(chat, 'gen_ai.response.id')?.stringValue, out.responseId);
    assert.equal(attr(chat, 'spanlens.live.delegation.id')?.stringValue, out.delegationId);
    const chatCost = Number(attr(chat, 'spanlens.cost.usd')?.doubleValue);
    assert.ok(chatCost > 0);
    assert.ok(Math.abs(Number(attr(root, 'spanlens.session.cost.usd')?.doubleValue) - (cost + chatCost)) < 1e-12);
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});

it('responses example through --import register: the conversation is one trace, the app’s tool span has its result', async () => {
  const out = (await example(['--import', REGISTER, 'examples/responses.mjs'])) as unknown as { conversationId: string; responseIds: string[]; status: string };
  assert.equal(out.status, 'completed');
  const trace = received.filter((s) => s.traceId === conversationTraceId(out.conversationId));
  const attr = (s: OtlpSpan, k: string) => s.attributes.find((a) => a.key === k)?.value;
  assert.ok(trace.find((s) => s.name === 'openai.conversations.create' && !s.parentSpanId));
  const responses = out.responseIds.map((id) => trace.find((s) => attr(s, 'gen_ai.response.id')?.stringValue === id && attr(s, 'spanlens.kind')?.stringValue === 'agent_step'));
  assert.deepEqual(
    responses.map((s) => s?.name),
    ['chat gpt-4o-mini', 'chat gpt-4o-mini'],
  );
  const tools = trace.filter((s) => s.name === 'execute_tool get_weather');
  assert.ok(
    tools.some((s) => s.parentSpanId === responses[0]!.spanId && !attr(s, 'gen_ai.tool.call.result')),
    'the call: an item of the response',
  );
  const work = tools.find((s) => attr(s, 'gen_ai.tool.call.result'))!;
  assert.equal(attr(work, 'gen_ai.tool.call.result')?.stringValue, '{"celsius":19}');
});

it('agents example (its own NodeSDK): one run() is one exported tree, triage → handoff → weather agent with its timed tool', async () => {
  const { stdout } = await run(process.execPath, ['examples/agents.mjs'], {
    cwd: ROOT,
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OPENAI_BASE_URL: '', OPENAI_API_KEY: '' },
    timeout: 60_000,
  });
  const out = JSON.parse(stdout.trim().split('\n').at(-1)!) as { traceId: string; lastAgent: string; output: string };
  assert.equal(out.lastAgent, 'Weather agent');
  assert.match(out.output, /"city":"Berlin"/, 'the answer quotes the tool result');
  const trace = received.filter((s) => s.traceId === out.traceId);
  const attr = (s: OtlpSpan, k: string) => s.attributes.find((a) => a.key === k)?.value;
  const ms = (s: OtlpSpan) => (Number(s.endTimeUnixNano) - Number(s.startTimeUnixNano)) / 1e6;
  const kids = (p: OtlpSpan) => trace.filter((s) => s.parentSpanId === p.spanId).sort((a, b) => Number(a.startTimeUnixNano) - Number(b.startTimeUnixNano));
  const root = trace.find((s) => s.name === 'invoke_agent Triage agent');
  assert.ok(root && !root.parentSpanId, `the run is the root of its own trace (got ${trace.map((s) => s.name).join(', ')})`);
  assert.equal(attr(root, 'gen_ai.agent.name')?.stringValue, 'Triage agent');
  assert.deepEqual(
    kids(root).map((s) => s.name),
    ['guardrail no_secrets', 'chat gpt-4.1-mini', 'handoff Triage agent → Weather agent', 'invoke_agent Weather agent'],
  );
  const weather = kids(root).at(-1)!;
  assert.deepEqual(
    kids(weather).map((s) => s.name),
    ['chat gpt-4.1-mini', 'execute_tool get_weather', 'chat gpt-4.1-mini'],
  );
  // One chat span per model call: three calls (triage, the weather agent's tool call, its answer).
  assert.equal(trace.filter((s) => s.name.startsWith('chat ')).length, 3);
  const tool = kids(weather)[1]!;
  assert.ok(ms(tool) >= 59, `execute_tool is timed by the tool's own 60 ms (${ms(tool)} ms)`);
  assert.equal(attr(tool, 'gen_ai.tool.call.arguments')?.stringValue, '{"city":"Berlin"}');
  // The printed tree is the exported one.
  assert.ok(stdout.includes(`trace ${out.traceId}`), stdout);
  assert.match(stdout, /└─ invoke_agent Weather agent/);
  assert.match(stdout, /├─ execute_tool get_weather +\d/);
  assert.ok(!JSON.stringify(trace).includes('sk-example'), 'no key in exported spans');
});

it("the demo prints the thread's trace as a tree with its runs, steps and tokens", async () => {
  const { stdout } = await run(process.execPath, ['examples/demo.cjs'], { cwd: ROOT, env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '' }, timeout: 60_000 });
  const threadId = /Thread (thread_\w+)/.exec(stdout)?.[1];
  assert.ok(threadId, stdout);
  assert.ok(stdout.includes(`trace ${threadTraceId(threadId)}`));
  assert.equal((stdout.match(/invoke_agent Support agent .* completed/g) ?? []).length, 3, stdout);
  assert.match(stdout, /execute_tool code_interpreter/);
  assert.match(stdout, /execute_tool convert_currency/);
  assert.match(stdout, /chat gpt-4o-mini .*tokens \d+/);
  // The Responses turn: the conversation's own trace, the function call answered by the app's output.
  const conversationId = /Conversation (conv_\w+)/.exec(stdout)?.[1];
  assert.ok(conversationId, stdout);
  assert.ok(stdout.includes(`trace ${conversationTraceId(conversationId)}`));
  assert.match(stdout, /openai\.conversations\.create .*conv_/);
  assert.match(stdout, /chat gpt-4o-mini .*resp_\w+ +completed/);
  assert.match(stdout, /execute_tool convert_currency .*fc_/);
  assert.match(stdout, /└─ message .*msg_/);
  // The Agents SDK run: its own tree, the handoff target's tool under it.
  const agentsPart = stdout.split(/^Agents SDK run: /m)[1];
  assert.ok(agentsPart, stdout);
  assert.match(
    agentsPart,
    /^ {2}invoke_agent Triage agent .*\n {2}├─ guardrail no_secrets .*\n {2}├─ chat gpt-4\.1-mini .*\n {2}├─ handoff Triage agent → Weather agent .*\n {2}└─ invoke_agent Weather agent .*\n {5}├─ chat gpt-4\.1-mini .*\n {5}├─ execute_tool get_weather .*\n {5}└─ chat gpt-4\.1-mini /m,
  );
  // The Realtime session: the connection's tree, two responses, the call under the first, the app's tool work.
  const realtimePart = stdout.split(/^Realtime session sess_/m)[1];
  assert.ok(realtimePart, stdout);
  assert.match(
    realtimePart,
    /^ {2}realtime gpt-realtime .*\n {2}├─ chat gpt-realtime .*\n {2}│ {2}└─ execute_tool get_weather .*\n {2}├─ execute_tool get_weather .*\n {2}└─ chat gpt-realtime .*\n {5}└─ message /m,
  );
});
