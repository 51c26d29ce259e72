// The OpenAI Agents SDK in the matrix cells it can run in: the oldest supported `@openai/agents` (0.3.8, on
// openai 6) and the newest (0.20, on openai 7), each installed next to the cell's openai (test/harness/matrix.mjs),
// on both OTel lines, as a CommonJS and as an ES module app. Each cell runs the app of
// test/scenarios/agents.mjs (a triage agent handing off to a weather agent that calls get_weather: a run, a
// streamed run, a tool that throws, max turns exceeded) against fresh emulators with the same seed, without
// and with the instrumentation: the app must see the same outputs, errors and stream events, and the trace
// must be one tree per run. openai 4 and 5 cells are declared not applicable (no supported version runs there).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { SUPPORTED_AGENTS_RANGE } from '../src/hook/instrumentation';
import type { Emulator } from '../src/testing/index';
import { cellName, runCell, selectedCells, type Cell, type CellRun, type ScenarioResult } from './harness/run-cell';
import { agentsFor, openaiDir, packageCopies } from './harness/matrix.mjs';
import { checkSpans, summarize } from './support/conformance';
import { all, assertWellFormed, childrenOf, one, outline, sumAttr, type SpanJSON } from './support/spans';
import { emulatorPerRun } from './support/emulators';

const MODULE = path.resolve(__dirname, 'scenarios/agents.mjs');
const APPROVALS_MODULE = path.resolve(__dirname, 'scenarios/agents-approvals.mjs');
const APPROVAL_FLOWS = ['approve', 'reject-stream', 'serialized'] as const;
type ApprovalFlow = (typeof APPROVAL_FLOWS)[number];
const FLOWS = ['run', 'stream', 'tool-throws', 'max-turns'] as const;
type Flow = (typeof FLOWS)[number];
/** The header the scenario's client sends (its flow), so each flow's model calls can be counted. */
const SCENARIO_HEADER = 'x-spanlens-scenario';
const SCENARIOS = FLOWS.map((flow) => ({ name: flow, module: MODULE, args: { flow, header: SCENARIO_HEADER } }));
const MODEL = 'gpt-4.1-mini';
const WEATHER = '{"city":"Berlin","celsius":21,"sky":"sunny"}';
/** The weather tool's latency (examples/weather-agents.cjs). */
const TOOL_MS = 60;

/** The tree of a run that reached the weather agent's tool (sorted: the guardrail runs beside the first call). */
const TREE = [
  'invoke_agent Triage agent',
  '  guardrail no_secrets',
  `  chat ${MODEL}`,
  '  handoff Triage agent → Weather agent',
  '  invoke_agent Weather agent',
  `    chat ${MODEL}`,
  '    execute_tool get_weather',
];
/** ...and that got the weather agent's answer (its message item under the last model call). */
const ANSWERED = [...TREE, `    chat ${MODEL}`, '      message'];
const EXPECTED_TREE: Record<Flow, string[]> = { run: ANSWERED, stream: ANSWERED, 'tool-throws': ANSWERED, 'max-turns': TREE };

const fresh = emulatorPerRun({ seed: 7, eventDelayMs: 1, chunking: 'split', unref: true });

// NODE_ENV=test: the SDK's own export to OpenAI's platform stays off (as in a test runner), in both runs.
const ENV = { NODE_ENV: 'test' };

const errorOf = (r: ScenarioResult) => (r.error ? { name: r.error.name, className: r.error.className, message: r.error.message } : undefined);

for (const cell of selectedCells()) {
  const agents = agentsFor(cell);
  describe(cellName(cell), () => {
    if ('notApplicable' in agents) {
      it('the Agents SDK: not applicable in this cell', { skip: agents.notApplicable as string }, () => undefined);
      return;
    }
    agentsCell(cell, agents as { version: string; bound: string });
    approvalsCell(cell);
  });
}

