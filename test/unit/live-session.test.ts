// The Live session state machine fed event sequences directly (no socket), with the real dispatcher behind it
// (each delegation's nested events go to the one Responses state machine): bounded state over many
// delegations, the oldest open delegation evicted past the bound, cumulative usage taken last (never summed),
// and nested events no delegation names streamed as one response after another. Events are typed against
// openai 7's own Live types. Real sockets: live-websocket.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import type { ClientEvent, ServerEvent } from '@openai/agents-openai/node_modules/openai/resources/live/live';
import type { OpenAIInstrumentationConfig } from '../../src/config';
import { createMetrics, type Metrics } from '../../src/cost/metrics';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { CallDispatcher } from '../../src/hook/dispatch';
import { childrenOf, one } from '../support/spans';
import { testServices } from './support/services';

const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);
const BACKEND = 'gpt-5-mini';

function setup(
  metrics?: Metrics,
  start: Record<string, unknown> = { model: 'gpt-live-1', delegation: { type: 'responses', responses: { model: BACKEND } } },
  config: OpenAIInstrumentationConfig = {},
) {
  const { env, spans } = testServices({ metrics, config: { captureContent: true, ...config } });
  const dispatcher = new CallDispatcher(env);
  const session = dispatcher.live.opened({}, { client: { baseURL: 'http://127.0.0.1:4010/v1' }, ambient: ROOT_CONTEXT, startTime: T0 });
  const recv = (at: number, e: ServerEvent) => session.received(e as unknown as Record<string, unknown>, T0 + at);
  const send = (at: number, e: ClientEvent) => session.sent(e as unknown as Record<string, unknown>, T0 + at, ROOT_CONTEXT);
  session.sent({ type: 'session.start', session: start }, T0, ROOT_CONTEXT);
  return { session, recv, send, spans, dispatcher };
}

let n = 0;
const eid = () => `event_${++n}`;
const usage = { input_tokens: 100, output_tokens: 20, total_tokens: 120, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } };

/** One delegated response's nested stream, wrapped as the Live API wraps it (`delegation`: its id, or none). */
function delegatedResponse(s: ReturnType<typeof setup>, at: number, id: string, delegation: string | null, opts: { deltas?: number; end?: boolean; call?: string } = {}): void {
  const wrap = (event: Record<string, unknown>): ServerEvent => ({ type: 'response.event', event_id: eid(), delegation_id: delegation, event });
  const response = { id, object: 'response', model: BACKEND, status: 'in_progress', output: [], usage: null };
  s.recv(at, wrap({ type: 'response.created', sequence_number: 0, response }));
  for (let i = 0; i < (opts.deltas ?? 2); i++) s.recv(at, wrap({ type: 'response.output_text.delta', sequence_number: i + 1, item_id: `msg_${id}`, output_index: 0, content_index: 0, delta: 'hi ' }));
  if (opts.end === false) return;
  const message = { id: `msg_${id}`, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'hi hi', annotations: [] }] };
  const call = opts.call ? [{ id: `fc_${id}`, type: 'function_call', status: 'completed', call_id: opts.call, name: 'get_weather', arguments: '{"city":"Paris"}' }] : [];
  s.recv(at + 1, wrap({ type: 'response.completed', sequence_number: 99, response: { ...response, status: 'completed', output: [message, ...call], usage } }));
}

