export { Pricing, PRICING_FILE_ENV } from './pricing';
export type { Cost, CostNanos, PricingOptions, TokenUsage, ToolUsage } from './pricing';
export type { PricingOverrides } from './overrides';
export { MODEL_PRICES, PRICES_CHECKED_ON, PRICES_SOURCE, SNAPSHOT_ALIASES, TOOL_PRICES } from './table';
export type { ModelPrice, ToolPrices } from './table';
export { UnknownModelWarnings } from './warn-once';
export { formatNanos, nanosToUsd, splitEvenly, usdToNanos, NANOS_PER_USD } from './money';
