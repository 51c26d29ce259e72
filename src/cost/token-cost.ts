// Token counts by modality priced at each modality's rate. Every count is a part of a total as OpenAI
// reports it: cached input and audio input are parts of input, cached audio a part of both, audio output a
// part of output; reasoning tokens are output. Each component is rounded once to the nano-dollar.
import { tokenCostNanos } from './money';
import type { ModelPrice, Rates } from './price-table';

/**
 * Token counts as OpenAI reports them: `cachedInput` is the part of `input` served from the prompt cache
 * (…_tokens_details.cached_tokens), not extra tokens; `audioInput` the audio part of `input`,
 * `cachedAudioInput` the audio part of `cachedInput`, `audioOutput` the audio part of `output`.
 */
export interface TokenUsage {
  input: number;
  cachedInput?: number;
  output: number;
  audioInput?: number;
  cachedAudioInput?: number;
  audioOutput?: number;
}

/** A resolved price, as pricing.ts caches it. */
export interface PriceEntry {
  pricedAs: string;
  source: string;
  base: Rates;
  /** Ascending; a request whose input exceeds `above` is priced at `rates` (the last such tier). */
  tiers: { above: number; rates: Rates }[];
  /** Epoch ms window in which this price applies (dated price changes). */
  from: number;
  until: number;
}

export function fromModelPrice(pricedAs: string, source: string, price: ModelPrice): PriceEntry {
  const { longContext, ...base } = price;
  const tiers = [];
  if (longContext) {
    const { aboveInputTokens, ...rates } = longContext;
    tiers.push({ above: aboveInputTokens, rates });
  }
  return { pricedAs, source, base, tiers, from: -Infinity, until: Infinity };
}

/** A copy of the entry's rates in the table's shape (the first tier as `longContext`). */
export function toModelPrice(entry: PriceEntry): ModelPrice {
  const price: ModelPrice = { ...entry.base };
  const tier = entry.tiers[0];
  if (tier) price.longContext = { aboveInputTokens: tier.above, ...tier.rates };
  return price;
}

export function tokenCostNanosByModality(entry: PriceEntry, usage: TokenUsage): { input: number; output: number } {
  const input = count(usage.input);
  let r = entry.base;
  for (const tier of entry.tiers) if (input > tier.above) r = tier.rates;
  // Parts larger than their whole are bad data: capped, never billed twice.
  const cached = Math.min(count(usage.cachedInput), input);
  const audio = Math.min(count(usage.audioInput), input);
  const cachedAudio = Math.min(count(usage.cachedAudioInput), cached, audio);
  const audioUncached = Math.min(audio - cachedAudio, input - cached);
  const cachedRate = r.cachedInput ?? r.input;
  const inputNanos =
    tokenCostNanos(input - cached - audioUncached, r.input) +
    tokenCostNanos(cached - cachedAudio, cachedRate) +
    tokenCostNanos(audioUncached, r.audioInput ?? r.input) +
    tokenCostNanos(cachedAudio, r.cachedAudioInput ?? cachedRate);
  const output = count(usage.output);
  const audioOut = Math.min(count(usage.audioOutput), output);
  const outputNanos = tokenCostNanos(output - audioOut, r.output) + tokenCostNanos(audioOut, r.audioOutput ?? r.output);
  return { input: inputNanos, output: outputNanos };
}

// Token counts from telemetry: anything but a finite positive number counts as 0, fractions are dropped.
function count(value: number | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
