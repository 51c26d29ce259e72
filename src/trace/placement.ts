import { ROOT_CONTEXT, TraceFlags, isSpanContextValid, trace, type Context, type Link, type Span, type SpanOptions } from '@opentelemetry/api';
import type { Services } from '../services';
import type { TraceKey } from './trace-ids';
import { startKeyedSpan } from './trace-roots';

/** What placing a span needs from the services (so a caller with a partial environment can use it too). */
export type PlacementEnv = Pick<Services, 'tracer' | 'diag' | 'traceScope'>;

/**
 * The one decision of where a top-level span about a thread, a conversation or a response chain goes
 * (and an agent run's: agent code calls this too). `key` names the trace the operation belongs to
 * (threadKey, conversationKey, a chain's first response); undefined for a standalone operation, which is
 * always a child of `ambient` (the app's context at call time).
 *
 * - traceScope 'conversation' (default): a root span of `key`'s trace (trace-roots.ts); the app's span
 *   at call time becomes a `caller` link (unless `callerLink` is false).
 * - traceScope 'request': a child of `ambient` (a root of a new trace when the app has no span), with a
 *   `conversation` link to `key`'s root context (derived trace id and root span id; for a response
 *   chain, its first response's span), so the other turns can still be found.
 *
 * `options` is the caller's own object: its links are completed in place (no copy per span).
 */
export function placeSpan(env: PlacementEnv, key: TraceKey | undefined, ambient: Context | undefined, name: string, options: SpanOptions, callerLink = true): Span {
  const tracer = env.tracer();
  if (!key) return tracer.startSpan(name, options, ambient ?? ROOT_CONTEXT);
  if (env.traceScope === 'request') {
    options.links = options.links ? [conversationLink(key), ...options.links] : [conversationLink(key)];
    return tracer.startSpan(name, options, ambient ?? ROOT_CONTEXT);
  }
  const caller = callerLink && ambient ? trace.getSpanContext(ambient) : undefined;
  if (caller && isSpanContextValid(caller)) {
    // The app's span at call time: the conversation's trace is elsewhere, so it is a link, not a parent.
    const link: Link = { context: caller, attributes: { 'spanlens.link': 'caller' } };
    options.links = options.links ? [link, ...options.links] : [link];
  }
  const { span, outcome } = startKeyedSpan(tracer, key, name, options);
  if (outcome === 'misrooted') {
    env.diag.warn("spanlens: ThreadTraceIdGenerator was constructed but is not the tracer provider's idGenerator; thread spans fall back to a remote parent");
  }
  return span;
}

/** The link a request-scoped span carries to its thread's / conversation's / chain's trace. */
export function conversationLink(key: TraceKey): Link {
  return {
    context: { traceId: key.traceId, spanId: key.fallbackParentSpanId, traceFlags: TraceFlags.SAMPLED, isRemote: true },
    attributes: { 'spanlens.link': 'conversation' },
  };
}

/**
 * Where an operation that is a trace of its own goes when no id is known to derive its trace from at its
 * start (a Realtime session: its id arrives in its first event): traceScope 'conversation', the root of
 * a new trace with the app's span at the time as a `caller` link; 'request', a child of `ambient`.
 */
export function placeOwnTrace(env: PlacementEnv, ambient: Context | undefined, name: string, options: SpanOptions): Span {
  const tracer = env.tracer();
  if (env.traceScope === 'request') return tracer.startSpan(name, options, ambient ?? ROOT_CONTEXT);
  const caller = ambient ? trace.getSpanContext(ambient) : undefined;
  if (caller && isSpanContextValid(caller)) {
    const link: Link = { context: caller, attributes: { 'spanlens.link': 'caller' } };
    options.links = options.links ? [link, ...options.links] : [link];
  }
  return tracer.startSpan(name, { ...options, root: true }, ROOT_CONTEXT);
}
