// What the cost folder offers the rest of the package: prices, money arithmetic and the unknown-model warning.
export { BUNDLED_SOURCE, OVERRIDE_SOURCE, Pricing } from './pricing';
export type { CostNanos, PriceInfo } from './pricing';
export type { PricingOverrides } from './overrides';
export { UnknownModelWarnings } from './warn-once';
export { formatNanos, nanosToUsd, splitEvenly, usdToNanos } from './money';
