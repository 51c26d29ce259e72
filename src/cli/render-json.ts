import { nanosToUsd } from '../cost';
import type { ThreadCostReport } from './cost-report';

/** The same report as JSON: USD as numbers (exact sums: they come from integer nano-dollars), null when unknown. */
export function renderJson(report: ThreadCostReport, prices: string[]): string {
  const usd = (nanos: number | undefined) => (nanos === undefined ? null : nanosToUsd(nanos));
  const body = {
    threadId: report.threadId,
    traceId: report.traceId,
    messages: report.messages.map((m) => ({
      id: m.id ?? null,
      text: m.text ?? null,
      tokens: m.tokens,
      costUsd: usd(m.costNanos),
      unpricedRuns: m.unpricedRuns,
      runningTotalUsd: usd(m.runningTotalNanos),
      runs: m.runs.map(({ run, answersNew, sharedBy, tokens, costNanos }) => ({
        runId: run.runId,
        status: run.status ?? null,
        model: run.model ?? null,
        answersNewMessages: answersNew,
        sharedBy,
        runTokens: run.tokens,
        runCostUsd: usd(run.costNanos),
        costSource: run.costSource,
        tokens,
        costUsd: usd(costNanos),
      })),
    })),
    totals: {
      runs: report.totals.runs,
      userMessages: report.totals.userMessages,
      tokens: report.totals.tokens,
      costUsd: usd(report.totals.costNanos),
      costPerUserMessageUsd: usd(report.totals.costPerUserMessageNanos),
      estimatedRuns: report.totals.estimatedRuns,
      unpricedRuns: report.totals.unpricedRuns,
      complete: report.totals.unpricedRuns === 0,
      unpricedModels: report.unpricedModels,
    },
    prices,
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}
