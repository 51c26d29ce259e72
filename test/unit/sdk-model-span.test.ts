// A model call the Agents SDK traced that our openai hook did not see (another provider's adapter, a custom
// Model): its chat span from the SDK's span data records the GenAI client metrics too, under the adapter's
// provider, as a call through openai records them under openai.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { emitSdkModelSpan } from '../../src/agents/sdk-model-span';
import { createMetrics } from '../../src/cost/metrics';
import { all, one } from '../support/spans';
import { testServices } from './support/services';

it("an adapter's generation span: the chat span and its duration, token and cost metrics under the adapter's provider; a failed one with its error type", async () => {
  const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000 });
  const meters = new MeterProvider({ readers: [reader] });
  const { env, spans } = testServices({ metrics: createMetrics(meters.getMeter('test')) });
  const generation = (spanId: string, model: string, provider: string, error?: { message: string; data: object }) => ({
    spanId,
    traceId: 'trace_1',
    spanData: { type: 'generation', model: `${provider}:${model}`, model_config: { provider }, usage: { input_tokens: 120, output_tokens: 30 } },
    error,
  });
  const totals: number[] = [];
  const sink = { add: (usage: object) => void totals.push(Object.keys(usage).length) };
  emitSdkModelSpan(env, { ctx: ROOT_CONTEXT }, generation('span_ok', 'claude-sonnet-4', 'anthropic'), 1_000, 1_250, sink);
  emitSdkModelSpan(
    env,
    { ctx: ROOT_CONTEXT },
    generation('span_bad', 'claude-sonnet-4', 'anthropic', { message: 'Error in agent run', data: { error: 'RateLimitError: slow down' } }),
    2_000,
    2_100,
    sink,
  );
  // An OpenAI model behind the AI SDK's adapter: priced, so its cost reaches the counter.
  emitSdkModelSpan(env, { ctx: ROOT_CONTEXT }, generation('span_priced', 'gpt-4.1-mini', 'openai.responses'), 3_000, 3_050, sink);
  const chats = spans().filter((s) => s.name === 'chat claude-sonnet-4');
  assert.equal(chats.length, 2);
  assert.equal(all(chats, 'chat claude-sonnet-4', { 'gen_ai.provider.name': 'anthropic' }).length, 2);
  assert.equal(one(chats, 'chat claude-sonnet-4', { 'error.type': 'RateLimitError' }).status.code, 'ERROR');
  assert.equal(totals.length, 3, "each call counted once in its run's totals");
  const { resourceMetrics } = await reader.collect();
  const metrics = new Map(resourceMetrics.scopeMetrics.flatMap((sm) => sm.metrics).map((m) => [m.descriptor.name, m]));
  const durations = (metrics.get('gen_ai.client.operation.duration')!.dataPoints as { attributes: Record<string, unknown>; value: { count: number; sum: number } }[]).filter(
    (p) => p.attributes['gen_ai.provider.name'] === 'anthropic',
  );
  const base = { 'gen_ai.provider.name': 'anthropic', 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'claude-sonnet-4', 'gen_ai.response.model': 'claude-sonnet-4' };
  assert.deepEqual(
    durations.map((p) => [p.attributes, p.value.sum]),
    [
      [base, 0.25],
      [{ ...base, 'error.type': 'RateLimitError' }, 0.1],
    ],
  );
  const tokens = metrics.get('gen_ai.client.token.usage')!.dataPoints as { attributes: Record<string, unknown>; value: { sum: number } }[];
  assert.deepEqual(tokens.map((p) => [p.attributes['gen_ai.token.type'], p.attributes['gen_ai.provider.name'], p.value.sum]).sort(), [
    ['input', 'anthropic', 240],
    ['input', 'openai', 120],
    ['output', 'anthropic', 60],
    ['output', 'openai', 30],
  ]);
  // The counter sums the spans' costs (an unpriced model adds nothing to either).
  const costs = metrics.get('spanlens.cost')!.dataPoints as { attributes: Record<string, unknown>; value: number }[];
  const priced = one(spans(), 'chat gpt-4.1-mini');
  assert.ok(Number(priced.attributes['spanlens.cost.usd']) > 0, 'priced');
  assert.deepEqual(
    costs.map((p) => [p.attributes['gen_ai.provider.name'], p.attributes['gen_ai.request.model'], p.value]),
    [['openai', 'gpt-4.1-mini', priced.attributes['spanlens.cost.usd']]],
  );
  await meters.shutdown();
});
