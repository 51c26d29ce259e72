import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import { A, PROVIDER } from '../trace/attributes';

/**
 * GenAI client metrics (semantic conventions) plus a cost counter, through the OTel metrics API only:
 * with no MeterProvider they are no-ops. Attributes stay low-cardinality: model, operation, assistant
 * id, token type, error type; never thread or run ids.
 */
export interface Metrics {
  tokens: Histogram;
  duration: Histogram;
  cost: Counter;
}

export function createMetrics(meter: Meter): Metrics | undefined {
  const metrics: Metrics = {
    tokens: meter.createHistogram('gen_ai.client.token.usage', {
      unit: '{token}',
      description: 'Number of input and output tokens used',
      advice: { explicitBucketBoundaries: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864] },
    }),
    duration: meter.createHistogram('gen_ai.client.operation.duration', {
      unit: 's',
      description: 'GenAI operation duration',
      advice: { explicitBucketBoundaries: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92] },
    }),
    cost: meter.createCounter('spanlens.cost', { unit: 'USD', description: 'Cost of model tokens and tool fees' }),
  };
  // No MeterProvider (the API's no-op meter): skip building attributes for records that go nowhere. The
  // API has no proxy meter, so such a meter stays a no-op until a provider is set on the instrumentation,
  // which makes new instruments.
  return metrics.duration.constructor?.name === 'NoopHistogramMetric' ? undefined : metrics;
}

export interface OperationMeasurement {
  /** gen_ai.operation.name; default invoke_agent (an Assistants run). */
  operation?: string;
  model?: string;
  assistantId?: string;
  errorType?: string;
  inputTokens?: number;
  outputTokens?: number;
  seconds: number;
  costUsd?: number;
}

/** One finished run, response or call: its duration, its tokens by type, its cost. */
export function recordOperation(metrics: Metrics, m: OperationMeasurement): void {
  const attrs: Attributes = { [A.operation]: m.operation ?? 'invoke_agent', [A.provider]: PROVIDER };
  if (m.model) attrs[A.requestModel] = m.model;
  if (m.assistantId) attrs[A.agentId] = m.assistantId;
  metrics.duration.record(m.seconds, m.errorType ? { ...attrs, [A.errorType]: m.errorType } : attrs);
  if (m.inputTokens !== undefined) metrics.tokens.record(m.inputTokens, { ...attrs, 'gen_ai.token.type': 'input' });
  if (m.outputTokens !== undefined) metrics.tokens.record(m.outputTokens, { ...attrs, 'gen_ai.token.type': 'output' });
  if (m.costUsd !== undefined) metrics.cost.add(m.costUsd, attrs);
}
