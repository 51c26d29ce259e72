import { formatNanos } from '../cost';
import type { MessageCost, MessageRun, ThreadCostReport, Tokens } from './cost-report';

const TEXT_WIDTH = 60;

/** The human report: one block per user message in thread order, then the thread totals. */
export function renderText(report: ThreadCostReport, pricesNote: string): string {
  const { totals } = report;
  const lines: string[] = [`Thread ${report.threadId} · trace ${report.traceId} · ${plural(totals.runs, 'run')} · ${plural(totals.userMessages, 'user message')}`, ''];
  const rows = report.messages.flatMap((m) => m.runs.map((r) => runCells(m, r)));
  const widths = [0, 1, 2, 3].map((i) => Math.max(0, ...rows.map((cells) => cells[i].length)));

  let n = 0;
  for (const message of report.messages) {
    lines.push(heading(message, message.id === undefined ? undefined : ++n));
    for (const run of message.runs) {
      const cells = runCells(message, run);
      const padded = cells.slice(0, 4).map((cell, i) => (i === 3 ? cell.padStart(widths[i]) : cell.padEnd(widths[i])));
      lines.push(`    ${padded.join('  ')}  ${cells[4]}`.trimEnd());
    }
    const unpriced = message.unpricedRuns > 0 ? ` + ${plural(message.unpricedRuns, 'run')} without a price` : '';
    lines.push(`    = ${tokenText(message.tokens)} · $${formatNanos(message.costNanos)}${unpriced} · running total $${formatNanos(message.runningTotalNanos)}`, '');
  }

  const notes = [totals.estimatedRuns > 0 ? `${totals.estimatedRuns} estimated from tokens` : '', totals.unpricedRuns > 0 ? `${totals.unpricedRuns} without a price` : ''].filter(Boolean);
  const incomplete = totals.unpricedRuns > 0 ? `  (incomplete: no price for ${report.unpricedModels.map((m) => JSON.stringify(m)).join(', ')})` : '';
  lines.push(
    'Thread totals',
    `  runs              ${totals.runs}${notes.length ? ` (${notes.join(', ')})` : ''}`,
    `  user messages     ${totals.userMessages}`,
    `  tokens            ${tokenText(totals.tokens)}`,
    `  cost              $${formatNanos(totals.costNanos)}${incomplete}`,
    `  per user message  ${totals.costPerUserMessageNanos === undefined ? 'n/a' : `$${formatNanos(totals.costPerUserMessageNanos)}`}`,
    '',
    pricesNote,
  );
  return `${lines.join('\n')}\n`;
}

function heading(message: MessageCost, index: number | undefined): string {
  if (index === undefined) return '(runs before any user message)';
  const label = message.text !== undefined ? JSON.stringify(truncate(message.text)) : `${message.id} (text not captured)`;
  return `#${index} ${label}`;
}

/** run id, status, model, cost (right-aligned), then notes. */
function runCells(message: MessageCost, entry: MessageRun): [string, string, string, string, string] {
  const { run } = entry;
  const cost = entry.costNanos === undefined ? '—' : `$${formatNanos(entry.costNanos)}`;
  const notes = [
    `${tokenText(run.tokens)}`,
    entry.sharedBy > 1 && run.costNanos !== undefined ? `1/${entry.sharedBy} of $${formatNanos(run.costNanos)}` : '',
    run.costSource === 'estimated' ? 'estimated' : '',
    run.costSource === 'unpriced' ? `no price for ${run.model === undefined ? 'a run without a model' : JSON.stringify(run.model)}` : '',
    run.costSource === 'no_usage' ? 'no usage reported' : '',
    entry.answersNew || message.id === undefined ? '' : 'no new message (retry)',
  ].filter(Boolean);
  return [run.runId, run.status ?? '?', run.model ?? '?', cost, notes.join(' · ')];
}

function tokenText(t: Tokens): string {
  return `in ${t.input.toLocaleString('en-US')} (cached ${t.cachedInput.toLocaleString('en-US')}) out ${t.output.toLocaleString('en-US')}`;
}

function truncate(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > TEXT_WIDTH ? `${flat.slice(0, TEXT_WIDTH - 1)}…` : flat;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
