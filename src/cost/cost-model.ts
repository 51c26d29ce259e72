import type { Attributes, DiagLogger } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import { readUsage } from './usage';
import { nanosToUsd } from './money';
import type { PricingOverrides } from './overrides';
import { Pricing, type CostNanos, type TokenUsage, type ToolUsage } from './pricing';
import { UnknownModelWarnings } from './warn-once';

/** Prices usage objects as the API reports them, warning once per model it has no price for. */
export class CostModel {
  private readonly pricing: Pricing;
  private readonly warned = new UnknownModelWarnings();

  constructor(
    private readonly diag: DiagLogger,
    overrides?: PricingOverrides,
  ) {
    this.pricing = new Pricing({ overrides, onError: (message) => diag.warn(message) });
  }

  /** The cost of an Assistants/Responses usage object, or undefined (no usage, or no price for the model). */
  of(model: string | undefined, usage: unknown, tools: ToolUsage = {}): CostNanos | undefined {
    const u = readUsage(usage);
    if (!model || u.input === undefined || u.output === undefined) return undefined;
    const cost = this.pricing.costNanos(model, u as TokenUsage, tools);
    if (!cost && this.warned.shouldWarn(model)) this.diag.warn(`spanlens: no price for model "${model}"; its spans carry no cost (add it with the pricing option or SPANLENS_PRICING_FILE)`);
    return cost;
  }

  /** The cost of `seconds` of a model billed by audio time (a Live session, whisper-1), or undefined (no such price). */
  ofAudioTime(model: string | undefined, seconds: number): CostNanos | undefined {
    if (!model) return undefined;
    const cost = this.pricing.audioTimeCostNanos(model, seconds);
    if (!cost && this.warned.shouldWarn(model))
      this.diag.warn(`spanlens: no per-minute price for model "${model}"; its audio time carries no cost (add audioPerMinute with the pricing option or SPANLENS_PRICING_FILE)`);
    return cost;
  }
}

/** spanlens.cost.*
 attributes of a span, with where its price came from. */
export function costAttributes(cost: CostNanos): Attributes {
  return {
    [A.costUsd]: nanosToUsd(cost.total),
    [A.costInputUsd]: nanosToUsd(cost.input),
    [A.costOutputUsd]: nanosToUsd(cost.output),
    [A.costToolsUsd]: nanosToUsd(cost.tools),
    [A.costSource]: cost.source,
    [A.costPricedAs]: cost.pricedAs,
  };
}
