/**
 * Remembers which unknown models were already warned about, so each is reported once per process.
 * Bounded: after `max` distinct names it stays quiet for new ones, because that many unpriced models is
 * one configuration problem already on record, and a stream of made-up names must not grow memory or logs.
 */
export class UnknownModelWarnings {
  private readonly seen = new Set<string>();

  constructor(private readonly max = 100) {}

  /** True the first time `model` is seen (while fewer than `max` names are remembered), false afterwards. */
  shouldWarn(model: string): boolean {
    if (this.seen.has(model) || this.seen.size >= this.max) return false;
    this.seen.add(model);
    return true;
  }
}
