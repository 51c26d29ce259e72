// A thread's cost per user message, recomputed from its run spans. The cumulative attributes on the spans
// (spanlens.thread.cost.usd, …) are never summed: runs of one thread may be traced by several processes, each
// with its own running total. Each run's own spanlens.cost.usd is; a run without one is priced from its tokens.
import { splitEvenly, usdToNanos, type Pricing } from '../cost';
import { numberAttr, stringArrayAttr, stringAttr, type TraceSpan } from './trace-span';

export interface Tokens {
  input: number;
  cachedInput: number;
  output: number;
}

/**
 * recorded: the span's spanlens.cost.usd; estimated: priced now from its tokens (token fees only, tool fees
 * unknown); unpriced: it has tokens but no known price; no_usage: no tokens and no cost on the span.
 */
export type CostSource = 'recorded' | 'estimated' | 'unpriced' | 'no_usage';

export interface RunCost {
  runId: string;
  status?: string;
  model?: string;
  startUs: number;
  tokens: Tokens;
  costSource: CostSource;
  /** Undefined when unpriced. */
  costNanos?: number;
}

export interface MessageRun {
  run: RunCost;
  /** False for a run that answers no user message added since the previous run (a retry): charged to the previous run's messages. */
  answersNew: boolean;
  /** How many user messages this run answers (its cost and tokens are split evenly across them). */
  sharedBy: number;
  tokens: Tokens;
  costNanos?: number;
}

export interface MessageCost {
  /** Undefined for the bucket of runs that answer no known user message. */
  id?: string;
  text?: string;
  runs: MessageRun[];
  tokens: Tokens;
  /** Known cost; runs without a price are left out and counted in unpricedRuns. */
  costNanos: number;
  unpricedRuns: number;
  runningTotalNanos: number;
}

export interface ThreadCostReport {
  threadId: string;
  traceId: string;
  messages: MessageCost[];
  totals: {
    runs: number;
    userMessages: number;
    tokens: Tokens;
    costNanos: number;
    costPerUserMessageNanos?: number;
    estimatedRuns: number;
    unpricedRuns: number;
  };
  /** Models that have no price, for the caller to warn about once each. */
  unpricedModels: string[];
}

const KIND = 'spanlens.kind';
const RUN_ID = 'openai.run.id';
// A Responses API response is a conversation's turn, as a run is a thread's. Traces recorded before the
// semconv migration name it (and the statuses) by the old keys: both are read.
const RESPONSE_ID = 'gen_ai.response.id';
const RESPONSE_ID_OLD = 'openai.response.id';
const STATUS = ['spanlens.run.status', 'spanlens.response.status', 'openai.run.status', 'openai.response.status'];
const COST = 'spanlens.cost.usd';
const INPUT = 'gen_ai.usage.input_tokens';
const CACHED = 'gen_ai.usage.cache_read.input_tokens';
const OUTPUT = 'gen_ai.usage.output_tokens';
const MESSAGE_IDS = 'spanlens.user_message.ids';
const MESSAGE_TEXTS = 'spanlens.user_message.texts';

interface RunSpan {
  span: TraceSpan;
  cost: RunCost;
  messageIds?: string[];
  messageTexts?: string[];
}

/** Undefined when the trace has no run spans. */
export function buildCostReport(threadId: string, traceId: string, spans: TraceSpan[], pricing: Pricing): ThreadCostReport | undefined {
  const runs = dedupeRuns(spans.filter((s) => s.attributes[KIND] === 'agent_step').map((span) => readRun(span, pricing)));
  if (runs.length === 0) return undefined;
  runs.sort((a, b) => a.cost.startUs - b.cost.startUs || a.cost.runId.localeCompare(b.cost.runId));

  const messages: MessageCost[] = [];
  const byId = new Map<string, MessageCost>();
  let unattributed: MessageCost | undefined;
  // What the latest run answered: a run that answers nothing new (a retry) is charged to the same messages.
  let current: MessageCost[] = [];
  for (const run of runs) {
    if (run.messageIds && run.messageIds.length > 0) {
      current = run.messageIds.map((id, i) => {
        let entry = byId.get(id);
        if (!entry) {
          entry = emptyMessage(id, run.messageTexts?.[i]);
          byId.set(id, entry);
          messages.push(entry);
        }
        entry.text ??= run.messageTexts?.[i];
        return entry;
      });
    } else if (current.length === 0) {
      if (!unattributed) {
        unattributed = emptyMessage(undefined, undefined);
        messages.push(unattributed);
      }
      current = [unattributed];
    }
    attribute(run.cost, current, Boolean(run.messageIds?.length));
  }

  let running = 0;
  for (const m of messages) {
    running += m.costNanos;
    m.runningTotalNanos = running;
  }
  const distinct = runs.map((r) => r.cost);
  const totalNanos = sum(distinct.map((r) => r.costNanos ?? 0));
  const userMessages = byId.size;
  const unpricedModels = [...new Set(distinct.filter((r) => r.costSource === 'unpriced').map((r) => r.model ?? '(no model)'))];
  return {
    threadId,
    traceId,
    messages,
    totals: {
      runs: distinct.length,
      userMessages,
      tokens: addTokens(distinct.map((r) => r.tokens)),
      costNanos: totalNanos,
      costPerUserMessageNanos: userMessages > 0 ? Math.round(totalNanos / userMessages) : undefined,
      estimatedRuns: distinct.filter((r) => r.costSource === 'estimated').length,
      unpricedRuns: distinct.filter((r) => r.costSource === 'unpriced').length,
    },
    unpricedModels,
  };
}

