// Truncation inside a JSON value: the message attributes (gen_ai.input.messages, …) must stay valid JSON
// against their schemas when cut, so long strings are shortened (and marked) instead of the serialized text.

/** Keys whose strings identify or classify (schema consts, roles, ids): never shortened. */
const KEPT = new Set(['type', 'role', 'id', 'name', 'finish_reason', 'modality', 'mime_type', 'file_id', 'uri']);

/** Text kept per string when choosing which of the latest list entries to keep. */
const KEEP = 64;

export const marker = (cut: number): string => `…[truncated ${cut} chars]`;

/** A copy of `value` with every shortenable string longer than `limit` cut to `limit` and marked. */
function shorten(value: unknown, limit: number, key?: string): unknown {
  if (typeof value === 'string') return value.length > limit && !(key && KEPT.has(key)) ? value.slice(0, limit) + marker(value.length - limit) : value;
  if (Array.isArray(value)) return value.map((v) => shorten(v, limit));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = shorten(v, limit, k);
    return out;
  }
  return value;
}

function longestString(value: unknown, cap: number): number {
  if (typeof value === 'string') return Math.min(value.length, cap);
  let n = 0;
  if (Array.isArray(value)) for (const v of value) n = Math.max(n, longestString(v, cap));
  else if (value && typeof value === 'object') for (const v of Object.values(value)) n = Math.max(n, longestString(v, cap));
  return n;
}

/**
 * The JSON of `value` in at most `max` characters where possible: the longest string length that fits
 * (binary search), else the oldest entries of a top-level list dropped (the latest messages matter most),
 * else the smallest form (still valid JSON, a little over `max`: its size is bounded by one entry's shape).
 * Only called for values over the cap, so the repeated serialisation is off the common path.
 */
export function fitJSON(value: unknown, max: number): string | undefined {
  try {
    let lo = 0;
    let hi = longestString(value, max);
    let best: string | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const text = JSON.stringify(shorten(value, mid));
      if (text.length <= max) {
        best = text;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (best !== undefined) return best;
    const smallest = shorten(value, 0);
    if (!Array.isArray(smallest) || !Array.isArray(value)) return JSON.stringify(smallest);
    // The latest entries that fit with some text each (else emptied), then as much of their text as fits.
    const withText = latestThatFit(
      value.map((v) => shorten(v, KEEP)),
      max,
    );
    const first = withText < value.length ? withText : latestThatFit(smallest, max);
    if (first >= value.length) return `[${JSON.stringify(smallest[smallest.length - 1]) ?? 'null'}]`;
    return first > 0 ? fitJSON(value.slice(first), max) : JSON.stringify(smallest);
  } catch {
    return undefined;
  }
}

/** Index of the first of the latest entries whose JSON list fits `max` (each entry serialised once); the length when none does. */
function latestThatFit(list: unknown[], max: number): number {
  let first = list.length - 1;
  let size = 2 + (JSON.stringify(list[first]) ?? 'null').length;
  if (size > max) return list.length;
  for (let next = first - 1; next >= 0; next--) {
    const n = (JSON.stringify(list[next]) ?? 'null').length + 1;
    if (size + n > max) break;
    size += n;
    first = next;
  }
  return first;
}
