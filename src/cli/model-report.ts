// `spanlens cost <id> --models`: the models a trace's spans name, with where their price comes from now
// (override, genai-prices@<version>, bundled@<date>) and what the spans recorded, and those with no price.
import type { Pricing } from '../cost';
import { stringAttr, type TraceSpan } from './trace-span';

export interface ModelRow {
  model: string;
  spans: number;
  /** spanlens.cost.source values the spans carry (what priced them when they were recorded). */
  recordedSources: string[];
  /** The price entry, its source and its USD-per-1M rates today; undefined: unpriced. */
  pricedAs?: string;
  source?: string;
  input?: number;
  cachedInput?: number;
  output?: number;
}

export function buildModelReport(spans: TraceSpan[], pricing: Pricing): ModelRow[] {
  const rows = new Map<string, { spans: number; recorded: Set<string> }>();
  for (const span of spans) {
    const model = stringAttr(span, 'gen_ai.response.model') ?? stringAttr(span, 'gen_ai.request.model');
    if (!model) continue;
    const row = rows.get(model) ?? { spans: 0, recorded: new Set<string>() };
    row.spans++;
    const source = stringAttr(span, 'spanlens.cost.source');
    if (source) row.recorded.add(source);
    rows.set(model, row);
  }
  return [...rows.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([model, row]) => {
      const info = pricing.info(model);
      const out: ModelRow = { model, spans: row.spans, recordedSources: [...row.recorded].sort() };
      if (info) Object.assign(out, { pricedAs: info.pricedAs, source: info.source, input: info.price.input, cachedInput: info.price.cachedInput, output: info.price.output });
      return out;
    });
}

export function renderModelsText(rows: ModelRow[]): string {
  const lines = ['model | spans | price source now | priced as | input / cached / output USD per 1M | recorded on spans'];
  for (const r of rows) {
    const rates = r.source ? `${r.input} / ${r.cachedInput ?? '-'} / ${r.output}` : '-';
    lines.push(`${r.model} | ${r.spans} | ${r.source ?? 'UNPRICED'} | ${r.pricedAs ?? '-'} | ${rates} | ${r.recordedSources.join(', ') || '-'}`);
  }
  const unpriced = rows.filter((r) => !r.source).map((r) => r.model);
  lines.push('', unpriced.length ? `Unpriced: ${unpriced.join(', ')} (add them with SPANLENS_PRICING_FILE)` : 'Every model is priced.');
  return `${lines.join('\n')}\n`;
}
