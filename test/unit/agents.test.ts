// The OpenAI Agents SDK bridge: real `@openai/agents` apps (0.20, on its own openai 7) through the real SDK
// over HTTP against the emulator, with the instrumentation enabled before the SDK loads (as `--import
// register` or NodeSDK do). One run is one tree: `invoke_agent {starting agent}` with the agents reached by
// handoff, tools timed by their own execution, handoffs and guardrails as spans, each model call once (our
// Responses `chat` span under its agent), whatever the app did with the SDK's own tracing.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { trace } from '@opentelemetry/api';
import { formatTraceTree, type SpanLike } from '../../src/testing/index';
import { checkSpans, summarize } from '../support/conformance';
import { assertWellFormed, one } from '../support/spans';
import { cityTool, outline, runSpans as runSpansOf, sleep, startAgents, type AgentsSDK, type Zod } from './support/agents';
import type { SpanJSON, Tracing } from './support/tracing';

type Processor = Parameters<AgentsSDK['addTraceProcessor']>[0];

let t: Tracing;
let sdk: AgentsSDK;
let z: Zod;

before(async () => {
  ({ t, sdk, z } = await startAgents());
});

after(async () => {
  await t.close();
});

const TOOL_MS = 50;
const weatherTool = () => cityTool({ sdk, z }, 'get_weather', (city) => `Sunny in ${city}`, TOOL_MS);

/** Triage (with an input guardrail) hands off to Weather, which calls its tool and stops there. */
function handoffApp(tripwire = false) {
  const weather = new sdk.Agent({
    name: 'Weather agent',
    model: 'gpt-4.1-mini',
    instructions: 'Answer weather questions with the tool.',
    tools: [weatherTool()],
    // The emulator answers a request ending in tool outputs (the handoff's) unless told to call a function.
    modelSettings: { providerData: { metadata: { script: 'function' } } },
    toolUseBehavior: 'stop_on_first_tool',
  });
  const triage = new sdk.Agent({
    name: 'Triage agent',
    model: 'gpt-4.1-mini',
    instructions: 'Route the question.',
    handoffs: [weather],
    inputGuardrails: [{ name: 'no_secrets', execute: async () => ({ tripwireTriggered: tripwire, outputInfo: { checked: true } }) }],
  });
  return triage;
}

const runSpans = (rootName: string) => runSpansOf(t, rootName);

export function printable(spans: SpanJSON[]): SpanLike[] {
  const hr = (ms: number): [number, number] => [Math.floor(ms / 1e3), Math.round((ms % 1e3) * 1e6)];
  return spans.map((s) => ({
    name: s.name,
    spanContext: () => ({ traceId: s.traceId, spanId: s.spanId }),
    parentSpanId: s.parentSpanId,
    startTime: hr(s.startMs),
    endTime: hr(s.endMs),
    attributes: s.attributes,
  }));
}

const responsesRequests = () => t.emulator.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/responses')).length;

it('a tool call: invoke_agent → chat, execute_tool (timed by the tool, with arguments, result, call id), chat; its own trace keyed by the SDK trace id', async () => {
  t.reset();
  const agent = new sdk.Agent({ name: 'Weather agent', model: 'gpt-4.1-mini', instructions: 'Use the tool.', tools: [weatherTool()] });
  const result = await sdk.run(agent, 'What is the weather in Berlin?');
  assert.match(String(result.finalOutput), /Sunny in Berlin/);
  const { spans, root } = await runSpans('invoke_agent Weather agent');
  assertWellFormed(spans);
  // The answer's message item stays a child of its model call; the function_call item is the SDK's tool span.
  assert.deepEqual(outline(spans, root), ['invoke_agent Weather agent', '  chat gpt-4.1-mini', '  execute_tool get_weather', '  chat gpt-4.1-mini', '    message']);
  assert.equal(root.parentSpanId, undefined, 'a run outside any app span is a trace of its own');
  assert.equal(root.kind, 'INTERNAL');
  const sdkTraceId = String(root.attributes['spanlens.agents.trace_id']);
  assert.match(sdkTraceId, /^trace_[0-9a-f]{32}$/);
  assert.equal(root.traceId, sdkTraceId.slice('trace_'.length), "the OTel trace id is the SDK's, without trace_");
  assert.equal(root.attributes['gen_ai.operation.name'], 'invoke_agent');
  assert.equal(root.attributes['gen_ai.agent.name'], 'Weather agent');
  assert.equal(root.attributes['gen_ai.provider.name'], 'openai');
  assert.deepEqual(root.attributes['spanlens.agent.tools'], ['get_weather']);

  const tool = one(spans, 'execute_tool get_weather');
  assert.ok(tool.durationMs >= TOOL_MS - 1, `execute_tool lasts as long as the tool (${tool.durationMs} ms)`);
  assert.equal(tool.attributes['gen_ai.operation.name'], 'execute_tool');
  assert.equal(tool.attributes['gen_ai.tool.name'], 'get_weather');
  assert.equal(tool.attributes['gen_ai.tool.type'], 'function');
  assert.equal(tool.attributes['gen_ai.tool.call.arguments'], '{"city":"Berlin"}');
  assert.equal(tool.attributes['gen_ai.tool.call.result'], 'Sunny in Berlin');
  const [first, second] = spans.filter((s) => s.name === 'chat gpt-4.1-mini').sort((a, b) => a.startMs - b.startMs);
  const asked = JSON.parse(String(first!.attributes['gen_ai.output.messages'])) as Array<{ parts: Array<{ type: string; id?: string }> }>;
  assert.equal(tool.attributes['gen_ai.tool.call.id'], asked[0]!.parts.find((p) => p.type === 'tool_call')?.id, 'the call id of the model call that asked for it');
  assert.ok(tool.startMs >= first!.endMs && tool.endMs <= second!.startMs, 'the tool runs between the two model calls');
  // One model call, one span: no item or tool-output spans next to the SDK's function span.
  assert.equal(spans.filter((s) => s.name.startsWith('chat ')).length, responsesRequests());
  assert.equal(spans.filter((s) => s.name.startsWith('execute_tool')).length, 1);
  assert.equal(second!.attributes['spanlens.user_message.count'], 0, 'the resent history counts its user message once');
  const violations = checkSpans(spans, { model: 'gpt-4.1-mini', api: 'responses', agentName: 'Weather agent' });
  assert.equal(violations.length, 0, summarize(violations));
});

