// Money is carried as integer nano-dollars (1e-9 USD) and turned into USD numbers only at the edges.
// A price of USD x per 1M tokens is x * 1e6 pico-dollars per token: an exact integer for prices with up to
// six decimals (the list has at most three). tokens * that is exact too, so each priced component is
// rounded exactly once, half up, to the nano-dollar; sums of components, runs and threads are integer
// additions with no float drift, and n / 1e9 gives the double nearest the decimal the report prints.
// Integers stay exact up to 2^53 nano-dollars (about USD 9 million), far beyond one thread's cost.

export const NANOS_PER_USD = 1_000_000_000;

/** USD per 1M tokens to integer pico-dollars per token. */
function picosPerToken(usdPerMillion: number): number {
  return Math.round(usdPerMillion * 1_000_000);
}

/** Round an integer pico-dollar amount, half up, to nano-dollars, without float division. */
function picosToNanos(picos: number): number {
  const nanos = Math.trunc(picos / 1000);
  return picos - nanos * 1000 >= 500 ? nanos + 1 : nanos;
}

/** The cost of `tokens` at `usdPerMillion`, in nano-dollars. */
export function tokenCostNanos(tokens: number, usdPerMillion: number): number {
  return picosToNanos(tokens * picosPerToken(usdPerMillion));
}

/** `count` units at `usdEach`, in nano-dollars. */
export function unitCostNanos(count: number, usdEach: number): number {
  return count * usdToNanos(usdEach);
}

/** `count` calls at `usdPer1k` per thousand calls, in nano-dollars. */
export function per1kCostNanos(count: number, usdPer1k: number): number {
  return picosToNanos(count * Math.round(usdPer1k * 1_000_000_000));
}

/** `seconds` of time billed per started second at `usdPerMinute`, in nano-dollars. */
export function secondsCostNanos(seconds: number, usdPerMinute: number): number {
  const billed = Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) : 0;
  return Math.round((billed * usdToNanos(usdPerMinute)) / 60);
}

export function usdToNanos(usd: number): number {
  return Math.round(usd * NANOS_PER_USD);
}

export function nanosToUsd(nanos: number): number {
  return nanos / NANOS_PER_USD;
}

/**
 * Split `total` nano-dollars (or tokens) into `parts` integers that add up to `total` exactly: each part
 * gets the floor share and the first `total mod parts` parts one more (earlier messages carry the remainder).
 */
export function splitEvenly(total: number, parts: number): number[] {
  if (parts <= 0) return [];
  const base = Math.floor(total / parts);
  const remainder = total - base * parts;
  return Array.from({ length: parts }, (_, i) => (i < remainder ? base + 1 : base));
}

/**
 * Exact decimal rendering of nano-dollars, e.g. 109950 -> "0.00010995", 30000000 -> "0.03":
 * trailing zeros trimmed, at least `minDecimals` decimals. No float formatting involved.
 */
export function formatNanos(nanos: number, minDecimals = 2): string {
  const sign = nanos < 0 ? '-' : '';
  const abs = Math.abs(nanos);
  const whole = Math.floor(abs / NANOS_PER_USD);
  let frac = String(abs - whole * NANOS_PER_USD)
    .padStart(9, '0')
    .replace(/0+$/, '');
  if (frac.length < minDecimals) frac = frac.padEnd(minDecimals, '0');
  return `${sign}${whole}${frac ? `.${frac}` : ''}`;
}
