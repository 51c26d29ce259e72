// Voice agents: a real `RealtimeSession` of `@openai/agents-realtime` (its own `ws` socket, not openai's)
// against the emulator's Realtime endpoint on loopback, with OpenAIInstrumentation on. The agents are
// scripted by markers in their instructions (`[emulator:call=…]`, `[emulator:handoff=…]`), as an Agents
// SDK run is on the Responses side. Each scenario runs with and without the instrumentation: the app's
// session events and its history must be the same, in the same order.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { trace } from '@opentelemetry/api';
import { z } from 'zod';
import { checkSpans, summarize } from '../support/conformance';
import { assertWellFormed, childrenOf, one, outline } from '../support/spans';
import { faultOnce, startTracing, waitFor, withAndWithout, type SpanJSON, type Tracing } from './support/tracing';

type RT = typeof import('@openai/agents-realtime');
let t: Tracing;
let rt: RT;
let core: typeof import('@openai/agents-core');
/** The stream fault the emulator applies to the next /v1/realtime response (taken once). */
const realtimeFault = faultOnce('/v1/realtime');

before(async () => {
  t = await startTracing({}, { fault: realtimeFault.fault });
  // Required after enable() so the module hook sees it, as an app's would.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the require must run after enable()
  rt = require('@openai/agents-realtime') as RT;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
  core = require('@openai/agents-core') as typeof import('@openai/agents-core');
});
after(() => t.close());

const MODEL = 'gpt-realtime';
const SESSION_EVENTS = ['agent_start', 'agent_end', 'agent_handoff', 'agent_tool_start', 'agent_tool_end', 'guardrail_tripped', 'error'] as const;

/** The app's own tracer (its spans are made with or without the instrumentation). */
const APP_SCOPE = 'voice-app';

const nameOf = (a: unknown) => (a as { name?: string } | undefined)?.name ?? '?';

/** A session connected to the emulator whose events are logged as the app's listeners get them. */
async function connect(agent: InstanceType<RT['RealtimeAgent']>, options: Record<string, unknown> = {}) {
  const session = new rt.RealtimeSession(agent, { model: MODEL, config: { outputModalities: ['text'] }, outputGuardrailSettings: { debounceTextLength: -1 }, ...options });
  const log: string[] = [];
  for (const name of SESSION_EVENTS)
    session.on(name, (...args: unknown[]) => {
      switch (name) {
        case 'agent_start':
          return void log.push(`${name} ${nameOf(args[1])}`);
        case 'agent_end':
          return void log.push(`${name} ${nameOf(args[1])} ${String(args[2])}`);
        case 'agent_handoff':
          return void log.push(`${name} ${nameOf(args[1])} → ${nameOf(args[2])}`);
        case 'agent_tool_start':
          return void log.push(`${name} ${nameOf(args[2])}`);
        case 'agent_tool_end':
          return void log.push(`${name} ${nameOf(args[2])} ${String(args[3])}`);
        case 'guardrail_tripped':
          return void log.push(`${name} ${nameOf(args[1])}`);
        case 'error':
          return void log.push(`${name} ${String((args[0] as { error?: { message?: string } }).error?.message ?? '')}`);
      }
    });
  const port = Number(new URL(t.emulator.baseURL).port);
  await session.connect({ apiKey: 'sk-test', url: `ws://127.0.0.1:${port}/v1/realtime?model=${MODEL}` });
  const until = (what: string, count = 1) => waitFor(() => log.filter((l) => l.startsWith(what)).length >= count || undefined, 10_000, `${count} × ${what}`);
  return { session, log, until };
}

/**
 * What the app saw (ids taken out): its response events in order, its tool / handoff / guardrail / error
 * events in order, and its history. The SDK acts on a function call at its `output_item.done`, so whether
 * that work or the response's `response.done` reaches the app first is decided by how the socket's frames
 * arrive (one read or two), not by the app: the two sequences are each compared in order, not interleaved.
 */
function seen(log: string[], history: unknown): string {
  const responses = log.filter((l) => l.startsWith('agent_start') || l.startsWith('agent_end'));
  const work = log.filter((l) => !responses.includes(l));
  // An MCP call's history status depends on frame arrival (see test/scenarios/voice-agents.mjs).
  return JSON.stringify({ responses, work, history })
    .replace(/"(event|item|resp|sess|conv)_[0-9a-f]+"/g, '"$1_*"')
    .replace(/"call_[A-Za-z0-9]+"/g, '"call_*"')
    .replace(/("type":"mcp_call","status":)"(in_progress|completed)"/g, '$1"*"');
}

