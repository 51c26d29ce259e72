import { BoundedMap } from '../util/bounded-map';
import { maintainedPrice, maintainedSource, MAINTAINED_PACKAGE } from './maintained-prices';
import { nanosToUsd, per1kCostNanos, secondsCostNanos, unitCostNanos } from './money';
import { parseOverrides, readPricingFile, type PricingOverrides } from './overrides';
import { MODEL_PRICES, PRICE_CORRECTIONS, PRICES_CHECKED_ON, PRICES_SOURCE, SNAPSHOT_ALIASES, TOOL_PRICES, type ModelPrice, type ToolPrices } from './price-table';
import { normalizeModelName, resolveModel } from './resolve';
import { fromModelPrice, tokenCostNanosByModality, toModelPrice, type PriceEntry, type TokenUsage } from './token-cost';

export type { TokenUsage } from './token-cost';

export const PRICING_FILE_ENV = 'SPANLENS_PRICING_FILE';
/** spanlens.cost.source of a price from the bundled table (its corrections or its fallback entries). */
export const BUNDLED_SOURCE = `bundled@${PRICES_CHECKED_ON}`;
/** spanlens.cost.source of a price from the pricing config or SPANLENS_PRICING_FILE. */
export const OVERRIDE_SOURCE = 'override';
// Distinct model names whose resolved price is remembered; a stream of made-up names cannot grow it.
const CACHE_SIZE = 256;

export interface PricingOptions {
  /** Merged over the bundled table and over the pricing file (code config wins, as elsewhere in OTel JS). */
  overrides?: PricingOverrides;
  /** A pricing JSON file; default: the SPANLENS_PRICING_FILE environment variable. */
  file?: string;
  /** Where SPANLENS_PRICING_FILE is read from; default process.env. */
  env?: Record<string, string | undefined>;
  /** A rejected file or override, as one readable sentence. Default: process.emitWarning. */
  onError?: (message: string) => void;
  /** Use @pydantic/genai-prices (default true); false: the bundled table only. */
  maintained?: boolean;
}

export interface ToolUsage {
  codeSessions?: number;
  fileSearchCalls?: number;
  webSearchCalls?: number;
}

/** USD. inputUsd covers uncached and cached input; totalUsd = input + output + tools, summed in nano-dollars. */
export interface Cost {
  inputUsd: number;
  outputUsd: number;
  toolsUsd: number;
  totalUsd: number;
}

/** The same cost in integer nano-dollars, for callers that add costs up (see money.ts), with its provenance. */
export interface CostNanos {
  input: number;
  output: number;
  tools: number;
  total: number;
  /** Where the price came from: `genai-prices@<version>`, `override` or `bundled@<date checked>`. */
  source: string;
  /** The price entry the model name matched (`gpt-5` for `gpt-5-chat-latest`). */
  pricedAs: string;
}

/** A model's price and where it came from, for reports (`spanlens cost --models`). */
export interface PriceInfo {
  pricedAs: string;
  source: string;
  price: ModelPrice;
}

/**
 * Prices in this order: the user's overrides (config, then file), the bundled corrections, the maintained
 * data (@pydantic/genai-prices), the bundled table. A model's price is resolved once and cached (bounded);
 * after that, pricing a call is integer arithmetic on the cached rates.
 */
export class Pricing {
  private readonly layers: string[] = [];
  private readonly overrides = new Map<string, ModelPrice>();
  private readonly tools: ToolPrices = { ...TOOL_PRICES };
  private readonly cache = new BoundedMap<string, PriceEntry | null>(CACHE_SIZE);
  private readonly maintained: boolean;
  private readonly onError: (message: string) => void;
  private missingReported = false;

  constructor(options: PricingOptions = {}) {
    this.onError = options.onError ?? ((message: string) => process.emitWarning(message, 'SpanlensPricing'));
    this.maintained = options.maintained ?? true;
    const file = options.file ?? (options.env ?? process.env)[PRICING_FILE_ENV];
    if (file) {
      const parsed = readPricingFile(file);
      if (parsed.ok) {
        this.merge(parsed.value);
        this.layers.push(`file: ${file}`);
      } else {
        this.onError(`spanlens: pricing file ${file} ignored, using the bundled prices: ${parsed.error}`);
      }
    }
    if (options.overrides) {
      const parsed = parseOverrides(options.overrides);
      if (parsed.ok) {
        this.merge(parsed.value);
        this.layers.push('config overrides');
      } else {
        this.onError(`spanlens: pricing overrides ignored: ${parsed.error}`);
      }
    }
  }

  /** Where the prices came from, for reports: the base prices, then any file and config merged over them. */
  get sources(): string[] {
    const table = `bundled table: ${PRICES_SOURCE}, checked ${PRICES_CHECKED_ON}`;
    if (!this.maintained) return [table, ...this.layers];
    const data = maintainedSource() ?? `${MAINTAINED_PACKAGE} (not loaded)`;
    return [`${data} data with the bundled corrections, then the ${table}`, ...this.layers];
  }

  /** The price entry a model name is priced as (`gpt-4o-2024-08-06` -> `gpt-4o`), or undefined. */
  resolve(model: string): string | undefined {
    return this.entry(model, undefined)?.pricedAs;
  }

