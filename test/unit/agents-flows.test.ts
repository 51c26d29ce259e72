// Agent-run flows through the Runner.run wrapper and the bridge: real `@openai/agents` apps (0.20, on its
// own openai 7) over HTTP against the emulator, scripted by `[emulator:…]` markers in each agent's
// instructions. Parallel tools, an agent used as a tool, output guardrails, max turns, a tool that throws,
// streamed runs (complete and aborted) and a Runner with the SDK's tracing disabled: the span tree, and
// what the app gets is what it gets without the instrumentation.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { createRequire } from 'node:module';
import { runInNewContext } from 'node:vm';
import { after, before, it } from 'node:test';
import { diag, trace } from '@opentelemetry/api';
import { wrapRun } from '../../src/agents/runner';
import type { Services } from '../../src/services';
import { assertWellFormed, one } from '../support/spans';
import { cityTool as cityToolOf, outline, runSpans as runSpansOf, sleep, startAgents, type AgentsSDK, type OpenAIClass, type Zod } from './support/agents';
import { API_KEY, type SpanJSON, type Tracing } from './support/tracing';

let t: Tracing;
let sdk: AgentsSDK;
let z: Zod;
let OpenAI: OpenAIClass;

before(async () => {
  ({ t, sdk, z, OpenAI } = await startAgents());
});

after(async () => {
  await t.close();
});

const TOOL_MS = 40;
const MODEL = 'gpt-4.1-mini';
const cityTool = (name: string, answer: (city: string) => string, ms = TOOL_MS) => cityToolOf({ sdk, z }, name, answer, ms);
const weatherTool = () => cityTool('get_weather', (c) => `Sunny in ${c}`);
const runSpans = (rootName: string) => runSpansOf(t, rootName);

const agentOnly = (lines: string[]) => lines.filter((l) => !/^\s+(message|function_call)\b/.test(l));

it('parallel tools: two execute_tool siblings under the agent, each timed by its own tool, overlapping', async () => {
  t.reset();
  const agent = new sdk.Agent({
    name: 'City agent',
    model: MODEL,
    instructions: 'Both. [emulator:call=get_weather,get_time]',
    tools: [weatherTool(), cityTool('get_time', (c) => `Noon in ${c}`, 2 * TOOL_MS)],
  });
  const result = await sdk.run(agent, 'Weather and time in Berlin?');
  assert.ok(String(result.finalOutput).length > 0);
  const { spans, root } = await runSpans('invoke_agent City agent');
  assertWellFormed(spans);
  assert.deepEqual(agentOnly(outline(spans, root)), ['invoke_agent City agent', `  chat ${MODEL}`, '  execute_tool get_weather', '  execute_tool get_time', `  chat ${MODEL}`]);
  const weather = one(spans, 'execute_tool get_weather');
  const time = one(spans, 'execute_tool get_time');
  assert.equal(weather.parentSpanId, root.spanId);
  assert.equal(time.parentSpanId, root.spanId);
  assert.ok(weather.durationMs >= TOOL_MS - 1, `weather ${weather.durationMs} ms`);
  assert.ok(weather.endMs < time.endMs, 'the shorter tool ends first: each span is its own tool, not the pair');
  assert.ok(time.durationMs >= 2 * TOOL_MS - 1, `time ${time.durationMs} ms`);
  assert.ok(weather.startMs < time.endMs && time.startMs < weather.endMs, 'they ran at the same time');
  assert.notEqual(weather.attributes['gen_ai.tool.call.id'], time.attributes['gen_ai.tool.call.id']);
  assert.equal(weather.attributes['gen_ai.tool.call.result'], 'Sunny in Berlin');
});

it("an agent used as a tool: the inner agent's run nests under the outer execute_tool span, its model call under it", async () => {
  t.reset();
  const expert = new sdk.Agent({ name: 'Weather expert', model: MODEL, instructions: 'Answer with the tool. [emulator:call=get_weather]', tools: [weatherTool()] });
  const outer = new sdk.Agent({
    name: 'Orchestrator',
    model: MODEL,
    instructions: 'Ask the expert. [emulator:call=ask_expert]',
    tools: [expert.asTool({ toolName: 'ask_expert', toolDescription: 'Asks the weather expert.' })],
  });
  await sdk.run(outer, 'Weather in Rome?');
  const { spans, root } = await runSpans('invoke_agent Orchestrator');
  assertWellFormed(spans);
  assert.deepEqual(agentOnly(outline(spans, root)), [
    'invoke_agent Orchestrator',
    `  chat ${MODEL}`,
    '  execute_tool ask_expert',
    '    invoke_agent Weather expert',
    `      chat ${MODEL}`,
    '      execute_tool get_weather',
    `      chat ${MODEL}`,
    `  chat ${MODEL}`,
  ]);
  const tool = one(spans, 'execute_tool ask_expert');
  const inner = one(spans, 'invoke_agent Weather expert');
  assert.ok(inner.startMs >= tool.startMs && inner.endMs <= tool.endMs + 1, 'the inner run lies within its tool span');
  assert.equal(inner.attributes['gen_ai.agent.name'], 'Weather expert');
  assert.equal(inner.status.code, 'UNSET');
});

