import { randomFillSync } from 'node:crypto';
import { ROOT_CONTEXT, TraceFlags, trace, type Context, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';
import type { TraceKey } from './trace-ids';

// The OTel API cannot choose a root span's trace id; only the SDK's IdGenerator can. With
// ThreadTraceIdGenerator installed, every top-level span of a thread (a call about it, a run) is a root
// span of the thread's trace: trace id derived from the thread id, own random span id, no parent. So a
// thread is one trace in every process, with no synthetic or missing parent anywhere, and a root sampler
// that decides by trace id (TraceIdRatioBased) keeps or drops a thread whole, in every process.
// Without the generator, those spans hang under a remote parent with the derived ids instead (same
// trace id; backends then report that parent as missing: documented in the README).

interface ForcedIds {
  traceId: string;
  consumed: boolean;
}

let forced: ForcedIds | undefined;
let generatorConstructed = false;
let generatorRejected = false;

// Random bytes are drawn 4 KiB at a time: one randomFillSync per id cost ~1.5 µs, the largest single
// item of a traced non-streaming call (two ids per span) in a CPU profile.
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let poolPos = POOL_BYTES;
function randomHex(bytes: number): string {
  if (poolPos + bytes > POOL_BYTES) {
    randomFillSync(pool);
    poolPos = 0;
  }
  const start = poolPos;
  poolPos += bytes;
  let allZero = true;
  for (let i = start; i < poolPos; i++) if (pool[i] !== 0) allZero = false;
  if (allZero) pool[poolPos - 1] = 1;
  return pool.toString('hex', start, poolPos);
}

/**
 * An SDK IdGenerator (pass it as `idGenerator` to NodeSDK or the tracer provider): random ids, except
 * the trace id of the root spans this instrumentation starts for a thread, which is the thread's.
 */
export class ThreadTraceIdGenerator {
  constructor() {
    generatorConstructed = true;
  }

  generateTraceId(): string {
    if (forced) {
      forced.consumed = true;
      return forced.traceId;
    }
    return randomHex(16);
  }

  generateSpanId(): string {
    return randomHex(8);
  }
}

/** Fallback without ThreadTraceIdGenerator: a remote parent carrying the trace's ids. */
function fallbackContext(key: TraceKey): Context {
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: key.traceId,
    spanId: key.fallbackParentSpanId,
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
}

type RootOutcome = 'root' | 'child' | 'misrooted';

/**
 * Starts a top-level span in the trace `key` names (a thread's, a conversation's, a response chain's):
 * a root span with that trace id when ThreadTraceIdGenerator is the provider's generator, else a child
 * of the fallback parent. Callers go through placement.ts (which applies the trace scope).
 */
export function startKeyedSpan(tracer: Tracer, key: TraceKey, name: string, options: SpanOptions): { span: Span; outcome: RootOutcome } {
  if (!generatorConstructed || generatorRejected) {
    return { span: tracer.startSpan(name, options, fallbackContext(key)), outcome: 'child' };
  }
  const ids: ForcedIds = { traceId: key.traceId, consumed: false };
  forced = ids;
  let span: Span;
  try {
    span = tracer.startSpan(name, { ...options, root: true }, ROOT_CONTEXT);
  } finally {
    forced = undefined;
  }
  if (ids.consumed && span.spanContext().traceId === ids.traceId) return { span, outcome: 'root' };
  // Constructed but not the provider's generator (or a non-recording tracer): never try again.
  if (span.isRecording()) generatorRejected = true;
  return { span, outcome: span.isRecording() ? 'misrooted' : 'child' };
}