  /** USD per 1M tokens for the model, or undefined when no source prices it (never a guess). */
  price(model: string): ModelPrice | undefined {
    return this.info(model)?.price;
  }

  /** The model's price with its provenance, or undefined; `atMs` picks among dated prices (default now). */
  info(model: string, atMs?: number): PriceInfo | undefined {
    const entry = this.entry(model, atMs);
    return entry ? { pricedAs: entry.pricedAs, source: entry.source, price: toModelPrice(entry) } : undefined;
  }

  toolPrices(): ToolPrices {
    return { ...this.tools };
  }

  /** The cost of one model call / run, or undefined for an unknown model. */
  cost(model: string, usage: TokenUsage, tools?: ToolUsage, atMs?: number): Cost | undefined {
    const nanos = this.costNanos(model, usage, tools, atMs);
    return (
      nanos && {
        inputUsd: nanosToUsd(nanos.input),
        outputUsd: nanosToUsd(nanos.output),
        toolsUsd: nanosToUsd(nanos.tools),
        totalUsd: nanosToUsd(nanos.total),
      }
    );
  }

  /** The hot path: a cached lookup, then integer arithmetic. `atMs`: when the call was made (default now). */
  costNanos(model: string, usage: TokenUsage, tools?: ToolUsage, atMs?: number): CostNanos | undefined {
    const entry = this.entry(model, atMs);
    if (!entry) return undefined;
    const { input, output } = tokenCostNanosByModality(entry, usage);
    const toolsNanos = this.toolsCostNanos(tools);
    return { input, output, tools: toolsNanos, total: input + output + toolsNanos, source: entry.source, pricedAs: entry.pricedAs };
  }

  /** A model billed by time (`audioPerMinute`): the cost of `seconds` of it, or undefined when it has no such price. */
  audioTimeCostNanos(model: string, seconds: number, atMs?: number): CostNanos | undefined {
    const entry = this.entry(model, atMs);
    const rate = entry?.base.audioPerMinute;
    if (!entry || rate === undefined) return undefined;
    const total = secondsCostNanos(seconds, rate);
    return { input: 0, output: 0, tools: 0, total, source: entry.source, pricedAs: entry.pricedAs };
  }

  /** Tool fees alone, in nano-dollars (they do not depend on the model). */
  toolsCostNanos(tools: ToolUsage | undefined): number {
    if (!tools) return 0;
    return (
      unitCostNanos(count(tools.codeSessions), this.tools.codeInterpreterSession) +
      per1kCostNanos(count(tools.fileSearchCalls), this.tools.fileSearchPer1kCalls) +
      per1kCostNanos(count(tools.webSearchCalls), this.tools.webSearchPer1kCalls)
    );
  }

  /** The cached entry while it is valid at `atMs`; otherwise resolved again (a dated price change). */
  private entry(model: string, atMs: number | undefined): PriceEntry | undefined {
    const cached = this.cache.get(model);
    if (cached === null) return undefined;
    if (cached && cached.from === -Infinity && cached.until === Infinity) return cached;
    const at = atMs ?? Date.now();
    if (cached && at >= cached.from && at < cached.until) return cached;
    const entry = this.resolveEntry(model, at);
    // Only prices valid now are cached: a report pricing an old run must not pin that run's price.
    if (!entry || atMs === undefined || (entry.from <= Date.now() && Date.now() < entry.until)) this.cache.set(model, entry ?? null);
    return entry;
  }

  private resolveEntry(model: string, at: number): PriceEntry | undefined {
    const own = resolveModel(model, (name) => this.overrides.has(name), SNAPSHOT_ALIASES);
    if (own !== undefined) return fromModelPrice(own, OVERRIDE_SOURCE, this.overrides.get(own) as ModelPrice);
    const corrected = resolveModel(model, (name) => Object.prototype.hasOwnProperty.call(PRICE_CORRECTIONS, name), SNAPSHOT_ALIASES);
    if (corrected !== undefined) return fromModelPrice(corrected, BUNDLED_SOURCE, PRICE_CORRECTIONS[corrected]);
    if (this.maintained) {
      const source = maintainedSource();
      const m = source === undefined ? undefined : maintainedPrice(model, at);
      if (m) return { pricedAs: m.id, source: source as string, base: m.base, tiers: m.tiers, from: m.from, until: m.until };
      if (source === undefined && !this.missingReported) {
        this.missingReported = true;
        this.onError(`spanlens: ${MAINTAINED_PACKAGE} could not be loaded; pricing with the bundled table only`);
      }
    }
    const bundled = resolveModel(model, (name) => Object.prototype.hasOwnProperty.call(MODEL_PRICES, name), SNAPSHOT_ALIASES);
    return bundled === undefined ? undefined : fromModelPrice(bundled, BUNDLED_SOURCE, MODEL_PRICES[bundled]);
  }

  private merge(overrides: PricingOverrides): void {
    for (const [name, price] of Object.entries(overrides.models ?? {})) {
      this.overrides.set(normalizeModelName(name), { ...price });
    }
    Object.assign(this.tools, overrides.tools);
  }
}

// Tool call counts from telemetry: anything but a finite positive number counts as 0, fractions are dropped.
function count(value: number | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