it('a handoff: the starting agent is the root, the agent handed to its child; guardrail and handoff spans; one trace', async () => {
  t.reset();
  const result = await sdk.run(handoffApp(), 'What is the weather in Berlin?');
  assert.equal(result.finalOutput, 'Sunny in Berlin');
  assert.equal(result.lastAgent?.name, 'Weather agent');
  const { spans, root } = await runSpans('invoke_agent Triage agent');
  if (process.env.SPANLENS_PRINT_TREES) console.log(formatTraceTree(printable(spans)));
  assertWellFormed(spans);
  assert.equal(new Set(spans.map((s) => s.traceId)).size, 1);
  assert.equal(spans.length, (await t.spans()).length, 'every span of the run is in its trace');
  assert.deepEqual(
    outline(spans, root).sort(),
    [
      'invoke_agent Triage agent',
      '  chat gpt-4.1-mini',
      '  guardrail no_secrets',
      '  handoff Triage agent → Weather agent',
      '  invoke_agent Weather agent',
      '    chat gpt-4.1-mini',
      '    execute_tool get_weather',
    ].sort(),
  );
  assert.deepEqual(root.attributes['spanlens.agent.handoffs'], ['Weather agent']);
  const handoff = one(spans, 'handoff Triage agent → Weather agent');
  assert.equal(handoff.attributes['spanlens.handoff.from_agent'], 'Triage agent');
  assert.equal(handoff.attributes['spanlens.handoff.to_agent'], 'Weather agent');
  const guardrail = one(spans, 'guardrail no_secrets');
  assert.equal(guardrail.attributes['spanlens.guardrail.name'], 'no_secrets');
  assert.equal(guardrail.attributes['spanlens.guardrail.triggered'], false);
  const weather = one(spans, 'invoke_agent Weather agent');
  assert.equal(weather.parentSpanId, root.spanId);
  assert.equal(weather.attributes['gen_ai.agent.name'], 'Weather agent');
  assert.ok(one(spans, 'execute_tool get_weather').durationMs >= TOOL_MS - 1);
  // The transfer_to_* call is the handoff span, not an execute_tool span.
  assert.ok(!spans.some((s) => s.name.includes('transfer_to_')));
  assert.equal(spans.filter((s) => s.name.startsWith('chat ')).length, responsesRequests());
  assert.equal(spans.filter((s) => s.status.code === 'ERROR').length, 0);
});

it('an input guardrail that trips: the app gets InputGuardrailTripwireTriggered; the root and the guardrail say so', async () => {
  t.reset();
  await assert.rejects(sdk.run(handoffApp(true), 'What is the weather in Berlin?'), (err: unknown) => err instanceof sdk.InputGuardrailTripwireTriggered);
  const { spans, root } = await runSpans('invoke_agent Triage agent');
  assert.equal(one(spans, 'guardrail no_secrets').attributes['spanlens.guardrail.triggered'], true);
  assert.equal(root.status.code, 'ERROR');
  assert.equal(root.attributes['error.type'], 'InputGuardrailTripwireTriggered', 'the class the app got');
  assert.ok(!spans.some((s) => s.name === 'invoke_agent Weather agent'), 'no handoff happened');
});

