// The maintained price data: @pydantic/genai-prices (MIT, no dependencies), a caret dependency so that a
// user who updates it gets new models and new prices without a release of ours. Only its model matching
// and its data are used, once per model (pricing.ts caches the result): its calcPrice costs tens of µs a
// call, too much for every span. Loaded on the first price lookup, not at import: parsing its ~480 kB
// costs tens of ms that a process which never prices a call should not pay.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Rates } from './price-table';

type GenaiPrices = typeof import('@pydantic/genai-prices');
type GenaiPrice = Record<string, number | { base: number; tiers: { start: number; price: number }[] } | undefined>;

export const MAINTAINED_PACKAGE = '@pydantic/genai-prices';

/** One model's price as the maintained data gives it at a moment, with the window it stays valid in. */
export interface MaintainedPrice {
  /** The data's model id the name matched (`gpt-5` for `gpt-5-chat-latest`). */
  id: string;
  base: Rates;
  /** Rates of a whole request whose input tokens exceed `above` (the last such tier applies). */
  tiers: { above: number; rates: Rates }[];
  /** Epoch ms: the price applies from `from` (inclusive) to `until` (exclusive); dated price changes end it. */
  from: number;
  until: number;
}

// Data keys -> our rate fields. Other keys (cache writes, which OpenAI usage does not report; per-call tool
// fees, which tool prices cover; image tokens, billed as input until usage reports them) are not read.
const RATE_KEYS: [keyof Rates, string][] = [
  ['input', 'input_mtok'],
  ['cachedInput', 'cache_read_mtok'],
  ['output', 'output_mtok'],
  ['audioInput', 'input_audio_mtok'],
  ['cachedAudioInput', 'cache_audio_read_mtok'],
  ['audioOutput', 'output_audio_mtok'],
];

let loaded: { lib: GenaiPrices; version: string } | null | undefined;

/** `genai-prices@<version>` (the spanlens.cost.source value), or undefined when the package cannot be loaded. */
export function maintainedSource(): string | undefined {
  const m = load();
  return m ? `genai-prices@${m.version}` : undefined;
}

/**
 * The maintained price of an OpenAI model at `atMs`, or undefined: unknown model, a model priced by
 * something other than tokens or audio time, or the package missing or failing.
 */
export function maintainedPrice(model: string, atMs: number): MaintainedPrice | undefined {
  const m = load();
  if (!m) return undefined;
  let result: ReturnType<GenaiPrices['calcPrice']>;
  try {
    result = m.lib.calcPrice({ input_tokens: 0, output_tokens: 0 }, model, { providerId: 'openai', timestamp: new Date(atMs) });
  } catch {
    return undefined;
  }
  if (!result) return undefined;
  const price = result.model_price as GenaiPrice;
  if (price.input_mtok === undefined) {
    // Billed by audio time (whisper-1: `input_audio_hours`): our per-minute rate; anything else is not ours to price.
    const perHour = price.input_audio_hours ?? price.audio_hours;
    if (typeof perHour !== 'number') return undefined;
    return { id: result.model.id, base: { input: 0, output: 0, audioPerMinute: perHour / 60 }, tiers: [], ...window(result.model.prices, atMs) };
  }
  const starts = new Set<number>();
  for (const value of Object.values(price)) if (typeof value === 'object') for (const t of value.tiers) starts.add(t.start);
  const tiers = [...starts].sort((a, b) => a - b).map((above) => ({ above, rates: ratesAt(price, above + 1) }));
  return { id: result.model.id, base: ratesAt(price, 0), tiers, ...window(result.model.prices, atMs) };
}

function ratesAt(price: GenaiPrice, inputTokens: number): Rates {
  const rates: Rates = { input: 0, output: 0 };
  for (const [field, key] of RATE_KEYS) {
    const value = price[key];
    if (value === undefined) continue;
    let rate = typeof value === 'number' ? value : value.base;
    // As the data means it: a tier's price applies to the whole request once its input exceeds `start`.
    if (typeof value === 'object') for (const t of value.tiers) if (inputTokens > t.start) rate = t.price;
    rates[field] = rate;
  }
  return rates;
}

/** The span of time around `atMs` in which the same dated price applies (time-of-day prices: one minute). */
function window(prices: unknown, atMs: number): { from: number; until: number } {
  let from = -Infinity;
  let until = Infinity;
  if (!Array.isArray(prices)) return { from, until };
  for (const p of prices as { constraint?: { type: string; start_date?: string } }[]) {
    const c = p.constraint;
    if (!c) continue;
    if (c.type !== 'start_date' || !c.start_date) return { from: atMs, until: atMs + 60_000 };
    const start = Date.parse(`${c.start_date}T00:00:00Z`);
    if (start <= atMs) from = Math.max(from, start);
    else until = Math.min(until, start);
  }
  return { from, until };
}

function load(): { lib: GenaiPrices; version: string } | null {
  if (loaded !== undefined) return loaded;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const lib = require(MAINTAINED_PACKAGE) as GenaiPrices;
    // Its exports map hides package.json; it sits one folder above the entry point.
    const pkg = path.join(path.dirname(require.resolve(MAINTAINED_PACKAGE)), '..', 'package.json');
    const version = String((JSON.parse(readFileSync(pkg, 'utf8')) as { version?: unknown }).version ?? 'unknown');
    loaded = { lib, version };
  } catch {
    loaded = null;
  }
  return loaded;
}
