import { randomFillSync } from 'node:crypto';
import {
  ROOT_CONTEXT,
  TraceFlags,
  trace,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';
import { threadRootSpanId, threadTraceId } from './thread-ids';

// The OTel API cannot choose a root span's trace id; only the SDK's IdGenerator can. So:
//  - every span of a thread is a child of the thread's root context (trace id and root span id derived
//    from the thread id), which gives one trace per thread in every process;
//  - the span of the call that created the thread is exported *as* that root, with the derived ids,
//    when the app's SDK uses ThreadTraceIdGenerator. Without it the root is never exported and
//    backends show the thread's spans under a missing parent (documented in the README).

interface ForcedIds {
  traceId: string;
  spanId: string;
  consumed: boolean;
}

let forced: ForcedIds | undefined;
let generatorConstructed = false;
let generatorRejected = false;

const buf = Buffer.allocUnsafe(16);
function randomHex(bytes: number): string {
  randomFillSync(buf, 0, bytes);
  let allZero = true;
  for (let i = 0; i < bytes; i++) if (buf[i] !== 0) allZero = false;
  if (allZero) buf[bytes - 1] = 1;
  return buf.toString('hex', 0, bytes);
}

/**
 * An SDK IdGenerator (pass it as `idGenerator` to NodeSDK or the tracer provider): random ids, except
 * for the one span per thread that this instrumentation exports as the thread's trace root.
 */
export class ThreadTraceIdGenerator {
  constructor() {
    generatorConstructed = true;
  }

  generateTraceId(): string {
    if (forced) return forced.traceId;
    return randomHex(16);
  }

  generateSpanId(): string {
    if (forced) {
      forced.consumed = true;
      return forced.spanId;
    }
    return randomHex(8);
  }
}

/** The context whose (remote) parent is the thread's root span: every thread span starts under it. */
export function threadContext(threadId: string): Context {
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: threadTraceId(threadId),
    spanId: threadRootSpanId(threadId),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
}

export type RootOutcome = 'root' | 'child' | 'misrooted';

/**
 * Starts the span of the call that created a thread. With ThreadTraceIdGenerator installed it becomes
 * the thread's root span; otherwise it is a child of the (never exported) root like every other span.
 */
export function startThreadRootSpan(
  tracer: Tracer,
  threadId: string,
  name: string,
  options: SpanOptions,
): { span: Span; outcome: RootOutcome } {
  if (!generatorConstructed || generatorRejected) {
    return { span: tracer.startSpan(name, options, threadContext(threadId)), outcome: 'child' };
  }
  const ids: ForcedIds = { traceId: threadTraceId(threadId), spanId: threadRootSpanId(threadId), consumed: false };
  forced = ids;
  let span: Span;
  try {
    span = tracer.startSpan(name, { ...options, root: true }, ROOT_CONTEXT);
  } finally {
    forced = undefined;
  }
  const ctx = span.spanContext();
  if (ids.consumed && ctx.traceId === ids.traceId) return { span, outcome: 'root' };
  // Constructed but not the provider's generator (or a non-recording tracer): never try again.
  if (span.isRecording()) generatorRejected = true;
  return { span, outcome: span.isRecording() ? 'misrooted' : 'child' };
}

/** For tests: whether root spans will be attempted. */
export function threadRootsEnabled(): boolean {
  return generatorConstructed && !generatorRejected;
}
