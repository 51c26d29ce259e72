// Human in the loop with the OpenAI Agents SDK (0.20, on its own openai 7, over HTTP against the emulator):
// a tool with `needsApproval: true` stops the run with an interruption; the app approves or rejects the call
// on the run's state and runs again from it (the same object, or one read back with RunState.fromString, as
// an app that keeps the state while a human decides). The interrupted run's root ends `interrupted` with an
// event per call awaiting approval; the resumed run is a second root of the same trace (the SDK keeps the
// state's trace id, and announces no trace start for an in-process resume), linked to the interrupted one,
// with the decided tool's execute_tool. What the app gets is what it gets without the instrumentation.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { trace } from '@opentelemetry/api';
import { checkSpans, summarize } from '../support/conformance';
import { all, assertWellFormed, one, sumAttr } from '../support/spans';
import { agentsPerFile, outline, sleep } from './support/agents';
import type { SpanJSON } from './support/tracing';

const a = agentsPerFile();

const MODEL = 'gpt-4.1-mini';
const TOOL_MS = 40;
const QUESTION = 'Weather in Berlin?';
type Decision = 'approve' | 'reject';
type Resume = 'same state' | 'from string';

function approvalAgent() {
  const tool = a.sdk.tool({
    name: 'get_weather',
    description: 'The weather of a city.',
    parameters: a.z.object({ city: a.z.string() }),
    needsApproval: true,
    execute: async ({ city }) => {
      await sleep(TOOL_MS);
      return `Sunny in ${city}`;
    },
  });
  return new a.sdk.Agent({ name: 'Approval agent', model: MODEL, instructions: 'Check the weather. [emulator:call=get_weather]', tools: [tool] });
}

type Agent = ReturnType<typeof approvalAgent>;
type Input = Parameters<typeof a.sdk.run<Agent>>[1];
const runPlain = (agent: Agent, input: Input) => a.sdk.run(agent, input);
const runStreamed = (agent: Agent, input: Input) => a.sdk.run(agent, input, { stream: true });
type Result = Awaited<ReturnType<typeof runPlain>> | Awaited<ReturnType<typeof runStreamed>>;

/** A run (a stream read to its end) and what the app saw of it, read before the state goes on. */
async function read(result: Result) {
  const events: string[] = [];
  if ('completed' in result) {
    for await (const e of result) events.push(e.type === 'raw_model_stream_event' ? `raw:${(e.data as { type: string }).type}` : `${e.type}:${(e as { name?: string }).name ?? ''}`);
    await result.completed;
  }
  return {
    result,
    seen: {
      events,
      interruptions: result.interruptions.map((i) => `${i.agent.name}:${(i.rawItem as { name?: string }).name}:${(i.rawItem as { callId?: string }).callId}`),
      items: result.newItems.map((i) => (i.type === 'tool_call_output_item' ? `${i.type}:${JSON.stringify(i.output)}` : i.type)),
      finalOutput: result.finalOutput,
    },
  };
}

/** Run, stop for the approval, decide, resume: what the app saw of both runs. */
async function approvalFlow(decision: Decision, resume: Resume, stream = false) {
  const agent = approvalAgent();
  const run = async (input: Input) => read(await (stream ? runStreamed : runPlain)(agent, input));
  const first = await run(QUESTION);
  let state = first.result.state;
  if (resume === 'from string') state = await a.sdk.RunState.fromString(agent, state.toString());
  for (const item of state.getInterruptions()) state[decision](item);
  const second = await run(state);
  return { first: first.seen, second: second.seen };
}

/** The two roots of the flow's trace (interrupted, resumed) and its spans. */
async function twoRuns() {
  const spans = await a.t.spans();
  const roots = spans.filter((s) => s.name === 'invoke_agent Approval agent').sort((a, b) => a.startMs - b.startMs);
  assert.equal(roots.length, 2, `two runs among ${spans.map((s) => s.name).join(', ')}`);
  return { spans, first: roots[0]!, resumed: roots[1]! };
}

const chatsUnder = (spans: SpanJSON[], root: SpanJSON) => all(spans, `chat ${MODEL}`).filter((c) => c.parentSpanId === root.spanId);
const treeOf = (spans: SpanJSON[], root: SpanJSON) => outline(spans, root).filter((l) => !/^\s+message\b/.test(l));

