import { nanosToUsd, per1kCostNanos, tokenCostNanos, unitCostNanos } from './money';
import { parseOverrides, readPricingFile, type PricingOverrides } from './overrides';
import { normalizeModelName, resolveModel } from './resolve';
import { MODEL_PRICES, PRICES_CHECKED_ON, PRICES_SOURCE, SNAPSHOT_ALIASES, TOOL_PRICES, type ModelPrice, type ToolPrices } from './price-table';

export const PRICING_FILE_ENV = 'SPANLENS_PRICING_FILE';

export interface PricingOptions {
  /** Merged over the bundled table and over the pricing file (code config wins, as elsewhere in OTel JS). */
  overrides?: PricingOverrides;
  /** A pricing JSON file; default: the SPANLENS_PRICING_FILE environment variable. */
  file?: string;
  /** Where SPANLENS_PRICING_FILE is read from; default process.env. */
  env?: Record<string, string | undefined>;
  /** A rejected file or override, as one readable sentence. Default: process.emitWarning. */
  onError?: (message: string) => void;
}

/**
 * Token counts as OpenAI reports them: `cachedInput` is the part of `input` served from the prompt cache
 * (prompt_tokens_details.cached_tokens), not extra tokens. `output` includes reasoning tokens.
 */
export interface TokenUsage {
  input: number;
  cachedInput?: number;
  output: number;
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

/** The same cost in integer nano-dollars, for callers that add costs up (see money.ts). */
export interface CostNanos {
  input: number;
  output: number;
  tools: number;
  total: number;
}

export class Pricing {
  /** Where the prices came from, for reports: the bundled table, then any file and config merged over it. */
  readonly sources: string[] = [`bundled table: ${PRICES_SOURCE}, checked ${PRICES_CHECKED_ON}`];
  private readonly models = new Map<string, ModelPrice>();
  private readonly tools: ToolPrices = { ...TOOL_PRICES };

  constructor(options: PricingOptions = {}) {
    const onError = options.onError ?? ((message: string) => process.emitWarning(message, 'SpanlensPricing'));
    for (const [name, price] of Object.entries(MODEL_PRICES)) this.models.set(name, { ...price });

    const file = options.file ?? (options.env ?? process.env)[PRICING_FILE_ENV];
    if (file) {
      const parsed = readPricingFile(file);
      if (parsed.ok) {
        this.merge(parsed.value);
        this.sources.push(`file: ${file}`);
      } else {
        onError(`spanlens: pricing file ${file} ignored, using the bundled prices: ${parsed.error}`);
      }
    }
    if (options.overrides) {
      const parsed = parseOverrides(options.overrides);
      if (parsed.ok) {
        this.merge(parsed.value);
        this.sources.push('config overrides');
      } else {
        onError(`spanlens: pricing overrides ignored: ${parsed.error}`);
      }
    }
  }

  /** The table key a model name is priced as (`gpt-4o-2024-08-06` -> `gpt-4o`), or undefined. */
  resolve(model: string): string | undefined {
    return resolveModel(model, (name) => this.models.has(name), SNAPSHOT_ALIASES);
  }

  /** USD per 1M tokens for the model, or undefined when it is not in the table (never a guess). */
  price(model: string): ModelPrice | undefined {
    const key = this.resolve(model);
    const price = key === undefined ? undefined : this.models.get(key);
    return price && { ...price };
  }

  toolPrices(): ToolPrices {
    return { ...this.tools };
  }

  /** The cost of one model call / run, or undefined for an unknown model. */
  cost(model: string, usage: TokenUsage, tools?: ToolUsage): Cost | undefined {
    const nanos = this.costNanos(model, usage, tools);
    return (
      nanos && {
        inputUsd: nanosToUsd(nanos.input),
        outputUsd: nanosToUsd(nanos.output),
        toolsUsd: nanosToUsd(nanos.tools),
        totalUsd: nanosToUsd(nanos.total),
      }
    );
  }

  costNanos(model: string, usage: TokenUsage, tools?: ToolUsage): CostNanos | undefined {
    const price = this.price(model);
    if (!price) return undefined;
    const input = count(usage.input);
    // Cached tokens are a subset of input; more cached than input is bad data, capped rather than billed twice.
    const cached = Math.min(count(usage.cachedInput), input);
    const inputNanos =
      tokenCostNanos(input - cached, price.input) + tokenCostNanos(cached, price.cachedInput ?? price.input);
    const outputNanos = tokenCostNanos(count(usage.output), price.output);
    const toolsNanos = this.toolsCostNanos(tools);
    return { input: inputNanos, output: outputNanos, tools: toolsNanos, total: inputNanos + outputNanos + toolsNanos };
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

  private merge(overrides: PricingOverrides): void {
    for (const [name, price] of Object.entries(overrides.models ?? {})) {
      this.models.set(normalizeModelName(name), { ...price });
    }
    Object.assign(this.tools, overrides.tools);
  }
}

// Token and call counts from telemetry: anything but a finite positive number counts as 0, fractions are dropped.
function count(value: number | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