describe('Live session state machine', () => {
  it('2,000 delegations: each a chat span under the session, nothing of them kept once answered', () => {
    const s = setup();
    for (let i = 0; i < 2000; i++) {
      const d = `deleg_${i}`;
      s.recv(i * 10, { type: 'session.delegation.created', event_id: eid(), offset_ms: i * 10, delegation: { id: d, type: 'delegation', target: 'responses', response_id: `resp_${i}` } });
      delegatedResponse(s, i * 10 + 1, `resp_${i}`, d, { deltas: 3 });
      assert.equal(s.session.openDelegations, 0);
    }
    s.session.closed(1000, true, T0 + 30_000);
    const spans = s.spans();
    const root = one(spans, 'live gpt-live-1');
    const chats = childrenOf(spans, root);
    assert.equal(chats.length, 2000);
    assert.ok(chats.every((c) => c.name === `chat ${BACKEND}` && c.status.code === 'UNSET'));
    assert.equal(chats[1999]!.attributes['spanlens.live.delegation.id'], 'deleg_1999');
    assert.equal(root.attributes['spanlens.live.delegation.count'], 2000);
    assert.ok(Number(root.attributes['spanlens.session.cost.usd']) > 0);
  });

  it('past 32 open delegations the oldest ends evicted; the rest end at the close', () => {
    const s = setup();
    for (let i = 0; i < 40; i++) {
      s.recv(i, { type: 'session.delegation.created', event_id: eid(), offset_ms: i, delegation: { id: `d${i}`, type: 'delegation', target: 'responses' } });
      delegatedResponse(s, i, `resp_${i}`, `d${i}`, { end: false });
    }
    assert.equal(s.session.openDelegations, 32);
    s.session.end('shutdown', T0 + 100);
    const chats = s.spans().filter((x) => x.name === `chat ${BACKEND}`);
    assert.equal(chats.length, 40);
    const reasons = chats.map((c) => c.attributes['spanlens.response.end_reason']);
    assert.deepEqual(reasons.slice(0, 8), Array(8).fill('stream_aborted'), 'the 8 oldest: evicted, their streams abandoned');
    assert.deepEqual(reasons.slice(8), Array(32).fill('stream_shutdown'));
    assert.equal(s.session.openDelegations, 0);
  });

  it('cumulative audio usage: the last figure, never summed; nested events without a delegation are one stream', () => {
    const s = setup();
    for (const seconds of [1, 2.5, 4]) s.recv(seconds * 1000, { type: 'session.usage.updated', event_id: eid(), usage: { seconds } });
    delegatedResponse(s, 5000, 'resp_a', null);
    delegatedResponse(s, 6000, 'resp_b', null);
    s.recv(7000, { type: 'session.closed', event_id: eid(), reason: 'expired', usage: { seconds: 7 } } as unknown as ServerEvent);
    s.session.closed(1000, false, T0 + 7001);
    const spans = s.spans();
    const root = one(spans, 'live gpt-live-1');
    assert.equal(root.attributes['spanlens.usage.audio_seconds'], 7);
    assert.equal(root.attributes['spanlens.live.close_reason'], 'expired');
    assert.equal(root.attributes['spanlens.live.end_reason'], undefined, 'after session.closed the close is the normal end');
    assert.equal(root.attributes['spanlens.cost.usd'], Math.round((7 * 50_000_000) / 60) / 1e9);
    const chats = childrenOf(spans, root);
    assert.deepEqual(
      chats.map((c) => [c.attributes['gen_ai.response.id'], c.attributes['spanlens.live.delegation.id']]),
      [
        ['resp_a', undefined],
        ['resp_b', undefined],
      ],
    );
  });

  it("metrics: the audio time on the cost counter, so its sum is the spans' costs; durations and tokens only for the delegations", async () => {
    const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000 });
    const meters = new MeterProvider({ readers: [reader] });
    const s = setup(createMetrics(meters.getMeter('test')));
    s.recv(5, { type: 'session.started', event_id: eid(), session: { id: 'sess_m', model: 'gpt-live-1', expires_at: 0, status: 'active' } });
    s.recv(10, { type: 'session.delegation.created', event_id: eid(), offset_ms: 10, delegation: { id: 'd1', type: 'delegation', target: 'responses' } });
    delegatedResponse(s, 20, 'resp_m', 'd1');
    s.recv(90_000, { type: 'session.usage.updated', event_id: eid(), usage: { seconds: 90 } });
    s.session.closed(1000, true, T0 + 90_001);
    const spans = s.spans();
    const root = one(spans, 'live gpt-live-1');
    const chat = one(spans, `chat ${BACKEND}`);
    const { resourceMetrics } = await reader.collect();
    const metrics = new Map(resourceMetrics.scopeMetrics.flatMap((sm) => sm.metrics).map((m) => [m.descriptor.name, m]));
    type Point = { attributes: Record<string, unknown>; value: number | { count: number; sum: number } };
    const points = (name: string) => (metrics.get(name)?.dataPoints ?? []) as Point[];
    const server = { 'gen_ai.provider.name': 'openai', 'server.address': '127.0.0.1', 'server.port': 4010, 'gen_ai.operation.name': 'chat' };
    const cost = points('spanlens.cost');
    assert.deepEqual(
      cost.map((p) => p.attributes),
      [
        { ...server, 'gen_ai.request.model': BACKEND, 'gen_ai.response.model': BACKEND },
        { ...server, 'gen_ai.response.model': 'gpt-live-1' },
      ],
    );
    // 90 s at $0.05 a minute.
    assert.equal(cost[1]!.value, 0.075);
    assert.equal(root.attributes['spanlens.cost.usd'], 0.075);
    assert.equal(cost[0]!.value, chat.attributes['spanlens.cost.usd']);
    const sum = cost.reduce((t, p) => t + (p.value as number), 0);
    assert.ok(Math.abs(sum - Number(root.attributes['spanlens.session.cost.usd'])) < 1e-12, 'the counter sums to the session total');
    // A session is not an operation: the only duration and token records are the delegation's.
    assert.deepEqual(
      points('gen_ai.client.operation.duration').map((p) => [p.attributes['gen_ai.request.model'], (p.value as { count: number }).count]),
      [[BACKEND, 1]],
    );
    assert.ok(points('gen_ai.client.token.usage').every((p) => p.attributes['gen_ai.request.model'] === BACKEND));
    await meters.shutdown();
  });

  describe('delegations in full', () => {
    const CLIENT = { model: 'gpt-live-1', delegation: { type: 'client' } };
    const DECIDER = 'gpt-6-luna';
    const questions = [{ type: 'predicate' as const, instructions: 'Weather?' }];
    const DECISIONS = {
      model: 'gpt-live-1',
      delegation: { type: 'decisions', decisions: { model: DECIDER, questions } },
      triggers: [{ type: 'decisions', event_type: 'session.input_transcript.delta', decisions: { questions } }],
    };
    const decision = (model = DECIDER, answers = 1) => ({
      model,
      answers: Array.from({ length: answers }, () => ({ type: 'predicate' as const, name: null, probability: 0.9 })),
      usage: { input_tokens: 1000, input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 }, output_tokens: 10, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 1010 },
    });
    const completed = (about: { delegation_id?: string | null; trigger_id?: string | null; source_event_id?: string | null }, model?: string): ServerEvent => ({
      type: 'decision.event',
      event_id: eid(),
      delegation_id: null,
      trigger_id: null,
      source_event_id: null,
      source_event_type: about.trigger_id ? 'session.input_transcript.delta' : null,
      ...about,
      event: { type: 'decision.completed', decision: decision(model) },
    });
    const delegated = (at: number, id: string, target: 'client' | 'responses' | 'decisions'): ServerEvent => ({
      type: 'session.delegation.created',
      event_id: eid(),
      offset_ms: at,
      delegation: { id, type: 'delegation', target },
    });

    it('2,000 delegated responses each calling a function, each answered: 2,000 execute_tool spans under the session, nothing kept', () => {
      const s = setup();
      for (let i = 0; i < 2000; i++) {
        s.recv(i * 10, delegated(i * 10, `d${i}`, 'responses'));
        delegatedResponse(s, i * 10 + 1, `resp_${i}`, `d${i}`, { call: `call_${i}` });
        s.send(i * 10 + 5, { type: 'response.item.create', item: { type: 'function_call_output', call_id: `call_${i}`, output: `out ${i}` } });
        // The same output again, and one no call made: no span of their own.
        s.send(i * 10 + 6, { type: 'response.item.create', item: { type: 'function_call_output', call_id: `call_${i}`, output: 'again' } });
        s.send(i * 10 + 6, { type: 'response.item.create', item: { type: 'function_call_output', call_id: 'call_nobody', output: 'x' } });
        assert.equal(s.session.openDelegations, 0);
      }
      s.session.closed(1000, true, T0 + 30_000);
      const spans = s.spans();
      const root = one(spans, 'live gpt-live-1');
      const tools = childrenOf(spans, root).filter((x) => x.name === 'execute_tool get_weather');
      assert.equal(tools.length, 2000);
      const last = tools[1999]!;
      assert.equal(last.attributes['gen_ai.tool.call.id'], 'call_1999');
      assert.equal(last.attributes['gen_ai.tool.call.arguments'], '{"city":"Paris"}');
      assert.equal(last.attributes['gen_ai.tool.call.result'], 'out 1999');
      assert.equal(last.startMs, T0 + 19_992, "from the response's end");
      assert.equal(last.endMs, T0 + 19_995, 'to the output the app sent');
    });

    it('past 32 open client delegations and decisions the oldest end evicted, the rest with the session; a reply after that is ignored', () => {
      const s = setup(undefined, CLIENT);
      for (let i = 0; i < 40; i++) s.recv(i, delegated(i, `c${i}`, 'client'));
      s.send(50, { type: 'session.commentary.append', delegation_id: 'c0', content: 'late' });
      s.send(51, { type: 'session.commentary.append', delegation_id: 'c39', content: 'done' });
      s.send(52, { type: 'session.thinking.append', delegation_id: null, content: 'general' });
      s.session.closed(1000, true, T0 + 100);
      const work = s.spans().filter((x) => x.name === 'execute_tool delegation');
      assert.equal(work.length, 40);
      const reasons = work.map((w) => w.attributes['spanlens.live.delegation.end_reason']);
      assert.deepEqual(reasons.slice(0, 8), Array(8).fill('evicted'));
      assert.equal(work[0]!.attributes['gen_ai.tool.call.result'], undefined, 'the evicted one took no late reply');
      const answered = work.find((w) => w.attributes['spanlens.live.delegation.id'] === 'c39')!;
      assert.equal(answered.attributes['gen_ai.tool.call.result'], 'done');
      assert.equal(answered.endMs, T0 + 51);
      assert.equal(reasons.filter((r) => r === 'session_closed').length, 31);
    });

    it('decisions are timed from what started them: a delegation, decision.create (oldest first), a trigger from its transcript delta', () => {
      const s = setup(undefined, DECISIONS);
      s.recv(10, { type: 'session.input_transcript.delta', event_id: 'delta_1', delta: 'What', start_ms: 0, end_ms: 10 });
      s.recv(40, completed({ trigger_id: 'trig_1', source_event_id: 'delta_1' }));
      s.recv(100, delegated(100, 'd1', 'decisions'));
      s.send(110, { type: 'decision.create', event_id: 'evt_a' });
      s.send(120, { type: 'decision.create', event_id: 'evt_b' });
      s.recv(150, completed({ delegation_id: 'd1' }));
      s.recv(160, completed({}));
      s.recv(170, completed({}));
      // A trigger whose delta was never seen: its span starts at the decision.
      s.recv(200, completed({ trigger_id: 'trig_2', source_event_id: 'delta_unknown' }));
      s.session.closed(1000, true, T0 + 300);
      const spans = s.spans();
      const root = one(spans, 'live gpt-live-1');
      const at = (attrs: Record<string, unknown>) => {
        const d = one(spans, `chat ${DECIDER}`, attrs);
        assert.equal(d.parentSpanId, root.spanId);
        return [d.startMs - T0, d.endMs - T0];
      };
      assert.deepEqual(at({ 'spanlens.live.trigger_id': 'trig_1' }), [10, 40]);
      assert.deepEqual(at({ 'spanlens.live.delegation.id': 'd1' }), [100, 150]);
      assert.deepEqual(at({ 'spanlens.live.client_event_id': 'evt_a' }), [110, 160]);
      assert.deepEqual(at({ 'spanlens.live.client_event_id': 'evt_b' }), [120, 170]);
      assert.deepEqual(at({ 'spanlens.live.trigger_id': 'trig_2' }), [200, 200]);
      // 1000 input, 10 output tokens at $0.10 / $0.50 per 1M (the maintained price), five times: the session's total.
      const d1 = one(spans, `chat ${DECIDER}`, { 'spanlens.live.delegation.id': 'd1' });
      assert.equal(d1.attributes['spanlens.cost.usd'], 0.000105);
      assert.equal(d1.attributes['spanlens.cost.priced_as'], DECIDER);
      assert.equal(root.attributes['spanlens.session.cost.usd'], 0.000525);
      assert.equal(root.attributes['spanlens.live.decision.count'], 5);
    });

    it('a decision model with no price: usage, no cost, no session total; a lost connection fails the open work (one error rule)', () => {
      const s = setup(undefined, DECISIONS);
      s.recv(10, delegated(10, 'd1', 'decisions'));
      s.recv(20, completed({ delegation_id: 'd1' }, 'gpt-6-nova'));
      s.recv(30, delegated(30, 'd2', 'decisions'));
      s.recv(31, delegated(31, 'c1', 'client'));
      s.session.closed(1006, false, T0 + 40);
      const spans = s.spans();
      const root = one(spans, 'live gpt-live-1');
      const done = one(spans, `chat ${DECIDER}`, { 'spanlens.live.delegation.id': 'd1' });
      assert.equal(done.attributes['gen_ai.response.model'], 'gpt-6-nova');
      assert.equal(done.attributes['gen_ai.usage.input_tokens'], 1000);
      assert.equal(done.attributes['spanlens.cost.usd'], undefined);
      assert.equal(root.attributes['spanlens.session.cost.usd'], undefined, 'a total without the decision would understate it');
      for (const open of [one(spans, `chat ${DECIDER}`, { 'spanlens.live.delegation.id': 'd2' }), one(spans, 'execute_tool delegation')]) {
        assert.equal(open.status.code, 'ERROR');
        assert.equal(open.attributes['error.type'], 'websocket_closed');
        assert.equal(open.attributes['spanlens.live.delegation.end_reason'], 'server_closed');
        assert.equal(open.endMs, T0 + 40);
      }
    });

    it('junk is ignored: decision events without a decision, replies for no delegation, items that are not outputs, unknown targets', () => {
      const s = setup(undefined, CLIENT);
      const junk: unknown[] = [
        { type: 'decision.event' },
        { type: 'decision.event', event: { type: 'decision.failed' }, delegation_id: 'x' },
        { type: 'decision.event', event: 'nope' },
        { type: 'session.delegation.created', delegation: { id: 'q', target: 'elsewhere' } },
        { type: 'session.delegation.created', delegation: { target: 'client' } },
        { type: 'session.delegation.created' },
      ];
      for (const e of junk) s.recv(1, e as ServerEvent);
      for (const e of [
        { type: 'session.commentary.append', delegation_id: 'none', content: 'x' },
        { type: 'session.commentary.append', content: 42 },
        { type: 'response.item.create', item: null },
        { type: 'response.item.create', item: { type: 'function_call_output' } },
        { type: 'response.item.create', item: { type: 'message', role: 'user', content: 'hi' } },
        { type: 'session.instructions.append', delegation_id: 7, content: 'x' },
      ])
        s.send(2, e as unknown as ClientEvent);
      // A decision that completes with no usage: a span, no cost, the session total unaffected.
      s.recv(3, {
        type: 'decision.event',
        event_id: eid(),
        delegation_id: null,
        trigger_id: null,
        source_event_id: null,
        source_event_type: null,
        event: { type: 'decision.completed', decision: {} as never },
      });
      s.session.closed(1000, true, T0 + 10);
      const spans = s.spans();
      assert.deepEqual(spans.map((x) => x.name).sort(), ['chat', 'live gpt-live-1']);
      assert.equal(one(spans, 'chat').attributes['spanlens.decision.answer.count'], 0);
    });
  });
});
