// The Live session state machine fed event sequences directly (no socket), with the real dispatcher behind it
// (each delegation's nested events go to the one Responses state machine): bounded state over many
// delegations, the oldest open delegation evicted past the bound, cumulative usage taken last (never summed),
// and nested events no delegation names streamed as one response after another. Events are typed against
// openai 7's own Live types. Real sockets: live-websocket.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import type { ServerEvent } from '@openai/agents-openai/node_modules/openai/resources/live/live';
import { createMetrics, type Metrics } from '../../src/cost/metrics';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { CallDispatcher } from '../../src/hook/dispatch';
import { childrenOf, one } from '../support/spans';
import { testServices } from './support/services';

const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);
const BACKEND = 'gpt-5-mini';

function setup(metrics?: Metrics) {
  const { env, spans } = testServices({ metrics });
  const dispatcher = new CallDispatcher(env);
  const session = dispatcher.live.opened({}, { client: { baseURL: 'http://127.0.0.1:4010/v1' }, ambient: ROOT_CONTEXT, startTime: T0 });
  const recv = (at: number, e: ServerEvent) => session.received(e as unknown as Record<string, unknown>, T0 + at);
  session.sent({ type: 'session.start', session: { model: 'gpt-live-1', delegation: { type: 'responses', responses: { model: BACKEND } } } }, T0, ROOT_CONTEXT);
  return { session, recv, spans, dispatcher };
}

let n = 0;
const eid = () => `event_${++n}`;
const usage = { input_tokens: 100, output_tokens: 20, total_tokens: 120, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } };

/** One delegated response's nested stream, wrapped as the Live API wraps it (`delegation`: its id, or none). */
function delegatedResponse(s: ReturnType<typeof setup>, at: number, id: string, delegation: string | null, opts: { deltas?: number; end?: boolean } = {}): void {
  const wrap = (event: Record<string, unknown>): ServerEvent => ({ type: 'response.event', event_id: eid(), delegation_id: delegation, event });
  const response = { id, object: 'response', model: BACKEND, status: 'in_progress', output: [], usage: null };
  s.recv(at, wrap({ type: 'response.created', sequence_number: 0, response }));
  for (let i = 0; i < (opts.deltas ?? 2); i++) s.recv(at, wrap({ type: 'response.output_text.delta', sequence_number: i + 1, item_id: `msg_${id}`, output_index: 0, content_index: 0, delta: 'hi ' }));
  if (opts.end === false) return;
  const message = { id: `msg_${id}`, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'hi hi', annotations: [] }] };
  s.recv(at + 1, wrap({ type: 'response.completed', sequence_number: 99, response: { ...response, status: 'completed', output: [message], usage } }));
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
});
