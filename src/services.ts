import type { DiagLogger, Tracer } from '@opentelemetry/api';
import type { CostModel } from './cost/cost-model';
import type { Metrics } from './cost/metrics';
import type { ContentPolicy } from './trace/content';

/** What every span-building module needs: the tracer, the content policy, diag, background tracking. */
export interface Services {
  tracer(): Tracer;
  content: ContentPolicy;
  cost: CostModel;
  metrics(): Metrics | undefined;
  diag: DiagLogger;
  /** Registers background work (suppressed requests) so flush() can wait for it. */
  track(work: Promise<unknown>): void;
  fetchRunSteps: boolean;
  messageDeltaSpans: boolean;
  threadCost: 'process' | 'api';
  /** Where thread / conversation / chain operations go: see trace/placement.ts. */
  traceScope: 'conversation' | 'request';
  /** false: the Agents SDK's own processors (its export to OpenAI) get nothing (config.agentsSdkExport). */
  agentsSdkExport: boolean;
  maxEntities: number;
  runTtlMs: number;
}
