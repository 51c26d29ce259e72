/**
 * A Map that keeps at most `max` entries, evicting the least recently set or touched one.
 * Every piece of per-thread / per-run state lives in one of these, so memory stays bounded.
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  /** The most recently set or touched key, already last in the map: touching it again moves nothing. */
  private newest?: K;
  /** See nextOldest. */
  private cursor?: IterableIterator<K>;
  constructor(
    private readonly max: number,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined && key !== this.newest) {
      this.map.delete(key);
      this.map.set(key, value);
      this.newest = key;
    }
    return value;
  }

  peek(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): void {
    if (key === this.newest) {
      this.map.set(key, value);
      return;
    }
    this.map.delete(key);
    this.map.set(key, value);
    this.newest = key;
    while (this.map.size > this.max) {
      const oldest = this.nextOldest();
      const evicted = this.map.get(oldest) as V;
      this.map.delete(oldest);
      this.onEvict?.(oldest, evicted);
    }
  }

  /**
   * The oldest key, from one live iterator kept across evictions. A fresh `keys().next()` would walk over
   * every entry deleted from the front since the table was last rehashed: at the bound, each set paid for
   * thousands of them (6.6 us a set at 10,000 entries, 0.5 us this way). Every entry before the cursor
   * has been deleted (evicted here, or moved to the end by a touch), so its next live entry is the oldest.
   */
  private nextOldest(): K {
    let r = (this.cursor ??= this.map.keys()).next();
    if (r.done) r = (this.cursor = this.map.keys()).next(); // not reached while the map is non-empty; kept safe
    return r.value as K;
  }

  delete(key: K): boolean {
    if (key === this.newest) this.newest = undefined;
    return this.map.delete(key);
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }
}

/**
 * A diag report for evictions from a bounded map: a warning on the 1st, 10th, 100th, … eviction (so a
 * steady overflow is visible without a message per entry), each with the running count.
 */
export function evictionWarning(warn: (message: string) => void, what: string, max: number): () => void {
  let count = 0;
  let next = 1;
  return () => {
    if (++count < next) return;
    next *= 10;
    warn(`spanlens: more than ${max} ${what} tracked at once; evicted the oldest (${count} so far). Raise maxTrackedEntities if this is expected.`);
  };
}
