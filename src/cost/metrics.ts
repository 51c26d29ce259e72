import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import { A, PROVIDER } from '../trace/attributes';
import { serverAttributes } from '../trace/call-attributes';
import { nanosToUsd } from './money';
import { readUsage } from './usage';

/**
 * GenAI client metrics (semantic conventions) plus a cost counter, through the OTel metrics API only:
 * with no MeterProvider they are no-ops. Attributes stay low-cardinality: operation, provider, server,
 * requested and response model, assistant id, token type, error type; never thread or run ids.
 */
export interface Metrics {
  tokens: Histogram;
  duration: Histogram;
  /** gen_ai.client.operation.time_to_first_chunk: streamed operations only. */
  firstChunk: Histogram;
  /** gen_ai.client.operation.time_per_output_chunk: each chunk after the first of a streamed operation. */
  perChunk: Histogram;
  cost: Counter;
}

/** The conventions' advised buckets for the second-valued GenAI client histograms. */
const SECONDS = { explicitBucketBoundaries: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92] };

export function createMetrics(meter: Meter): Metrics | undefined {
  const metrics: Metrics = {
    tokens: meter.createHistogram('gen_ai.client.token.usage', {
      unit: '{token}',
      description: 'Number of input and output tokens used',
      advice: { explicitBucketBoundaries: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864] },
    }),
    duration: meter.createHistogram('gen_ai.client.operation.duration', { unit: 's', description: 'GenAI operation duration', advice: SECONDS }),
    firstChunk: meter.createHistogram('gen_ai.client.operation.time_to_first_chunk', {
      unit: 's',
      description: 'Time to receive the first chunk, from when the client issues the request',
      advice: SECONDS,
    }),
    perChunk: meter.createHistogram('gen_ai.client.operation.time_per_output_chunk', {
      unit: 's',
      description: 'Time per output chunk after the first, from the previous chunk to this one',
      advice: SECONDS,
    }),
    cost: meter.createCounter('spanlens.cost', { unit: 'USD', description: 'Cost of model tokens, tool fees and audio time' }),
  };
  // No MeterProvider (the API's no-op meter): skip building attributes for records that go nowhere. The
  // API has no proxy meter, so such a meter stays a no-op until a provider is set on the instrumentation,
  // which makes new instruments.
  return metrics.duration.constructor?.name === 'NoopHistogramMetric' ? undefined : metrics;
}

/** What identifies an operation on its metrics. */
export interface OperationKey {
  /** gen_ai.operation.name; default invoke_agent (an Assistants run). */
  operation?: string;
  /** The model the app asked for (gen_ai.request.model). */
  requestModel?: string;
  /** The model that answered, as the API names it (gen_ai.response.model, often dated). */
  responseModel?: string;
  /** The SDK client the call went through: its base URL gives server.address / server.port. */
  client?: object;
  /** gen_ai.provider.name of a call made without the openai client (an Agents SDK model adapter's); default openai. */
  provider?: string;
  assistantId?: string;
  errorType?: string;
}

export interface OperationMeasurement extends OperationKey {
  inputTokens?: number;
  outputTokens?: number;
  seconds: number;
  costUsd?: number;
}

/** The token and cost parts of a measurement: a usage object as the API reports it, and its cost (nano-dollars). */
export function usageMeasure(usage: unknown, cost: { total: number } | undefined): Pick<OperationMeasurement, 'inputTokens' | 'outputTokens' | 'costUsd'> {
  const u = readUsage(usage);
  return { inputTokens: u.input, outputTokens: u.output, costUsd: cost ? nanosToUsd(cost.total) : undefined };
}

/** The attributes every metric of one operation carries (error.type only on the duration). */
export function operationAttributes(m: OperationKey): Attributes {
  const attrs: Attributes = m.client ? { ...serverAttributes(m.client) } : { [A.provider]: m.provider ?? PROVIDER };
  attrs[A.operation] = m.operation ?? 'invoke_agent';
  if (m.requestModel) attrs[A.requestModel] = m.requestModel;
  if (m.responseModel) attrs[A.responseModel] = m.responseModel;
  if (m.assistantId) attrs[A.agentId] = m.assistantId;
  return attrs;
}

/** One finished (or failed) run, response or call: its duration, its tokens by type, its cost. */
export function recordOperation(metrics: Metrics, m: OperationMeasurement): void {
  const attrs = operationAttributes(m);
  metrics.duration.record(m.seconds, m.errorType ? { ...attrs, [A.errorType]: m.errorType } : attrs);
  if (m.inputTokens !== undefined) metrics.tokens.record(m.inputTokens, { ...attrs, 'gen_ai.token.type': 'input' });
  if (m.outputTokens !== undefined) metrics.tokens.record(m.outputTokens, { ...attrs, 'gen_ai.token.type': 'output' });
  if (m.costUsd !== undefined) metrics.cost.add(m.costUsd, attrs);
}

/**
 * The streaming metrics of one streamed operation: `chunk(at)` for each output chunk (ms clock). The
 * first records time_to_first_chunk from the request's start, each later one time_per_output_chunk from
 * the chunk before. Attributes are built once, so a chunk costs one histogram record and no allocation.
 * Used by streamed chat, Assistants run streams and Responses streams (`chunkTimer(env.metrics(), …)`).
 */
export class ChunkTimer {
  private last?: number;

  constructor(
    private readonly metrics: Metrics,
    private readonly attrs: Attributes,
    private readonly requestStart: number,
  ) {}

  chunk(at: number): void {
    if (this.last === undefined) this.metrics.firstChunk.record(Math.max(0, at - this.requestStart) / 1000, this.attrs);
    else this.metrics.perChunk.record(Math.max(0, at - this.last) / 1000, this.attrs);
    this.last = at;
  }
}

/** A ChunkTimer when metrics are recorded, else undefined (callers skip chunk timing entirely). */
export function chunkTimer(metrics: Metrics | undefined, key: OperationKey, requestStart: number): ChunkTimer | undefined {
  return metrics ? new ChunkTimer(metrics, operationAttributes(key), requestStart) : undefined;
}