function agentsCell(cell: Cell, agents: { version: string; bound: string }): void {
  let baseline: CellRun;
  let traced: CellRun;
  let tracedEmulator: Emulator;
  before(async () => {
    baseline = await runCell(cell, { scenarios: SCENARIOS, baseURL: (await fresh()).baseURL, instrument: false, env: ENV });
    tracedEmulator = await fresh();
    traced = await runCell(cell, { scenarios: SCENARIOS, baseURL: tracedEmulator.baseURL, env: ENV });
  });
  const modelCalls = (flow: Flow) => tracedEmulator.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/responses') && r.headers[SCENARIO_HEADER] === flow).length;

  it(`@openai/agents ${agents.version} (${agents.bound}) runs on the cell's openai copy`, () => {
    const dir = openaiDir(cell);
    const core = traced.scenarios.run!.result.probe.coreEntry as string;
    assert.ok(core.startsWith(path.join(dir, 'node_modules', '@openai', 'agents-core') + path.sep), core);
    const coreVersion = JSON.parse(readFileSync(path.join(dir, 'node_modules/@openai/agents-core/package.json'), 'utf8')).version;
    assert.equal(coreVersion, agents.version);
    const [, lowest, ceiling] = /^>=(\S+) <(\d+)$/.exec(SUPPORTED_AGENTS_RANGE) ?? [];
    if (agents.bound === 'oldest supported') assert.equal(coreVersion, lowest, `the oldest tested is the lower bound of ${SUPPORTED_AGENTS_RANGE}`);
    assert.ok(Number(coreVersion.split('.')[0]) < Number(ceiling), `${coreVersion} is inside ${SUPPORTED_AGENTS_RANGE}`);
    // One copy of openai in the dir: the Agents SDK's model calls go through the cell's SDK (the one hooked).
    assert.deepEqual(
      packageCopies(dir, 'openai').map((c: { version: string }) => c.version),
      [traced.setup.openaiVersion],
    );
    assert.equal(packageCopies(dir, '@openai/agents-core').length, 1, 'one copy of the Agents SDK core');
  });

  it(`the ${cell.format === 'esm' ? 'ES module' : 'CommonJS'} build of @openai/agents-core is loaded and hooked (its Runner wrapped only with the instrumentation)`, () => {
    for (const flow of ['run', 'stream', 'tool-throws'] as const) {
      const probe = traced.scenarios[flow]!.result.probe;
      assert.match(probe.coreEntry, cell.format === 'esm' ? /[\\/]dist[\\/]index\.mjs$/ : /[\\/]dist[\\/]index\.js$/);
      assert.equal(probe.cjsCoreLoaded, cell.format === 'cjs', 'an ES module app loads no CommonJS copy of the SDK');
      assert.equal(probe.runnerWrapped, true, `${flow}: Runner.prototype.run is wrapped`);
      assert.equal(baseline.scenarios[flow]!.result.probe.runnerWrapped, false, `${flow}: not wrapped without the instrumentation`);
    }
  });

  it('differential: the app gets the same outputs, errors and stream events with and without the instrumentation', () => {
    for (const flow of FLOWS) {
      const a = traced.scenarios[flow]!;
      const b = baseline.scenarios[flow]!;
      assert.deepEqual(errorOf(a), errorOf(b), `${flow}: the app got another error`);
      assert.deepEqual(a.result?.app, b.result?.app, `${flow}: the app saw something else with the instrumentation`);
      assert.deepEqual(a.unhandled, [], `${flow}: unhandled rejections`);
      assert.deepEqual(b.unhandled, [], `${flow}: unhandled rejections (uninstrumented)`);
      assert.deepEqual(a.console, b.console, `${flow}: console output differs (the instrumentation reports through diag)`);
      assert.deepEqual(a.diag, [], `${flow}: diag warnings or errors of the instrumentation`);
    }
    // The flows did what they say, so the comparison compares something.
    const app = (flow: Flow) => baseline.scenarios[flow]!.result.app;
    for (const flow of ['run', 'stream'] as const) {
      assert.equal(app(flow).lastAgent, 'Weather agent');
      assert.ok(app(flow).finalOutput.includes(WEATHER), `${flow}: ${app(flow).finalOutput}`);
      assert.deepEqual(app(flow).items, ['handoff_call_item', 'handoff_output_item', 'tool_call_item', `tool_call_output_item:${JSON.stringify(WEATHER)}`, 'message_output_item']);
    }
    const events: string[] = app('stream').events;
    const named = events.filter((e) => !e.startsWith('raw:'));
    assert.deepEqual(named, [
      'run_item_stream_event:handoff_requested:handoff_call_item',
      'run_item_stream_event:handoff_occurred:handoff_output_item',
      'agent_updated_stream_event:Weather agent',
      'run_item_stream_event:tool_called:tool_call_item',
      'run_item_stream_event:tool_output:tool_call_output_item',
      'run_item_stream_event:message_output_created:message_output_item',
    ]);
    assert.equal(events.filter((e) => e === 'raw:response_started').length, 3, 'three streamed model calls');
    assert.ok(events.filter((e) => e === 'raw:output_text_delta').length > 1, 'the answer streams as text deltas');
    assert.match(app('tool-throws').items[3], /^tool_call_output_item:"An error occurred while running the tool/);
    assert.equal(baseline.scenarios['max-turns']!.error?.className, 'MaxTurnsExceededError');
    assert.equal(baseline.scenarios['max-turns']!.error?.message, 'Max turns (2) exceeded');
  });

  for (const flow of FLOWS) {
    it(`${flow}: one trace, invoke_agent Triage agent → handoff, invoke_agent Weather agent; each model call one chat span; execute_tool; root usage the sum`, () => {
      const spans = traced.scenarios[flow]!.spans;
      assertWellFormed(spans);
      assert.equal(new Set(spans.map((s) => s.traceId)).size, 1, 'one trace');
      const roots = spans.filter((s) => !s.parentSpanId);
      assert.deepEqual(
        roots.map((s) => s.name),
        ['invoke_agent Triage agent'],
      );
      const root = roots[0]!;
      assert.deepEqual(outline(spans, root).sort(), [...EXPECTED_TREE[flow]].sort());
      assert.equal(root.attributes['gen_ai.operation.name'], 'invoke_agent');
      assert.equal(root.attributes['gen_ai.agent.name'], 'Triage agent');
      assert.equal(root.attributes['spanlens.agents.trace_id'], `trace_${root.traceId}`);

      const handoff = one(spans, 'handoff Triage agent → Weather agent');
      assert.equal(handoff.parentSpanId, root.spanId);
      assert.equal(handoff.attributes['spanlens.handoff.to_agent'], 'Weather agent');
      const weather = one(spans, 'invoke_agent Weather agent');
      assert.equal(weather.parentSpanId, root.spanId);
      assert.equal(weather.attributes['gen_ai.agent.name'], 'Weather agent');

      // One chat span per model call the emulator got: no second span for the SDK's response span.
      const chats = all(spans, `chat ${MODEL}`);
      assert.equal(chats.length, modelCalls(flow), 'one chat span per model call');
      assert.equal(new Set(chats.map((c) => c.attributes['gen_ai.response.id'])).size, chats.length, 'each response once');
      assert.equal(spans.filter((s) => s.attributes['gen_ai.operation.name'] === 'chat').length, chats.length);
      assert.deepEqual(
        chats.map((c) => (c.parentSpanId === root.spanId ? 'triage' : c.parentSpanId === weather.spanId ? 'weather' : c.parentSpanId)).sort(),
        ['triage', ...Array(chats.length - 1).fill('weather')].sort(),
      );
      assert.equal(chats.length, flow === 'max-turns' ? 2 : 3);

      const tool = one(spans, 'execute_tool get_weather');
      assert.equal(tool.parentSpanId, weather.spanId);
      assert.equal(tool.attributes['gen_ai.tool.name'], 'get_weather');
      assert.equal(tool.attributes['gen_ai.tool.call.arguments'], '{"city":"Berlin"}');
      const [asked] = childrenOf(spans, weather)
        .filter((s) => s.name.startsWith('chat '))
        .sort((a, b) => a.startMs - b.startMs);
      const calls = JSON.parse(String(asked!.attributes['gen_ai.output.messages'])) as Array<{ parts: Array<{ type: string; id?: string }> }>;
      assert.equal(tool.attributes['gen_ai.tool.call.id'], calls[0]!.parts.find((p) => p.type === 'tool_call')?.id, 'the call id of the model call that asked for it');
      if (flow === 'tool-throws') {
        assert.equal(tool.status.code, 'ERROR');
        assert.equal(tool.attributes['error.type'], 'ToolCallError');
      } else {
        assert.equal(tool.status.code, 'UNSET');
        assert.equal(tool.attributes['gen_ai.tool.call.result'], WEATHER);
      }

      // The run's totals: the sum of its model calls.
      assert.equal(root.attributes['spanlens.agent.model_calls'], chats.length);
      for (const key of ['gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens']) {
        assert.ok(sumAttr(chats, key) > 0, key);
        assert.equal(root.attributes[key], sumAttr(chats, key), `root ${key} = Σ chat spans`);
      }

      if (flow === 'max-turns') {
        assert.equal(root.status.code, 'ERROR');
        assert.equal(root.attributes['error.type'], 'MaxTurnsExceededError', 'the class the app got');
        assert.equal(weather.status.code, 'ERROR');
      } else {
        assert.equal(root.status.code, 'UNSET');
        assert.equal(root.attributes['error.type'], undefined);
      }
      const violations = checkSpans(spans);
      assert.equal(violations.length, 0, summarize(violations));
    });
  }
}

/**
 * Human in the loop (test/scenarios/agents-approvals.mjs): the weather tool needs approval, so the run stops
 * after the handoff with one interruption, and the app resumes it from its RunState (the same object, or one
 * read back from its string) after approving or rejecting the call. Both runs are roots of one trace (the SDK
 * keeps the state's trace id); the first ends `interrupted`, the resumed one links to it and holds the tool.
 */
function approvalsCell(cell: Cell): void {
  let baseline: CellRun;
  let traced: CellRun;
  let tracedEmulator: Emulator;
  const scenarios = APPROVAL_FLOWS.map((flow) => ({ name: flow, module: APPROVALS_MODULE, args: { flow, header: SCENARIO_HEADER } }));
  before(async () => {
    baseline = await runCell(cell, { scenarios, baseURL: (await fresh()).baseURL, instrument: false, env: ENV });
    tracedEmulator = await fresh();
    traced = await runCell(cell, { scenarios, baseURL: tracedEmulator.baseURL, env: ENV });
  });
  const modelCalls = (flow: ApprovalFlow) => tracedEmulator.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/responses') && r.headers[SCENARIO_HEADER] === flow).length;

  it('approvals, differential: the app gets the same interruptions, resumed outputs and stream events with and without the instrumentation', () => {
    for (const flow of APPROVAL_FLOWS) {
      const a = traced.scenarios[flow]!;
      const b = baseline.scenarios[flow]!;
      assert.deepEqual(errorOf(a), errorOf(b), `${flow}: the app got another error`);
      assert.equal(b.error, undefined, `${flow}: ${b.error?.message}`);
      assert.deepEqual(a.result?.app, b.result?.app, `${flow}: the app saw something else with the instrumentation`);
      assert.deepEqual(a.unhandled, [], `${flow}: unhandled rejections`);
      assert.deepEqual(a.console, b.console, `${flow}: console output differs`);
      assert.deepEqual(a.diag, [], `${flow}: diag warnings or errors of the instrumentation`);
      const app = b.result.app;
      assert.equal(app.first.interruptions.length, 1, `${flow}: the run stopped for one approval`);
      assert.match(app.first.interruptions[0], /^Weather agent:get_weather:call_/);
      assert.deepEqual(app.second.interruptions, []);
      assert.equal(app.second.lastAgent, 'Weather agent');
      const output = app.second.items.find((i: string) => i.startsWith('tool_call_output_item:'));
      if (flow === 'reject-stream') assert.match(output, /not approved/);
      else assert.equal(output, `tool_call_output_item:${JSON.stringify(WEATHER)}`);
    }
    assert.ok(baseline.scenarios['reject-stream']!.result.app.first.events.includes('agent_updated_stream_event:Weather agent'), 'the streamed run was read');
  });

  for (const flow of APPROVAL_FLOWS) {
    it(`approvals, ${flow}: the interrupted run and the resumed run are two roots of one trace; the resumed one links to it and holds the ${flow === 'reject-stream' ? 'rejected' : 'approved'} tool; each root's totals its own calls`, () => {
      const spans = traced.scenarios[flow]!.spans;
      assertWellFormed(spans);
      assert.equal(new Set(spans.map((s) => s.traceId)).size, 1, "one trace: the SDK keeps the state's trace id");
      const roots = spans.filter((s) => !s.parentSpanId).sort((a, b) => a.startMs - b.startMs);
      assert.deepEqual(
        roots.map((s) => s.name),
        ['invoke_agent Triage agent', 'invoke_agent Weather agent'],
      );
      const [first, resumed] = roots as [SpanJSON, SpanJSON];
      const callId = String(baseline.scenarios[flow]!.result.app.first.interruptions[0]).split(':')[2];
      assert.deepEqual(
        outline(spans, first).sort(),
        ['invoke_agent Triage agent', '  guardrail no_secrets', `  chat ${MODEL}`, '  handoff Triage agent → Weather agent', '  invoke_agent Weather agent', `    chat ${MODEL}`].sort(),
      );
      assert.equal(first.attributes['spanlens.agents.end_reason'], 'interrupted');
      assert.equal(first.attributes['spanlens.agent.interruption.count'], 1);
      assert.equal(first.status.code, 'UNSET', 'an interruption is no error');
      assert.deepEqual(
        first.events.filter((e) => e.name === 'spanlens.tool.approval_requested').map((e) => e.attributes),
        [{ 'gen_ai.tool.name': 'get_weather', 'gen_ai.tool.call.id': callId }],
      );
      assert.ok(first.endMs <= resumed.startMs, 'the resumed run starts after the interrupted one ended');

      assert.deepEqual(outline(spans, resumed), ['invoke_agent Weather agent', '  execute_tool get_weather', `  chat ${MODEL}`, '    message']);
      assert.equal(resumed.attributes['spanlens.agents.resumed'], true);
      assert.equal(resumed.attributes['spanlens.agents.trace_id'], first.attributes['spanlens.agents.trace_id']);
      assert.deepEqual(resumed.links, [{ traceId: first.traceId, spanId: first.spanId, attributes: { 'spanlens.link': 'resumes' } }]);
      assert.equal(resumed.status.code, 'UNSET');
      assert.equal(resumed.attributes['spanlens.agents.end_reason'], undefined);
      const tool = one(spans, 'execute_tool get_weather');
      assert.equal(tool.attributes['gen_ai.tool.call.id'], callId);
      if (flow === 'reject-stream') {
        assert.equal(tool.attributes['spanlens.tool.approval'], 'rejected');
        assert.equal(tool.status.code, 'ERROR');
        assert.equal(tool.attributes['error.type'], 'ToolApprovalRejected');
      } else {
        assert.equal(tool.attributes['spanlens.tool.approval'], 'approved');
        assert.equal(tool.status.code, 'UNSET');
        assert.equal(tool.attributes['gen_ai.tool.call.result'], WEATHER);
        assert.ok(tool.durationMs >= TOOL_MS - 1, `timed by the tool: ${tool.durationMs} ms`);
      }

      // Each run's totals are its own model calls: two before the interruption, one after.
      const chats = all(spans, `chat ${MODEL}`);
      assert.equal(chats.length, modelCalls(flow), 'one chat span per model call');
      assert.equal(chats.length, 3);
      const under = (root: SpanJSON) => chats.filter((c) => c.parentSpanId === root.spanId || spans.find((p) => p.spanId === c.parentSpanId)?.parentSpanId === root.spanId);
      assert.equal(under(first).length, 2);
      assert.equal(under(resumed).length, 1);
      for (const root of [first, resumed]) {
        assert.equal(root.attributes['spanlens.agent.model_calls'], under(root).length);
        for (const key of ['gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens']) assert.equal(root.attributes[key], sumAttr(under(root), key), `${root.name} ${key} = Σ its chat spans`);
      }
      const violations = checkSpans(spans);
      assert.equal(violations.length, 0, summarize(violations));
    });
  }
}
