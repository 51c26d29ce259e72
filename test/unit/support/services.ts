// The Services a state-machine test hands to the code under test directly (no instrumentation, no SDK):
// an in-memory tracer provider, the content and cost policies, and the defaults an app gets.
import { diag } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { OpenAIInstrumentationConfig } from '../../../src/config';
import { CostModel } from '../../../src/cost/cost-model';
import type { Metrics } from '../../../src/cost/metrics';
import type { Services } from '../../../src/services';
import { ContentPolicy } from '../../../src/trace/content';
import { spanToJSON, type SpanJSON } from './tracing';

export interface TestServices {
  env: Services;
  provider: BasicTracerProvider;
  /** The finished spans so far. */
  spans(): SpanJSON[];
}

export function testServices(options: { config?: OpenAIInstrumentationConfig; metrics?: Metrics; traceScope?: Services['traceScope']; track?: Services['track'] } = {}): TestServices {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const env: Services = {
    tracer: () => provider.getTracer('test'),
    content: new ContentPolicy(options.config ?? {}),
    cost: new CostModel(diag, options.config?.pricing),
    metrics: () => options.metrics,
    diag,
    track: options.track ?? (() => undefined),
    fetchRunSteps: true,
    messageDeltaSpans: false,
    threadCost: 'process',
    traceScope: options.traceScope ?? 'conversation',
    agentsSdkExport: true,
    maxEntities: 100,
    runTtlMs: 60_000,
  };
  return { env, provider, spans: () => exporter.getFinishedSpans().map(spanToJSON) };
}
