import { createHash } from 'node:crypto';
import { trace, type Context, type Span, type SpanOptions } from '@opentelemetry/api';
import type { Services } from '../services';
import { startKeyedSpan } from '../trace/trace-roots';
import type { TraceKey } from '../trace/trace-ids';
import type { SdkTrace } from './sdk';

/**
 * Where an agent run's tree lives: under the app's current span when there is one (the run's root is its
 * child), else in a trace of its own whose id is the SDK's trace id without `trace_`, so an id seen in
 * OpenAI's traces dashboard finds the same run in the OTel backend.
 *
 * The seam for what comes next: a run that belongs to a conversation (conversationId, a session, a
 * previousResponseId chain, the trace's groupId) goes to that conversation's trace, and the `traceScope`
 * option chooses between the two; both decide here, from the trace and the app's context at its start.
 */
export type Where = { ctx: Context } | { key: TraceKey };

export function placeRun(sdkTrace: SdkTrace, ambient: Context): Where {
  if (trace.getSpan(ambient)) return { ctx: ambient };
  return { key: runTraceKey(sdkTrace.traceId) };
}

/** Starts a span at `where`: a child of a context, or a top-level span of a keyed trace. */
export function startAt(env: Services, where: Where, name: string, options: SpanOptions): Span {
  if ('ctx' in where) return env.tracer().startSpan(name, options, where.ctx);
  return startKeyedSpan(env.tracer(), where.key, name, options).span;
}

const HEX32 = /^[0-9a-f]{32}$/;

/**
 * The trace of a run of its own: `trace_<32 hex>` keeps its hex (not all zeros); any other id (an app's
 * own traceId) is hashed like a thread id. The fallback parent span id is derived, so every process agrees.
 */
export function runTraceKey(sdkTraceId: string): TraceKey {
  const d = createHash('sha256').update(`spanlens:agents:${sdkTraceId}`).digest();
  const hex = sdkTraceId.startsWith('trace_') ? sdkTraceId.slice(6).toLowerCase() : '';
  const traceId = HEX32.test(hex) && !/^0+$/.test(hex) ? hex : nonZero(d.subarray(0, 16));
  return { traceId, fallbackParentSpanId: nonZero(d.subarray(16, 24)) };
}

function nonZero(bytes: Buffer): string {
  if (bytes.every((b) => b === 0)) bytes[bytes.length - 1] = 1;
  return bytes.toString('hex');
}
