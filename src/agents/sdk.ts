// The parts of the Agents SDK's tracing (`@openai/agents-core`, tracing/) this folder reads, typed
// structurally: the SDK is never imported, so an app without it loads nothing, and any copy of it (CJS, ESM,
// a duplicate install) is served alike through the two process-wide symbols it shares its state on.

/** globalThis key of the SDK's one TraceProvider (since 0.3.8; every copy of the SDK uses it). */
export const PROVIDER_SYMBOL = Symbol.for('openai.agents.core.traceProvider');
/** globalThis key of the SDK's AsyncLocalStorage holding the current trace and span. */
const ALS_SYMBOL = Symbol.for('openai.agents.core.asyncLocalStorage');

/** An SDK trace: one per `run()` (or `withTrace()`); its id is `trace_` + 32 hex. */
export interface SdkTrace {
  traceId: string;
  name?: string;
  groupId?: string | null;
}

/** What a span's `spanData` holds depends on its `type` (agent, task, turn, function, response, …). */
export type SpanData = { type?: string } & Record<string, unknown>;

/** An SDK span; `spanData` fields are filled while it runs, so they are read again at its end. */
export interface SdkSpan {
  spanId: string;
  traceId: string;
  parentId?: string | null;
  spanData: SpanData;
  error?: { message?: unknown; data?: unknown } | null;
}

/** The SDK's TracingProcessor interface. */
export interface TracingProcessor {
  onTraceStart(trace: SdkTrace): Promise<void>;
  onTraceEnd(trace: SdkTrace): Promise<void>;
  onSpanStart(span: SdkSpan): Promise<void>;
  onSpanEnd(span: SdkSpan): Promise<void>;
  shutdown(timeout?: number): Promise<void>;
  forceFlush(): Promise<void>;
  start?(): void;
}

/** The SDK's TraceProvider methods the gate wraps or calls. */
export interface TraceProviderLike {
  registerProcessor(processor: TracingProcessor): void;
  setProcessors(processors: TracingProcessor[]): void;
  setDisabled(disabled: boolean): void;
  createTrace(options: Record<string, unknown>): { traceId?: unknown };
}

interface Store {
  span?: SdkSpan | null;
  active?: boolean;
}

/**
 * The SDK span current in this async context (the `response` span while its model call is sent, the
 * `function` span while a tool runs), or undefined. A store marked inactive (0.20+) holds no current span.
 */
export function currentSdkSpan(): SdkSpan | undefined {
  const als = (globalThis as Record<symbol, { getStore?: () => unknown } | undefined>)[ALS_SYMBOL];
  const store = als?.getStore?.() as Store | undefined;
  if (!store || store.active === false) return undefined;
  const span = store.span;
  return span && typeof span.spanId === 'string' ? span : undefined;
}

/** The provider if the SDK created it already. */
export function globalProvider(): TraceProviderLike | undefined {
  try {
    const p = (globalThis as Record<symbol, unknown>)[PROVIDER_SYMBOL];
    return isProvider(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

export function isProvider(p: unknown): p is TraceProviderLike {
  const o = p as Partial<TraceProviderLike> | null | undefined;
  return typeof o?.setProcessors === 'function' && typeof o.registerProcessor === 'function' && typeof o.setDisabled === 'function' && typeof o.createTrace === 'function';
}