/** Runs a scenario traced, then with the instrumentation disabled: the same events and history; its spans. */
async function bothWays(scenario: () => Promise<string>): Promise<SpanJSON[]> {
  const spans = await withAndWithout(t, scenario, (seen) => seen);
  // The app's spans start on the OTel SDK's clock (Date.now(), whole milliseconds), ours on performance
  // time: an app span can start up to 1 ms before ours that it is in. Ours are checked exactly.
  assertWellFormed(spans.filter((s) => s.scope !== APP_SCOPE));
  for (const app of spans.filter((s) => s.scope === APP_SCOPE)) {
    const parent = spans.find((s) => s.spanId === app.parentSpanId);
    if (parent) assert.ok(app.startMs > parent.startMs - 1 && app.endMs <= parent.endMs + 0.001, `${app.name} inside ${parent.name}`);
  }
  // The agent layer's spans follow the conventions (the Realtime spans' own openai.* keys are the Realtime mapping's).
  const violations = checkSpans(spans.filter((s) => /^(invoke_agent|execute_tool|handoff|guardrail) /.test(s.name)));
  assert.equal(violations.length, 0, summarize(violations));
  return spans;
}

const weather = () =>
  rt.tool({ name: 'get_weather', description: 'The weather in a city.', parameters: z.object({ city: z.string() }), execute: async ({ city }: { city: string }) => `sunny in ${city}` });