it("a run inside an app span: the run's root is the app span's child, in the app's trace", async () => {
  t.reset();
  const tracer = trace.getTracer('agents-test-app');
  const app = await tracer.startActiveSpan('handle request', async (span) => {
    try {
      await sdk.run(handoffApp(), 'What is the weather in Berlin?');
      return span.spanContext();
    } finally {
      span.end();
    }
  });
  const { spans, root } = await runSpans('invoke_agent Triage agent');
  assert.equal(root.traceId, app.traceId);
  assert.equal(root.parentSpanId, app.spanId);
  assert.equal(spans.filter((s) => s.name.startsWith('invoke_agent') || s.name.startsWith('chat ')).length, 4);
  assert.equal(responsesRequests(), 2);
});

/** An app's own processor, recording what the SDK hands it. */
function recorder() {
  const seen: string[] = [];
  let shutdowns = 0;
  const p: Processor = {
    onTraceStart: async () => void seen.push('trace'),
    onTraceEnd: async () => undefined,
    onSpanStart: async (s) => void seen.push(s.spanData.type),
    onSpanEnd: async () => undefined,
    shutdown: async () => void shutdowns++,
    forceFlush: async () => undefined,
  };
  return { p, seen, shutdowns: () => shutdowns };
}

it("the SDK's tracing left off, turned on with the app's processor, processors replaced, disabled: the same tree; the app's processor sees what the SDK gives it", async () => {
  const outlines: string[][] = [];
  const runOnce = async () => {
    t.reset();
    await sdk.run(handoffApp(), 'What is the weather in Berlin?');
    const { spans, root } = await runSpans('invoke_agent Triage agent');
    outlines.push(outline(spans, root).sort());
  };
  await runOnce(); // as loaded: off (NODE_ENV=test)

  // The app's own processor instead of the export to OpenAI (nothing leaves this test).
  const app = recorder();
  sdk.setTracingDisabled(false);
  sdk.setTraceProcessors([app.p]);
  await runOnce();
  await sleep(10);
  assert.ok(app.seen.includes('trace') && app.seen.includes('agent') && app.seen.includes('function') && app.seen.includes('handoff'), `the app's processor got the run: ${app.seen.join(',')}`);

  sdk.setTraceProcessors([]);
  assert.equal(app.shutdowns(), 1, 'replaced processors are shut down, as the SDK does');
  app.seen.length = 0;
  await runOnce();
  assert.deepEqual(app.seen, [], 'a replaced processor hears nothing');

  const again = recorder();
  sdk.addTraceProcessor(again.p);
  sdk.setTracingDisabled(true);
  await runOnce();
  await sleep(10);
  assert.deepEqual(again.seen, [], 'with tracing disabled the app’s processor hears nothing');

  for (const o of outlines.slice(1)) assert.deepEqual(o, outlines[0]);
  assert.equal(outlines.length, 4);
});

it('agentsSdkExport: false holds the SDK’s own processors back (the export to OpenAI) without touching the app; the OTel tree stays', async () => {
  const app = recorder();
  sdk.setTracingDisabled(false);
  sdk.setTraceProcessors([app.p]);
  try {
    t.configure({ agentsSdkExport: false });
    t.reset();
    await sdk.run(handoffApp(), 'What is the weather in Berlin?');
    await sleep(10);
    assert.equal(app.seen.length, 0, 'the app’s processor hears nothing while the config mutes it');
    const { spans, root } = await runSpans('invoke_agent Triage agent');
    assert.ok(
      outline(spans, root).some((line) => line.includes('execute_tool get_weather')),
      'the OTel tree is whole',
    );

    t.configure({});
    await sdk.run(handoffApp(), 'What is the weather in Berlin?');
    await sleep(10);
    assert.ok(app.seen.includes('agent') && app.seen.includes('function'), `by default it gets the run again: ${app.seen.join(',')}`);
  } finally {
    t.configure({});
    sdk.setTraceProcessors([]);
    sdk.setTracingDisabled(true);
  }
});

it('differential: the same output and the same errors with the instrumentation disabled', async () => {
  const question = 'What is the weather in Paris?';
  const agent = () => new sdk.Agent({ name: 'Weather agent', model: 'gpt-4.1-mini', instructions: 'Use the tool.', tools: [weatherTool()] });
  const traced = await sdk.run(agent(), question);
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => new Error('no error'),
      (e: unknown) => e as Error,
    );
  const tripped = await failure(sdk.run(handoffApp(true), question));
  t.instrumentation.disable();
  try {
    t.reset();
    const plain = await sdk.run(agent(), question);
    const plainTripped = await failure(sdk.run(handoffApp(true), question));
    assert.equal(plain.finalOutput, traced.finalOutput);
    assert.deepEqual(
      plain.newItems.map((i) => i.type),
      traced.newItems.map((i) => i.type),
    );
    assert.equal(plainTripped.constructor, tripped.constructor);
    assert.equal(plainTripped.message, tripped.message);
    assert.equal((await t.spans()).filter((s) => s.name.startsWith('invoke_agent') || s.name.startsWith('execute_tool')).length, 0, 'no agent spans while disabled');
  } finally {
    t.instrumentation.enable();
  }
});
