import { createHash } from 'node:crypto';
import { trace, type Attributes, type Context, type Span, type SpanOptions } from '@opentelemetry/api';
import type { Services } from '../services';
import { A } from '../trace/attributes';
import { conversationLink, placeSpan } from '../trace/placement';
import { startKeyedSpan } from '../trace/trace-roots';
import { conversationKey, groupKey, type TraceKey } from '../trace/trace-ids';
import { runOptionsOf, sessionConversationId } from './run-options';
import type { SdkTrace } from './sdk';

/**
 * Where a span starts: a child of a context; a top-level span of the conversation trace `key` names,
 * placed by placeSpan (so traceScope applies: 'request' keeps it under `ambient`, linked to `key`); or
 * (`own`) the root of the run's own trace.
 */
export type Where = { ctx: Context } | { key: TraceKey; ambient: Context; own?: false } | { key: TraceKey; own: true; link?: TraceKey };

/** A run's place and what its root says about the conversation it belongs to. */
export interface RunPlace {
  where: Where;
  attributes: Attributes;
}

/** The trace a response chain is in (response-tracker's chains), by a response id; undefined when unknown. */
export type ChainLookup = (responseId: string) => TraceKey | undefined;

/**
 * Where an agent run's tree lives, decided at the SDK trace's start in the app's context (`ambient`),
 * by the project's rule for conversations:
 * 1. a run that belongs to a conversation lives in its trace as threads do: the Responses conversation
 *    (`conversationId`, an OpenAIConversationsSession's conversation), else the trace of the response
 *    chain `previousResponseId` continues (when this process saw it), else the trace of the SDK's groupId;
 * 2. else under the app's current span;
 * 3. else in a trace of its own whose id is the SDK's trace id without `trace_`, so an id seen in OpenAI's
 *    traces dashboard finds the same run in the OTel backend.
 * traceScope 'request' turns 1 into 2 (the conversation then on attributes and a link; with no app span,
 * 3 with the link).
 */
export function placeRun(env: Pick<Services, 'traceScope'>, sdkTrace: SdkTrace, ambient: Context, chains?: ChainLookup): RunPlace {
  const { key, attributes } = conversationOf(sdkTrace, ambient, chains);
  const hasSpan = trace.getSpan(ambient) !== undefined;
  if (key && (env.traceScope !== 'request' || hasSpan)) return { where: { key, ambient }, attributes };
  if (hasSpan) return { where: { ctx: ambient }, attributes };
  return { where: { key: runTraceKey(sdkTrace.traceId), own: true, link: key }, attributes };
}

function conversationOf(sdkTrace: SdkTrace, ambient: Context, chains: ChainLookup | undefined): { key?: TraceKey; attributes: Attributes } {
  const opts = runOptionsOf(ambient);
  const attributes: Attributes = {};
  const groupId = typeof sdkTrace.groupId === 'string' && sdkTrace.groupId ? sdkTrace.groupId : undefined;
  if (groupId) attributes[A.agentsGroupId] = groupId;
  if (opts.previousResponseId) attributes[A.previousResponseId] = opts.previousResponseId;
  const conversationId = opts.conversationId ?? sessionConversationId(opts.session);
  if (conversationId) {
    attributes[A.conversationId] = conversationId;
    return { key: conversationKey(conversationId), attributes };
  }
  const chain = opts.previousResponseId ? chains?.(opts.previousResponseId) : undefined;
  if (chain) return { key: chain, attributes };
  return { key: groupId ? groupKey(groupId) : undefined, attributes };
}

/** Starts a span at `where`: a child of a context, a top-level span of a conversation's trace, or a run's own root. */
export function startAt(env: Services, where: Where, name: string, options: SpanOptions): Span {
  if ('ctx' in where) return env.tracer().startSpan(name, options, where.ctx);
  if (!where.own) return placeSpan(env, where.key, where.ambient, name, options);
  if (where.link) options.links = [conversationLink(where.link), ...(options.links ?? [])];
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