/** Splits the run's cost and tokens evenly (in integers that add up) across the messages it answers. */
function attribute(run: RunCost, targets: MessageCost[], answersNew: boolean): void {
  const n = targets.length;
  const cost = run.costNanos === undefined ? undefined : splitEvenly(run.costNanos, n);
  const input = splitEvenly(run.tokens.input, n);
  const cached = splitEvenly(run.tokens.cachedInput, n);
  const output = splitEvenly(run.tokens.output, n);
  targets.forEach((m, i) => {
    const tokens = { input: input[i], cachedInput: cached[i], output: output[i] };
    m.runs.push({ run, answersNew, sharedBy: n, tokens, costNanos: cost?.[i] });
    m.tokens = addTokens([m.tokens, tokens]);
    if (cost) m.costNanos += cost[i];
    else m.unpricedRuns++;
  });
}

function readRun(span: TraceSpan, pricing: Pricing): RunSpan {
  const model = stringAttr(span, 'gen_ai.request.model') ?? stringAttr(span, 'gen_ai.response.model');
  const input = numberAttr(span, INPUT);
  const output = numberAttr(span, OUTPUT);
  const tokens: Tokens = { input: count(input), cachedInput: count(numberAttr(span, CACHED)), output: count(output) };
  const recorded = numberAttr(span, COST);
  let costSource: CostSource;
  let costNanos: number | undefined;
  if (recorded !== undefined) {
    costSource = 'recorded';
    costNanos = usdToNanos(recorded);
  } else if (input === undefined && output === undefined) {
    costSource = 'no_usage';
    costNanos = 0;
  } else {
    const priced = model === undefined ? undefined : pricing.costNanos(model, tokens);
    costSource = priced ? 'estimated' : 'unpriced';
    costNanos = priced?.total;
  }
  const cost: RunCost = {
    runId: stringAttr(span, RUN_ID) ?? stringAttr(span, RESPONSE_ID) ?? stringAttr(span, RESPONSE_ID_OLD) ?? `(span ${span.spanId})`,
    status: STATUS.map((k) => stringAttr(span, k)).find((v) => v !== undefined),
    model,
    startUs: span.startUs,
    tokens,
    costSource,
    costNanos,
  };
  return { span, cost, messageIds: stringArrayAttr(span, MESSAGE_IDS), messageTexts: stringArrayAttr(span, MESSAGE_TEXTS) };
}

/**
 * One entry per run id. Two processes can both trace a run (the one that created it, and one that saw it in a
 * poll): keep the most informative span (recorded cost, then usage) and the earliest start for ordering.
 */
function dedupeRuns(runs: RunSpan[]): RunSpan[] {
  const rank: Record<CostSource, number> = { recorded: 3, estimated: 2, unpriced: 1, no_usage: 0 };
  const byId = new Map<string, RunSpan>();
  for (const run of runs) {
    const seen = byId.get(run.cost.runId);
    if (!seen) {
      byId.set(run.cost.runId, run);
      continue;
    }
    const best = rank[run.cost.costSource] > rank[seen.cost.costSource] ? run : seen;
    const other = best === run ? seen : run;
    best.cost.startUs = Math.min(best.cost.startUs, other.cost.startUs);
    if (!best.messageIds?.length && other.messageIds?.length) {
      best.messageIds = other.messageIds;
      best.messageTexts = other.messageTexts;
    }
    byId.set(run.cost.runId, best);
  }
  return [...byId.values()];
}

function emptyMessage(id: string | undefined, text: string | undefined): MessageCost {
  return { id, text, runs: [], tokens: { input: 0, cachedInput: 0, output: 0 }, costNanos: 0, unpricedRuns: 0, runningTotalNanos: 0 };
}

function addTokens(list: Tokens[]): Tokens {
  return {
    input: sum(list.map((t) => t.input)),
    cachedInput: sum(list.map((t) => t.cachedInput)),
    output: sum(list.map((t) => t.output)),
  };
}

function count(value: number | undefined): number {
  return value !== undefined && value > 0 ? Math.floor(value) : 0;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