/** The interrupted root and the resumed one, in any flow: the tree, the interruption, the link, each run's totals. */
function assertTwoRuns(spans: SpanJSON[], first: SpanJSON, resumed: SpanJSON, callId: string) {
  assertWellFormed(spans);
  assert.deepEqual(treeOf(spans, first), ['invoke_agent Approval agent', `  chat ${MODEL}`]);
  assert.equal(first.attributes['spanlens.agents.end_reason'], 'interrupted');
  assert.equal(first.attributes['spanlens.agent.interruption.count'], 1);
  assert.equal(first.status.code, 'UNSET', 'an interruption is no error');
  assert.deepEqual(
    first.events.map((e) => [e.name, e.attributes]),
    [['spanlens.tool.approval_requested', { 'gen_ai.tool.name': 'get_weather', 'gen_ai.tool.call.id': callId }]],
  );
  assert.deepEqual(treeOf(spans, resumed), ['invoke_agent Approval agent', '  execute_tool get_weather', `  chat ${MODEL}`]);
  assert.equal(resumed.attributes['spanlens.agents.resumed'], true);
  assert.equal(first.attributes['spanlens.agents.resumed'], undefined);
  assert.equal(resumed.attributes['spanlens.agents.trace_id'], first.attributes['spanlens.agents.trace_id']);
  assert.deepEqual(resumed.links, [{ traceId: first.traceId, spanId: first.spanId, attributes: { 'spanlens.link': 'resumes' } }]);
  assert.equal(resumed.attributes['spanlens.agents.end_reason'], undefined);
  assert.equal(resumed.status.code, 'UNSET');
  assert.ok(first.endMs <= resumed.startMs);
  // Each root sums its own model call: one before the interruption, one after.
  for (const root of [first, resumed]) {
    const chats = chatsUnder(spans, root);
    assert.equal(chats.length, 1, root.name);
    assert.equal(root.attributes['spanlens.agent.model_calls'], 1);
    for (const key of ['gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens', 'spanlens.cost.usd']) {
      assert.ok(sumAttr(chats, key) > 0, key);
      assert.equal(root.attributes[key], sumAttr(chats, key), `${key} on the ${root === first ? 'interrupted' : 'resumed'} root`);
    }
  }
  const violations = checkSpans(spans);
  assert.equal(violations.length, 0, summarize(violations));
  assert.deepEqual(a.t.diag, []);
}

const callIdOf = (seen: { interruptions: string[] }) => seen.interruptions[0]!.split(':')[2]!;

it('approved: the interrupted run ends `interrupted` with the pending call; the resumed run is a second root of its trace with the tool (timed by it, approved) and the next chat', async () => {
  a.t.reset();
  const app = await approvalFlow('approve', 'same state');
  assert.deepEqual(app.first.interruptions.length, 1);
  assert.equal(app.second.interruptions.length, 0);
  const { spans, first, resumed } = await twoRuns();
  assert.equal(resumed.traceId, first.traceId, 'one trace');
  assert.equal(first.attributes['spanlens.agents.trace_id'], `trace_${first.traceId}`, "the SDK's trace id");
  assertTwoRuns(spans, first, resumed, callIdOf(app.first));
  const tool = one(spans, 'execute_tool get_weather');
  assert.equal(tool.parentSpanId, resumed.spanId);
  assert.equal(tool.attributes['spanlens.tool.approval'], 'approved');
  assert.equal(tool.attributes['gen_ai.tool.call.id'], callIdOf(app.first));
  assert.equal(tool.attributes['gen_ai.tool.call.result'], 'Sunny in Berlin');
  assert.equal(tool.status.code, 'UNSET');
  assert.ok(tool.durationMs >= TOOL_MS - 1, `timed by the tool: ${tool.durationMs} ms`);
});

it('rejected: the execute_tool the SDK makes for the refused call fails ToolApprovalRejected, spanlens.tool.approval=rejected; the run goes on', async () => {
  a.t.reset();
  const app = await approvalFlow('reject', 'same state');
  assert.match(
    app.second.items.find((i) => i.startsWith('tool_call_output_item'))!,
    /not approved/,
  );
  const { spans, first, resumed } = await twoRuns();
  assertTwoRuns(spans, first, resumed, callIdOf(app.first));
  const tool = one(spans, 'execute_tool get_weather');
  assert.equal(tool.attributes['spanlens.tool.approval'], 'rejected');
  assert.equal(tool.attributes['gen_ai.tool.call.id'], callIdOf(app.first), 'matched by name: the SDK records no input for a rejected call');
  assert.equal(tool.status.code, 'ERROR');
  assert.equal(tool.attributes['error.type'], 'ToolApprovalRejected');
});

it('a state read back with RunState.fromString (another process would): the SDK starts its trace again with the same id, so the resumed run lands in the same trace', async () => {
  a.t.reset();
  const app = await approvalFlow('approve', 'from string');
  const { spans, first, resumed } = await twoRuns();
  assert.equal(resumed.traceId, first.traceId);
  assertTwoRuns(spans, first, resumed, callIdOf(app.first));
  assert.equal(one(spans, 'execute_tool get_weather').attributes['spanlens.tool.approval'], 'approved');
});

it('streamed runs (both), approved and rejected: the same trees as unstreamed', async () => {
  for (const decision of ['approve', 'reject'] as const) {
    a.t.reset();
    const app = await approvalFlow(decision, decision === 'reject' ? 'from string' : 'same state', true);
    assert.ok(
      app.first.events.some((e) => e.startsWith('raw:')),
      'streamed',
    );
    const { spans, first, resumed } = await twoRuns();
    assertTwoRuns(spans, first, resumed, callIdOf(app.first));
    assert.equal(one(spans, 'execute_tool get_weather').attributes['spanlens.tool.approval'], decision === 'approve' ? 'approved' : 'rejected');
  }
});