function answerAgent(tripwire: boolean) {
  return new sdk.Agent({
    name: 'Answer agent',
    model: MODEL,
    instructions: 'Answer.',
    outputGuardrails: [{ name: 'no_sunburn', execute: async () => ({ tripwireTriggered: tripwire, outputInfo: { checked: true } }) }],
  });
}

it('an output guardrail that passes: a guardrail span under the agent after its model call, triggered=false', async () => {
  t.reset();
  await sdk.run(answerAgent(false), 'Hello?');
  const { spans, root } = await runSpans('invoke_agent Answer agent');
  const g = one(spans, 'guardrail no_sunburn');
  assert.equal(g.parentSpanId, root.spanId);
  assert.equal(g.attributes['spanlens.guardrail.triggered'], false);
  assert.ok(g.startMs >= one(spans, `chat ${MODEL}`).endMs - 1, 'an output guardrail checks the answer');
  assert.equal(root.status.code, 'UNSET');
});

it('an output guardrail that trips: the app gets OutputGuardrailTripwireTriggered, the root carries that class', async () => {
  t.reset();
  const err = await sdk.run(answerAgent(true), 'Hello?').then(
    () => assert.fail('no error'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof sdk.OutputGuardrailTripwireTriggered);
  const { spans, root } = await runSpans('invoke_agent Answer agent');
  assert.equal(one(spans, 'guardrail no_sunburn').attributes['spanlens.guardrail.triggered'], true);
  assert.equal(root.status.code, 'ERROR');
  assert.equal(root.attributes['error.type'], 'OutputGuardrailTripwireTriggered');
});

it('max turns exceeded: the app gets MaxTurnsExceededError; the root ends with that class', async () => {
  t.reset();
  const agent = new sdk.Agent({ name: 'Loop agent', model: MODEL, instructions: 'Keep going. [emulator:script=function]', tools: [weatherTool()] });
  await assert.rejects(sdk.run(agent, 'Weather?', { maxTurns: 2 }), (e: unknown) => e instanceof sdk.MaxTurnsExceededError && /Max turns \(2\)/.test(e.message));
  const { spans, root } = await runSpans('invoke_agent Loop agent');
  assertWellFormed(spans);
  assert.equal(root.status.code, 'ERROR');
  assert.equal(root.attributes['error.type'], 'MaxTurnsExceededError');
  assert.equal(spans.filter((s) => s.name === `chat ${MODEL}`).length, 2, 'two turns, two model calls');
  assert.equal(spans.filter((s) => s.name === 'execute_tool get_weather').length, 2);
});

it('a tool that throws: its execute_tool span fails with error.type; the SDK hands the model the error and the run goes on', async () => {
  t.reset();
  const broken = sdk.tool({
    name: 'get_weather',
    description: 'Breaks.',
    parameters: z.object({ city: z.string() }),
    execute: async () => {
      await sleep(TOOL_MS);
      throw new RangeError('station offline');
    },
  });
  const agent = new sdk.Agent({ name: 'Weather agent', model: MODEL, instructions: 'Use the tool.', tools: [broken] });
  const result = await sdk.run(agent, 'Weather in Oslo?');
  assert.ok(result.finalOutput !== undefined);
  const { spans, root } = await runSpans('invoke_agent Weather agent');
  const tool = one(spans, 'execute_tool get_weather');
  assert.equal(tool.status.code, 'ERROR');
  assert.equal(tool.attributes['error.type'], 'ToolCallError');
  assert.ok(tool.durationMs >= TOOL_MS - 1);
  assert.equal(root.status.code, 'UNSET', 'the run itself succeeded');
  assert.equal(spans.filter((s) => s.name === `chat ${MODEL}`).length, 2, 'the model saw the error and answered');
});

const toolAgent = () => new sdk.Agent({ name: 'Weather agent', model: MODEL, instructions: 'Use the tool.', tools: [weatherTool()] });

it('a model call that fails: the app gets the openai error object untouched; the root carries its class, which the SDK span lacks', async () => {
  t.reset();
  const failing = new OpenAI({ apiKey: API_KEY, baseURL: t.emulator.baseURL, maxRetries: 0, defaultHeaders: { 'x-emulator-fault': 'status:400' } });
  const agent = new sdk.Agent({ name: 'Broken agent', model: new sdk.OpenAIResponsesModel(failing as never, MODEL), instructions: 'Answer.' });
  const err = (await sdk.run(agent, 'Hello?').then(
    () => assert.fail('no error'),
    (e: unknown) => e,
  )) as Error;
  assert.equal(err.constructor.name, 'BadRequestError');
  assert.equal((err as { status?: number }).status, 400);
  const { spans, root } = await runSpans('invoke_agent Broken agent');
  assertWellFormed(spans);
  assert.equal(root.status.code, 'ERROR');
  assert.equal(root.attributes['error.type'], 'BadRequestError', 'the class the app got');
  const failedCall = one(spans, `chat ${MODEL}`);
  assert.equal(failedCall.parentSpanId, root.spanId, 'the failed model call under the agent');
  assert.equal(failedCall.attributes['error.type'], 'BadRequestError');
});

/** A streamed run read to its end: the event types, the text stream and the final output. */
async function streamed(agent: ReturnType<typeof toolAgent>) {
  const s = await sdk.run(agent, 'What is the weather in Berlin?', { stream: true });
  const types: string[] = [];
  for await (const e of s) types.push(e.type === 'raw_model_stream_event' ? `raw:${(e.data as { type: string }).type}` : `${e.type}:${(e as { name?: string }).name ?? ''}`);
  await s.completed;
  return { types, output: s.finalOutput, stream: s };
}

it('a streamed run: the same tree as a plain run; the same events with the instrumentation disabled (same process)', async () => {
  t.reset();
  await sdk.run(toolAgent(), 'What is the weather in Berlin?');
  const plain = await runSpans('invoke_agent Weather agent');
  const plainOutline = outline(plain.spans, plain.root);
  t.reset();
  const traced = await streamed(toolAgent());
  const { spans, root } = await runSpans('invoke_agent Weather agent');
  assertWellFormed(spans);
  assert.deepEqual(agentOnly(outline(spans, root)), agentOnly(plainOutline));
  assert.equal(root.attributes['spanlens.agents.end_reason'], undefined);
  assert.ok(one(spans, 'execute_tool get_weather').durationMs >= TOOL_MS - 1);
  t.instrumentation.disable();
  try {
    const bare = await streamed(toolAgent());
    assert.deepEqual(bare.types, traced.types);
    assert.equal(bare.output, traced.output);
  } finally {
    t.instrumentation.enable();
  }
  const text: string[] = [];
  const s = await sdk.run(toolAgent(), 'What is the weather in Berlin?', { stream: true });
  for await (const chunk of s.toTextStream()) text.push(chunk);
  await s.completed;
  assert.equal(text.join(''), traced.output);
});

it('an aborted stream: the app breaks out early; the run ends at once, its root marked end_reason=aborted', async () => {
  t.reset();
  const s = await sdk.run(toolAgent(), 'What is the weather in Berlin?', { stream: true });
  for await (const e of s) if (e.type === 'raw_model_stream_event') break;
  assert.equal(s.cancelled, true);
  await s.completed;
  await sleep(20);
  const { spans, root } = await runSpans('invoke_agent Weather agent');
  assertWellFormed(spans);
  assert.equal(root.attributes['spanlens.agents.end_reason'], 'aborted');
  assert.ok(!spans.some((s) => s.name === 'execute_tool get_weather'), 'the tool never ran');
});

it('an abandoned stream (the wrapper alone, on a stand-in stream): collected while its run is open, its root ends, marked abandoned', async () => {
  // The SDK's own streams stay reachable while their run is stuck (Node keeps the combined AbortSignal
  // the stream listens on alive), so the collection path is checked on a stand-in whose run never ends.
  t.reset();
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const services = { tracer: () => trace.getTracer('agents-flows'), content: { enabled: false }, diag } as unknown as Services;
  const run = wrapRun(async () => ({ completed: new Promise(() => undefined), cancelled: false }), {
    active: () => true,
    services: () => services,
    endTrace: () => undefined,
    runSettled: () => undefined,
  });
  await (async () => void (await run.call({ config: { tracingDisabled: true } }, { name: 'Dropped agent' }, 'Hi?', { stream: true })))();
  let root: SpanJSON | undefined;
  for (let i = 0; i < 50 && !root; i++) {
    gc();
    await sleep(20);
    root = (await t.spans()).find((s) => s.name === 'invoke_agent Dropped agent');
  }
  assert.ok(root, 'the root ended once the stream was collected');
  assert.equal(root.attributes['spanlens.agents.end_reason'], 'abandoned');
});

it('a Runner with tracingDisabled: no SDK spans, yet one invoke_agent root from the wrapper holds the model calls', async () => {
  t.reset();
  const runner = new sdk.Runner({ tracingDisabled: true });
  const result = await runner.run(toolAgent(), 'What is the weather in Berlin?');
  assert.match(String(result.finalOutput), /Sunny in Berlin/);
  const all = await t.spans();
  const root = one(all, 'invoke_agent Weather agent');
  assert.equal(root.attributes['spanlens.agents.tracing_disabled'], true);
  assert.equal(root.attributes['gen_ai.agent.name'], 'Weather agent');
  assert.equal(root.parentSpanId, undefined);
  const chats = all.filter((s) => s.name === `chat ${MODEL}`);
  assert.equal(chats.length, 2);
  for (const c of chats) assert.equal(c.parentSpanId, root.spanId);
  assert.ok(
    all.every((s) => s.traceId === root.traceId),
    'one trace',
  );
  assert.ok(chats.every((c) => c.endMs <= root.endMs + 1));
});

/**
 * A local MCP server from the official SDK (@modelcontextprotocol/server), served over Streamable HTTP on a
 * loopback port: one tool, `get_forecast`.
 */
async function startMcpServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const mcp = createRequire(__filename)('@modelcontextprotocol/server') as typeof import('@modelcontextprotocol/server');
  const handler = mcp.createMcpHandler(() => {
    const server = new mcp.McpServer({ name: 'forecast', version: '1.0.0' });
    server.registerTool('get_forecast', { description: 'The forecast for a city.', inputSchema: z.object({ city: z.string() }) }, async ({ city }) => {
      await sleep(TOOL_MS);
      return { content: [{ type: 'text', text: `Rain in ${city}` }] };
    });
    return server;
  });
  const http: Server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) for (const one of [v ?? []].flat()) headers.append(k, one);
      const body = chunks.length ? new Uint8Array(Buffer.concat(chunks)) : undefined;
      const response = await handler.fetch(new Request(`http://127.0.0.1${req.url ?? '/'}`, { method: req.method, headers, body }));
      const out: Record<string, string> = {};
      response.headers.forEach((value, key) => (out[key] = value));
      res.writeHead(response.status, out);
      const reader = response.body?.getReader();
      for (let r = await reader?.read(); r && !r.done; r = await reader!.read()) res.write(r.value);
      res.end();
    })().catch(() => res.destroy());
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  return {
    url,
    close: async () => {
      await handler.close();
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    },
  };
}

