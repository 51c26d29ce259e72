import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { PricingOverrides } from './cost';

export interface OpenAIInstrumentationConfig extends InstrumentationConfig {
  /**
   * Record message text, tool arguments and results, and code. Default true; also turned off by
   * OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=false.
   */
  captureContent?: boolean;
  /** Longest captured string value, in characters; longer values are cut and marked. Default 16384. */
  maxContentLength?: number;
  /** Sees every captured value before it is put on a span; return what should be recorded. */
  redact?: (value: string, key: string) => string;
  /** A run not seen to reach a terminal status within this many ms is ended and marked. Default 1 hour. */
  runTtlMs?: number;
  /** Fetch a finished polled run's steps (one request, tracing suppressed) to build step spans. Default true. */
  fetchRunSteps?: boolean;
  /**
   * Streamed runs: each `thread.message.delta` becomes its own child span of the message's chat span
   * (default false: a span event on it, which is cheaper and what most backends show better).
   */
  messageDeltaSpans?: boolean;
  /**
   * Prices merged over the bundled table (USD per 1M tokens; see src/cost/price-table.ts), after the JSON
   * file named by SPANLENS_PRICING_FILE. Unknown models get no cost attributes and one diag warning.
   */
  pricing?: PricingOverrides;
  /**
   * Where a run's thread-level figures (spanlens.thread.cost.usd, .run_count) come from: 'process'
   * (default) sums the runs this process saw; 'api' sums the thread's run list (one suppressed request
   * when a run finishes), exact across processes and restarts (token costs of other processes' runs).
   */
  threadCost?: 'process' | 'api';
  /**
   * @deprecated No longer used (accepted so existing configs keep working). A response that ends in
   * function calls now ends at once; the app's function_call_output makes an `execute_tool` span of its own.
   */
  toolOutputWaitMs?: number;
  /**
   * Which trace an operation about a thread, a conversation or a response chain goes to. 'conversation'
   * (default): the thread's / conversation's / chain's own trace (one trace per conversation, the app's span
   * as a link). 'request': the app's current trace (a child of its active span), the conversation on
   * attributes and as a link: request traces hold their LLM work, and stay short for tail samplers.
   */
  traceScope?: 'conversation' | 'request';
  /**
   * The OpenAI Agents SDK's own trace processors (its export to OpenAI's traces dashboard, and any the app
   * added). Default true: they get what the app set up, as without this package. false: they get nothing
   * (the OTel tree is the same either way), without touching the app's code.
   */
  agentsSdkExport?: boolean;
  /** Most runs, threads and assistants kept in memory at once (oldest evicted). Default 10000. */
  maxTrackedEntities?: number;
}
