import type { Span } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import { costAttributes } from '../cost/cost-model';
import { nanosToUsd, type CostNanos } from '../cost';
import type { Services } from '../services';
import type { HistoryMessage, ThreadState } from './conversation-store';

// A turn is one Assistants run or one Responses response: the unit a user message is answered by.
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
 */
export function setTurnAttributes(
  env: Services,
  span: Span,
  thread: ThreadState,
  turnId: string,
  cost: CostNanos | undefined,
  userMessages: HistoryMessage[],
  totals: TurnTotals,
): void {
  if (cost) span.setAttributes(costAttributes(cost));
  span.setAttribute(A.threadRunCount, totals.runCount);
  span.setAttribute(A.threadCostUsd, nanosToUsd(totals.costNanos));
  span.setAttribute(A.userMessageIds, userMessages.map((m, i) => m.id ?? `${turnId}:request:${i}`));
  span.setAttribute(A.userMessageCount, userMessages.length);
  if (env.content.enabled) span.setAttribute(A.userMessageTexts, userMessages.map((m) => env.content.capture(A.userMessageTexts, m.text) ?? ''));
  if (cost && userMessages.length) span.setAttribute(A.costPerUserMessage, nanosToUsd(Math.round(cost.total / userMessages.length)));
  if (thread.userMessageCount) span.setAttribute(A.threadCostPerUserMessage, nanosToUsd(Math.round(totals.costNanos / thread.userMessageCount)));
}