describe('voice agents (@openai/agents-realtime RealtimeSession over WebSocket)', () => {
  it('a text turn: the agent under the session, its response a chat span with usage and cost', async () => {
    const spans = await bothWays(async () => {
      const s = await connect(new rt.RealtimeAgent({ name: 'Greeter', instructions: 'Be brief.' }), { workflowName: 'Front desk', groupId: 'caller-42' });
      s.session.sendMessage('Hello?');
      await s.until('agent_end');
      s.session.close();
      return seen(s.log, s.session.history);
    });
    const root = one(spans, `realtime ${MODEL}`);
    assert.deepEqual(outline(spans, root), [`realtime ${MODEL}`, '  invoke_agent Greeter', `    chat ${MODEL}`, '      message']);
    const agent = one(spans, 'invoke_agent Greeter');
    assert.equal(agent.attributes['gen_ai.agent.name'], 'Greeter');
    assert.equal(agent.attributes['gen_ai.operation.name'], 'invoke_agent');
    assert.equal(agent.status.code, 'UNSET');
    const chat = one(spans, `chat ${MODEL}`);
    assert.ok(Number(chat.attributes['gen_ai.usage.input_tokens']) > 0);
    assert.ok(Number(chat.attributes['gen_ai.usage.output_tokens']) > 0);
    assert.ok(Number(chat.attributes['spanlens.cost.usd']) > 0, 'priced (gpt-realtime)');
    assert.equal(chat.attributes['spanlens.realtime.response.trigger'], 'response.create');
    assert.equal(root.attributes['spanlens.session.response_count'], 1);
    assert.equal(root.attributes['spanlens.realtime.end_reason'], undefined, 'closed by the app');
    assert.equal(root.attributes['spanlens.realtime.tracing.workflow_name'], 'Front desk', "the SDK's server-side tracing config");
    assert.equal(root.attributes['spanlens.agents.group_id'], 'caller-42');
  });

  it('a spoken turn: audio appends counted from the socket (not parsed), the response started by turn detection', async () => {
    const spans = await bothWays(async () => {
      const s = await connect(new rt.RealtimeAgent({ name: 'Greeter', instructions: 'Be brief.' }));
      for (const loud of [true, true, true, false, false, false, false, false, false]) {
        const chunk = new Int16Array(2400);
        if (loud) for (let i = 0; i < chunk.length; i++) chunk[i] = Math.round(8000 * Math.sin(i / 5));
        s.session.sendAudio(chunk.buffer);
      }
      await s.until('agent_end');
      s.session.close();
      return seen(s.log, s.session.history);
    });
    const root = one(spans, `realtime ${MODEL}`);
    assert.equal(root.attributes['spanlens.realtime.input_audio.append.count'], 9);
    assert.equal(root.attributes['spanlens.realtime.input_audio.bytes'], 9 * 4800);
    assert.equal(root.attributes['spanlens.realtime.input_audio.duration_ms'], 900);
    const chat = one(spans, `chat ${MODEL}`);
    assert.equal(chat.attributes['spanlens.realtime.response.trigger'], 'turn_detection');
    assert.equal(chat.parentSpanId, one(spans, 'invoke_agent Greeter').spanId);
  });

  it('a tool call round trip: execute_tool a sibling of the chat spans under the agent', async () => {
    const spans = await bothWays(async () => {
      const s = await connect(new rt.RealtimeAgent({ name: 'Greeter', instructions: 'Weather. [emulator:call=get_weather]', tools: [weather()] }));
      s.session.sendMessage('Weather in Paris?');
      await s.until('agent_end', 2);
      s.session.close();
      return seen(s.log, s.session.history);
    });
    const root = one(spans, `realtime ${MODEL}`);
    assert.deepEqual(outline(spans, root), [`realtime ${MODEL}`, '  invoke_agent Greeter', `    chat ${MODEL}`, '    execute_tool get_weather', `    chat ${MODEL}`, '      message']);
    const tool = one(spans, 'execute_tool get_weather');
    assert.equal(tool.attributes['gen_ai.tool.name'], 'get_weather');
    assert.match(String(tool.attributes['gen_ai.tool.call.id']), /^call_/);
    assert.equal(tool.status.code, 'UNSET');
    const [first] = childrenOf(spans, one(spans, 'invoke_agent Greeter')).sort((a, b) => a.startMs - b.startMs);
    assert.deepEqual(first!.attributes['gen_ai.response.finish_reasons'], ['tool_calls']);
    assert.ok(tool.startMs >= first!.endMs, 'the tool runs after its response ended');
  });

  it("a tool's own work nests under its execute_tool: its openai calls (Responses, chat) and the app's span", async () => {
    const tracer = trace.getTracer(APP_SCOPE);
    const spans = await bothWays(async () => {
      const research = rt.tool({
        name: 'research',
        description: 'Asks a model, then another.',
        parameters: z.object({ q: z.string() }),
        execute: async ({ q }: { q: string }) =>
          tracer.startActiveSpan('app.research', async (span) => {
            try {
              const answer = await t.client.responses.create({ model: 'gpt-4o-mini', input: q });
              const check = await t.client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: answer.output_text }] });
              return `${answer.output_text.length > 0} ${check.choices.length}`;
            } finally {
              span.end();
            }
          }),
      });
      const s = await connect(new rt.RealtimeAgent({ name: 'Greeter', instructions: '[emulator:call=research]', tools: [research] }));
      assert.equal(research.invoke.name, 'invoke', "the app's tool object as it built it");
      const invoke = research.invoke;
      s.session.sendMessage('Look it up.');
      await s.until('agent_end', 2);
      assert.equal(research.invoke, invoke, 'the shadow is gone once the tool ran');
      s.session.close();
      return seen(s.log, s.session.history);
    });
    const root = one(spans, `realtime ${MODEL}`);
    assert.deepEqual(outline(spans, root), [
      `realtime ${MODEL}`,
      '  invoke_agent Greeter',
      `    chat ${MODEL}`,
      '    execute_tool research',
      '      app.research',
      '        chat gpt-4o-mini',
      '          message',
      '        chat gpt-4o-mini',
      `    chat ${MODEL}`,
      '      message',
    ]);
    const tool = one(spans, 'execute_tool research');
    assert.equal(tool.attributes['gen_ai.tool.call.result'], 'true 1');
    assert.equal(one(spans, 'app.research').parentSpanId, tool.spanId);
    assert.equal(root.traceId, one(spans, 'app.research').traceId);
  });

  it('a handoff to a second agent that calls its tool: one invoke_agent per agent, the handoff under the first', async () => {
    const spans = await bothWays(async () => {
      const lookup = rt.tool({ name: 'lookup', description: 'Looks it up.', parameters: z.object({ q: z.string() }), execute: async ({ q }: { q: string }) => `found ${q}` });
      const expert = new rt.RealtimeAgent({ name: 'Expert', instructions: 'An expert. [emulator:call=lookup]', tools: [lookup] });
      const greeter = new rt.RealtimeAgent({ name: 'Greeter', instructions: 'Greets. [emulator:handoff=Expert]', handoffs: [expert] });
      const s = await connect(greeter);
      s.session.sendMessage('I need an expert.');
      await s.until('agent_end', 3);
      s.session.close();
      assert.deepEqual(
        s.log.map((l) => l.split(' ').slice(0, 2).join(' ')),
        [
          'agent_start Greeter',
          'agent_end Greeter',
          'agent_handoff Greeter',
          'agent_start Expert',
          'agent_end Expert',
          'agent_tool_start lookup',
          'agent_tool_end lookup',
          'agent_start Expert',
          'agent_end Expert',
        ],
      );
      return seen(s.log, s.session.history);
    });
    const root = one(spans, `realtime ${MODEL}`);
    assert.deepEqual(outline(spans, root), [
      `realtime ${MODEL}`,
      '  invoke_agent Greeter',
      `    chat ${MODEL}`,
      '    handoff Greeter → Expert',
      '  invoke_agent Expert',
      `    chat ${MODEL}`,
      '    execute_tool lookup',
      `    chat ${MODEL}`,
      '      message',
    ]);
    const handoff = one(spans, 'handoff Greeter → Expert');
    assert.equal(handoff.attributes['spanlens.handoff.from_agent'], 'Greeter');
    assert.equal(handoff.attributes['spanlens.handoff.to_agent'], 'Expert');
    const greeter = one(spans, 'invoke_agent Greeter');
    assert.deepEqual(greeter.attributes['spanlens.agent.handoffs'], ['Expert']);
    assert.ok(greeter.endMs <= one(spans, 'invoke_agent Expert').startMs + 0.001, 'the first agent ends at the handoff');
    assert.deepEqual(one(spans, 'invoke_agent Expert').attributes['spanlens.agent.tools'], ['lookup']);
    assert.equal(root.attributes['spanlens.session.response_count'], 3);
  });

  for (const [decision, decided] of [
    ['approve', 'approved'],
    ['reject', 'rejected'],
  ] as const)
    it(`a tool that needs approval, ${decided}: events on the agent span, the decision on its execute_tool`, async () => {
      const spans = await bothWays(async () => {
        const refund = rt.tool({ name: 'refund', description: 'Refunds.', parameters: z.object({ q: z.string() }), needsApproval: true, execute: async ({ q }: { q: string }) => `refunded ${q}` });
        const s = await connect(new rt.RealtimeAgent({ name: 'Greeter', instructions: '[emulator:call=refund]', tools: [refund] }));
        s.session.on('tool_approval_requested', (_ctx: unknown, _agent: unknown, request: { approvalItem: Parameters<typeof s.session.approve>[0] }) => {
          s.log.push(`tool_approval_requested ${request.approvalItem.rawItem.type}`);
          void s.session[decision](request.approvalItem);
        });
        s.session.sendMessage('Refund it.');
        await s.until('agent_end', 2);
        s.session.close();
        assert.ok(s.log.includes('tool_approval_requested function_call'));
        return seen(s.log, s.session.history);
      });
      const root = one(spans, `realtime ${MODEL}`);
      assert.deepEqual(outline(spans, root), [`realtime ${MODEL}`, '  invoke_agent Greeter', `    chat ${MODEL}`, '    execute_tool refund', `    chat ${MODEL}`, '      message']);
      const tool = one(spans, 'execute_tool refund');
      const agent = one(spans, 'invoke_agent Greeter');
      const callId = String(tool.attributes['gen_ai.tool.call.id']);
      assert.match(callId, /^call_/);
      assert.deepEqual(
        agent.events.map((e) => [e.name, e.attributes['gen_ai.tool.name'], e.attributes['gen_ai.tool.call.id'], e.attributes['spanlens.tool.approval']]),
        [
          ['spanlens.tool.approval_requested', 'refund', callId, undefined],
          ['spanlens.tool.approval', 'refund', callId, decided],
        ],
      );
      assert.ok(agent.events[1]!.timeMs <= tool.startMs, 'decided, then run');
      assert.equal(tool.attributes['spanlens.tool.approval'], decided);
      if (decision === 'approve') {
        assert.equal(tool.status.code, 'UNSET');
        assert.equal(tool.attributes['gen_ai.tool.call.result'], 'refunded Refund it.');
      } else {
        assert.equal(tool.status.code, 'ERROR');
        assert.equal(tool.attributes['error.type'], 'ToolApprovalRejected', "as a rejected call's span in an agent run");
        assert.equal(tool.status.message, `Tool execution was not approved.: Tool execution for ${callId} was manually rejected by user.`);
        assert.equal(tool.attributes['gen_ai.tool.call.result'], 'Tool execution was not approved.');
      }
    });

  for (const approval of ['never', 'approved', 'rejected'] as const)
    it(`a hosted MCP server's call (approval: ${approval}): execute_tool {name} with its server, under its response`, async () => {
      const spans = await bothWays(async () => {
        const server = { serverLabel: 'docs', serverUrl: 'https://mcp.example.com/sse' };
        const docs = approval === 'never' ? core.hostedMcpTool({ ...server, requireApproval: 'never' }) : core.hostedMcpTool({ ...server, requireApproval: 'always' });
        const s = await connect(new rt.RealtimeAgent({ name: 'Greeter', instructions: 'Ask the docs. [emulator:script=mcp]', tools: [docs] }));
        s.session.on(
          'mcp_tool_call_completed',
          (_ctx: unknown, _agent: unknown, call: { name?: string; output?: string | null }) => void s.log.push(`mcp_tool_call_completed ${call.name} ${call.output}`),
        );
        s.session.on('tool_approval_requested', (_ctx: unknown, _agent: unknown, request: { type: string; approvalItem: Parameters<typeof s.session.approve>[0] }) => {
          s.log.push(`tool_approval_requested ${request.type}`);
          // The decision goes to the server as an item; the app asks for the next response.
          void s.session[approval === 'approved' ? 'approve' : 'reject'](request.approvalItem).then(() => s.session.transport.sendEvent({ type: 'response.create' }));
        });
        s.session.sendMessage('What is MCP?');
        await s.until('agent_end', approval === 'approved' ? 3 : 2);
        s.session.close();
        assert.equal(s.log.filter((l) => l.startsWith('mcp_tool_call_completed')).length, approval === 'rejected' ? 0 : 1);
        assert.deepEqual(
          s.log.filter((l) => l.startsWith('error')),
          [],
          'the emulator answered every client event the SDK sent',
        );
        return seen(s.log, s.session.history);
      });
      const root = one(spans, `realtime ${MODEL}`);
      const [first, second] = [`    chat ${MODEL}`, `    chat ${MODEL}`];
      assert.deepEqual(outline(spans, root), [
        `realtime ${MODEL}`,
        '  invoke_agent Greeter',
        first,
        approval === 'never' ? '      execute_tool ask_question' : '      execute_tool mcp_approval_request',
        second,
        ...(approval === 'approved' ? ['      execute_tool ask_question'] : []),
        ...(approval === 'approved' ? [`    chat ${MODEL}`] : []),
        '      message',
      ]);
      if (approval !== 'rejected') {
        const call = one(spans, 'execute_tool ask_question');
        assert.equal(call.attributes['spanlens.mcp.server_label'], 'docs');
        assert.equal(call.attributes['spanlens.subtype'], 'mcp');
        assert.equal(call.attributes['gen_ai.tool.name'], 'ask_question');
      }
      const agent = one(spans, 'invoke_agent Greeter');
      assert.deepEqual(
        agent.events.map((e) => [e.name, e.attributes['gen_ai.tool.name'], e.attributes['spanlens.mcp.server_label'], e.attributes['spanlens.tool.approval']]),
        approval === 'never'
          ? []
          : [
              ['spanlens.tool.approval_requested', 'ask_question', 'docs', undefined],
              ['spanlens.tool.approval', 'ask_question', 'docs', approval],
            ],
      );
      if (approval !== 'never') assert.equal(agent.events[0]!.attributes['openai.item.id'], one(spans, 'execute_tool mcp_approval_request').attributes['openai.item.id']);
    });

  it('a tool that throws: its execute_tool ends failed at the error event', async () => {
    const spans = await bothWays(async () => {
      const broken = rt.tool({
        name: 'broken',
        description: 'Fails.',
        parameters: z.object({ q: z.string() }),
        errorFunction: null,
        execute: async () => {
          throw new Error('the backend is down');
        },
      });
      const s = await connect(new rt.RealtimeAgent({ name: 'Greeter', instructions: '[emulator:call=broken]', tools: [broken] }));
      s.session.sendMessage('Try it.');
      await s.until('error');
      s.session.close();
      return seen(s.log, s.session.history);
    });
    const tool = one(spans, 'execute_tool broken');
    assert.equal(tool.status.code, 'ERROR');
    assert.equal(tool.attributes['error.type'], 'ToolCallError');
    assert.equal(tool.status.message, 'Error running tool: Error: the backend is down', 'what the tool threw: content, captured (on by default)');
    assert.equal(tool.parentSpanId, one(spans, 'invoke_agent Greeter').spanId);
    assert.equal(one(spans, 'invoke_agent Greeter').status.code, 'UNSET');
  });

  it('an output guardrail trip: a guardrail span under the agent, the feedback turn after it', async () => {
    const spans = await bothWays(async () => {
      let runs = 0;
      const guardrail = { name: 'no_weather_talk', execute: async () => ({ tripwireTriggered: runs++ === 0, outputInfo: { reason: 'weather' } }) };
      const s = await connect(new rt.RealtimeAgent({ name: 'Greeter', instructions: 'Be brief.' }), { outputGuardrails: [guardrail] });
      s.session.sendMessage('Hello?');
      await s.until('agent_end', 2);
      s.session.close();
      return seen(s.log, s.session.history);
    });
    const trip = one(spans, 'guardrail no_weather_talk');
    assert.equal(trip.attributes['spanlens.guardrail.name'], 'no_weather_talk');
    assert.equal(trip.attributes['spanlens.guardrail.triggered'], true);
    assert.equal(trip.parentSpanId, one(spans, 'invoke_agent Greeter').spanId);
    const root = one(spans, `realtime ${MODEL}`);
    assert.deepEqual(outline(spans, root), [
      `realtime ${MODEL}`,
      '  invoke_agent Greeter',
      `    chat ${MODEL}`,
      '      message',
      '    guardrail no_weather_talk',
      `    chat ${MODEL}`,
      '      message',
    ]);
  });

  it('a session left open at shutdown: the session, its agent and a running tool end marked', async () => {
    t.reset();
    let release!: () => void;
    const waiting = new Promise<void>((r) => (release = r));
    const slow = rt.tool({
      name: 'slow',
      description: 'Takes a while.',
      parameters: z.object({ q: z.string() }),
      execute: async () => {
        await waiting;
        return 'done';
      },
    });
    const s = await connect(new rt.RealtimeAgent({ name: 'Greeter', instructions: '[emulator:call=slow]', tools: [slow] }));
    s.session.sendMessage('Go.');
    await s.until('agent_tool_start');
    t.instrumentation.disable(); // what the provider's shutdown does: open work ends, marked
    try {
      release();
      await s.until('agent_end', 2);
      s.session.close();
    } finally {
      t.instrumentation.enable();
    }
    const spans = await t.spans();
    assertWellFormed(spans);
    const root = one(spans, `realtime ${MODEL}`);
    assert.equal(root.attributes['spanlens.realtime.end_reason'], 'shutdown');
    assert.equal(one(spans, 'invoke_agent Greeter').attributes['spanlens.agents.end_reason'], 'shutdown');
    const tool = one(spans, 'execute_tool slow');
    assert.equal(tool.status.code, 'ERROR');
    assert.equal(tool.attributes['error.type'], 'shutdown');
    assert.deepEqual(outline(spans, root), [`realtime ${MODEL}`, '  invoke_agent Greeter', `    chat ${MODEL}`, '    execute_tool slow'], 'nothing after the shutdown');
  });

  it("the server's close mid-response: the response fails websocket_closed, the agent and session end marked", async () => {
    const spans = await bothWays(async () => {
      realtimeFault.arm('cut-after:3');
      const s = await connect(new rt.RealtimeAgent({ name: 'Greeter', instructions: 'Be brief.' }));
      s.session.sendMessage('Hello?');
      await waitFor(() => s.session.transport.status === 'disconnected' || undefined, 10_000, 'the disconnect');
      return seen(s.log, s.session.history);
    });
    const root = one(spans, `realtime ${MODEL}`);
    assert.equal(root.attributes['spanlens.realtime.end_reason'], 'server_closed');
    const chat = one(spans, `chat ${MODEL}`);
    assert.equal(chat.status.code, 'ERROR');
    assert.equal(chat.attributes['error.type'], 'websocket_closed');
    const agent = one(spans, 'invoke_agent Greeter');
    assert.equal(agent.attributes['spanlens.agents.end_reason'], 'server_closed');
    assert.equal(chat.parentSpanId, agent.spanId);
  });
});