it('an MCP server (the official SDK, Streamable HTTP): `mcp list_tools forecast` and the MCP tool call as execute_tool naming the server', async () => {
  const local = await startMcpServer();
  const server = new sdk.MCPServerStreamableHttp({ url: local.url, name: 'forecast' });
  try {
    await server.connect();
    t.reset();
    const agent = new sdk.Agent({ name: 'Forecast agent', model: MODEL, instructions: 'Forecast. [emulator:call=get_forecast]', mcpServers: [server] });
    const result = await sdk.run(agent, 'Forecast for Lyon?');
    assert.ok(result.finalOutput !== undefined);
    const { spans, root } = await runSpans('invoke_agent Forecast agent');
    assertWellFormed(spans);
    // The SDK lists the server's tools for each turn (no cacheToolsList): before each model call.
    const lists = spans.filter((s) => s.name === 'mcp list_tools forecast').sort((a, b) => a.startMs - b.startMs);
    const chats = spans.filter((s) => s.name === `chat ${MODEL}`).sort((a, b) => a.startMs - b.startMs);
    assert.equal(lists.length, chats.length);
    lists.forEach((list, i) => {
      assert.equal(list.parentSpanId, root.spanId);
      assert.equal(list.attributes['spanlens.mcp.server_label'], 'forecast');
      assert.ok(list.endMs <= chats[i]!.startMs + 1, 'listed before the model call');
    });
    const call = one(spans, 'execute_tool get_forecast');
    assert.equal(call.parentSpanId, root.spanId);
    assert.equal(call.attributes['spanlens.mcp.server_label'], 'forecast');
    assert.ok(call.durationMs >= TOOL_MS - 1, `the MCP call is timed by the call (${call.durationMs} ms)`);
    assert.match(String(call.attributes['gen_ai.tool.call.result']), /Rain in Lyon/);
    assert.ok(call.startMs >= chats[0]!.endMs - 1 && call.endMs <= chats[1]!.startMs + 1, 'between the two model calls');
  } finally {
    await server.close();
    await local.close();
  }
});
