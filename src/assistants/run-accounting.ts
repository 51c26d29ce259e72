import { A } from '../trace/attributes';
import { arr, obj, str, type Obj } from '../util/json';
import type { Services } from '../services';
import { apiErrorType } from '../trace/errors';
import type { ConversationStore } from '../turns/conversation-store';
import { accountTurn, addTurn, type TurnTotals } from '../turns/turn-accounting';
import { fetchThreadRuns } from './run-fetch';
import { RUN_STATUSES } from './run-statuses';
import type { RunState } from './run-tracker';
import type { RunSteps } from './step-spans';

/**
 * The run's cost (its usage; a code interpreter session when it ran code) and the thread's running
 * figures: cumulative cost and runs, the user messages this run answers and the cost per message.
 * Exact for a thread whose runs all happen in this process; threadCost 'api' reads them from the API.
 */
export async function accountRun(env: Services, store: ConversationStore, st: RunState, run: Obj, steps: RunSteps | undefined): Promise<void> {
  const usedCode = (steps?.steps ?? []).some((s) => arr(obj(s.step_details)?.tool_calls).some((c) => obj(c)?.type === 'code_interpreter'));
  const cost = env.cost.of(st.model, run.usage, { codeSessions: usedCode ? 1 : 0 });
  const ledger = store.thread(st.threadId);
  let totals = addTurn(ledger, cost);
  if (env.threadCost === 'api') {
    const fromApi = await threadTotalsFromApi(env, st, cost?.total ?? 0).catch((err: unknown) => {
      env.diag.debug(`spanlens: run list of thread ${st.threadId} not fetched: ${String(err)}`);
      return undefined;
    });
    if (cost) st.span.setAttribute(A.threadCostSource, fromApi ? 'api' : 'process');
    if (fromApi) totals = fromApi;
  }
  accountTurn(env, st, {
    turnId: st.runId,
    ledger,
    cost,
    totals,
    userMessages: st.userMessages,
    usage: run.usage,
    model: st.model,
    client: st.client,
    assistantId: st.assistantId,
    errorType: RUN_STATUSES.failed(st.status) ? apiErrorType(run.last_error, st.status) : undefined,
  });
}

/**
 * threadCost 'api': the thread's runs up to and including this one, from the run list (created_at
 * order), each priced from its own usage (this run with its tool fees too).
 */
async function threadTotalsFromApi(env: Services, st: RunState, ownNanos: number): Promise<TurnTotals> {
  const runs = await fetchThreadRuns(st);
  const upTo = runs.findIndex((r) => r.id === st.runId);
  if (upTo < 0) throw new Error('run not in the thread run list');
  let costNanos = 0;
  for (const r of runs.slice(0, upTo + 1)) costNanos += r.id === st.runId ? ownNanos : (env.cost.of(str(r.model), r.usage)?.total ?? 0);
  return { costNanos, runCount: upTo + 1 };
}