it("resumed inside an app span: the resumed run is the app span's child (the placement rule for a run), linked to the interrupted run's root", async () => {
  a.t.reset();
  const agent = approvalAgent();
  const first = await a.sdk.run(agent, QUESTION);
  first.state.approve(first.interruptions[0]!);
  const app = await trace.getTracer('agents-approvals-app').startActiveSpan('approve and continue', async (span) => {
    try {
      await a.sdk.run(agent, first.state);
      return span.spanContext();
    } finally {
      span.end();
    }
  });
  const { spans, first: interrupted, resumed } = await twoRuns();
  assert.equal(resumed.traceId, app.traceId);
  assert.equal(resumed.parentSpanId, app.spanId);
  assert.notEqual(interrupted.traceId, app.traceId);
  assert.deepEqual(resumed.links, [{ traceId: interrupted.traceId, spanId: interrupted.spanId, attributes: { 'spanlens.link': 'resumes' } }]);
  assert.equal(one(spans, 'execute_tool get_weather').parentSpanId, resumed.spanId);
});

it('interrupted again after resuming: three runs in one trace, each resumed root linked to the run it resumes, the middle one interrupted too', async () => {
  a.t.reset();
  const tool = (name: string) =>
    a.sdk.tool({ name, description: `${name} of a city.`, parameters: a.z.object({ city: a.z.string() }), needsApproval: true, execute: async ({ city }) => `${name} for ${city}` });
  const agent = new a.sdk.Agent({
    name: 'Approval agent',
    model: MODEL,
    instructions: 'Weather, then time. [emulator:call=get_weather] [emulator:call=get_time]',
    tools: [tool('get_weather'), tool('get_time')],
  });
  let result = await a.sdk.run(agent, QUESTION);
  const asked: string[] = [];
  while (result.interruptions.length) {
    asked.push(...result.interruptions.map((i) => (i.rawItem as { name: string }).name));
    for (const item of result.interruptions) result.state.approve(item);
    result = await a.sdk.run(agent, result.state);
  }
  assert.deepEqual(asked, ['get_weather', 'get_time']);
  const spans = await a.t.spans();
  const roots = spans.filter((s) => s.name === 'invoke_agent Approval agent').sort((x, y) => x.startMs - y.startMs);
  assert.equal(roots.length, 3);
  assertWellFormed(spans);
  assert.ok(
    roots.every((r) => r.traceId === roots[0]!.traceId && r.parentSpanId === undefined),
    'three roots of one trace',
  );
  assert.deepEqual(
    roots.map((r) => [r.attributes['spanlens.agents.end_reason'], r.attributes['spanlens.agents.resumed'], r.links.map((l) => l.spanId)]),
    [
      ['interrupted', undefined, []],
      ['interrupted', true, [roots[0]!.spanId]],
      [undefined, true, [roots[1]!.spanId]],
    ],
  );
  assert.deepEqual(
    roots.map((r) => treeOf(spans, r)),
    [
      ['invoke_agent Approval agent', `  chat ${MODEL}`],
      ['invoke_agent Approval agent', '  execute_tool get_weather', `  chat ${MODEL}`],
      ['invoke_agent Approval agent', '  execute_tool get_time', `  chat ${MODEL}`],
    ],
  );
  assert.deepEqual(
    roots.map((r) => r.events.map((e) => e.attributes['gen_ai.tool.name'])),
    [['get_weather'], ['get_time'], []],
  );
  for (const name of ['execute_tool get_weather', 'execute_tool get_time']) assert.equal(one(spans, name).attributes['spanlens.tool.approval'], 'approved');
});

it('differential: the app gets the same interruptions, items, outputs and stream events with and without the instrumentation', async () => {
  const flows = [
    ['approve', 'same state', false],
    ['reject', 'same state', false],
    ['approve', 'from string', false],
    ['approve', 'same state', true],
    ['reject', 'from string', true],
  ] as const;
  // The emulator's call ids differ from one request to the next: compared as placeholders.
  const flow = async (decision: Decision, resume: Resume, stream: boolean) =>
    JSON.parse(JSON.stringify(await approvalFlow(decision, resume, stream)).replace(/call_[A-Za-z0-9]+/g, 'call_…')) as Awaited<ReturnType<typeof approvalFlow>>;
  const traced = [];
  for (const [decision, resume, stream] of flows) traced.push(await flow(decision, resume, stream));
  a.t.instrumentation.disable();
  try {
    a.t.reset();
    for (const [i, [decision, resume, stream]] of flows.entries()) assert.deepEqual(await flow(decision, resume, stream), traced[i], `${decision}, ${resume}${stream ? ', streamed' : ''}`);
    assert.equal((await a.t.spans()).filter((s) => s.name.startsWith('invoke_agent') || s.name.startsWith('execute_tool')).length, 0, 'no agent spans while disabled');
  } finally {
    a.t.instrumentation.enable();
  }
  assert.equal(traced[0]!.first.interruptions.length, 1, 'the flows stop for an approval');
  assert.match(traced[0]!.second.finalOutput as string, /Sunny in Berlin/);
});
