import type { Span } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import { costAttributes } from '../cost/cost-model';
import { nanosToUsd, type CostNanos } from '../cost';
import type { Services } from '../services';
import { recordOperation, type OperationKey } from '../cost/metrics';
import { readUsage } from '../cost/usage';
import type { HistoryMessage, ThreadState } from './conversation-store';
import type { TurnState } from './turn-tracker';

// A turn is one Assistants run, one Responses response or one Realtime response: the unit a user message is answered by.
// Both feed the same running figures of their thread / conversation, read back by `spanlens cost`.

export interface TurnTotals {
  costNanos: number;
  runCount: number;
}

/** Counts a finished turn into its thread's (or conversation's) running totals. */
export function addTurn(thread: ThreadState, cost: CostNanos | undefined): TurnTotals {
  thread.runCount++;
  if (cost) thread.costNanos += cost.total;
  return { costNanos: thread.costNanos, runCount: thread.runCount };
}

/**
 * The turn's cost and its thread's running figures on the turn's span: cumulative cost and turns, the
 * user messages it answers (request-body messages get a stable placeholder id) and the cost per message.
 * A Realtime session's responses are turns too (the session is their ledger).
 */
export function setTurnAttributes(
  env: Services,
  span: Span,
  thread: Pick<ThreadState, 'userMessageCount'>,
  turnId: string,
  cost: CostNanos | undefined,
  userMessages: HistoryMessage[],
  totals: TurnTotals,
): void {
  span.setAttribute(A.threadRunCount, totals.runCount);
  span.setAttribute(
    A.userMessageIds,
    userMessages.map((m, i) => m.id ?? `${turnId}:request:${i}`),
  );
  span.setAttribute(A.userMessageCount, userMessages.length);
  if (env.content.enabled)
    span.setAttribute(
      A.userMessageTexts,
      userMessages.map((m) => env.content.capture(A.userMessageTexts, m.text) ?? ''),
    );
  // An unpriced turn has no cost attributes at all: a 0 would read as "free", not "unknown".
  if (!cost) return;
  span.setAttributes(costAttributes(cost));
  span.setAttribute(A.threadCostUsd, nanosToUsd(totals.costNanos));
  if (userMessages.length) span.setAttribute(A.costPerUserMessage, nanosToUsd(Math.round(cost.total / userMessages.length)));
  if (thread.userMessageCount) span.setAttribute(A.threadCostPerUserMessage, nanosToUsd(Math.round(totals.costNanos / thread.userMessageCount)));
}

/** A finished turn as the accounting sees it. */
interface TurnAccount {
  turnId: string;
  /** The thread or conversation whose running figures it counts in. */
  ledger: ThreadState;
  cost: CostNanos | undefined;
  totals: TurnTotals;
  userMessages: HistoryMessage[];
  usage: unknown;
  /** The model the app asked for (metrics' gen_ai.request.model). */
  model?: string;
  /** The model that answered as the API names it (metrics' gen_ai.response.model), when it differs. */
  responseModel?: string;
  /** The SDK client: server.address / server.port on the metrics. */
  client?: object;
  /** Set when the turn failed. */
  errorType?: string;
  /** The metrics' operation name (default invoke_agent). */
  operation?: string;
  assistantId?: string;
}

/**
 * A turn that ended with its stream (`stream_*`: the app broke off, the stream was cut or failed) ended in
 * the app's view: its duration is recorded, with error.type when it failed (an error event, a broken
 * connection). One merely not seen to finish (TTL, eviction, shutdown) has no duration to record.
 */
export function recordStreamEndedTurn(env: Services, st: TurnState, reason: string, key: OperationKey): void {
  const metrics = reason.startsWith('stream_') ? env.metrics() : undefined;
  if (metrics) recordOperation(metrics, { ...key, errorType: st.errorType, seconds: Math.max(0, st.lastSeen - st.startTime) / 1000 });
}

/** A finished turn's figures on its span (see setTurnAttributes) and in the operation metrics. */
export function accountTurn(env: Services, st: TurnState, t: TurnAccount): void {
  setTurnAttributes(env, st.span, t.ledger, t.turnId, t.cost, t.userMessages, t.totals);
  const metrics = env.metrics();
  if (!metrics) return;
  const usage = readUsage(t.usage);
  recordOperation(metrics, {
    operation: t.operation,
    requestModel: t.model,
    responseModel: t.responseModel ?? t.model,
    client: t.client,
    assistantId: t.assistantId,
    errorType: t.errorType,
    inputTokens: usage.input,
    outputTokens: usage.output,
    seconds: Math.max(0, st.lastSeen - st.startTime) / 1000,
    costUsd: t.cost ? nanosToUsd(t.cost.total) : undefined,
  });
}
