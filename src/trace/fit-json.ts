// Truncation inside a JSON value: the message attributes (gen_ai.input.messages, …) must stay valid JSON
// against their schemas when cut, so long strings are shortened (and marked) instead of the serialized text.

/** Keys whose strings identify or classify (schema consts, roles, ids): never shortened. */
const KEPT = new Set(['type', 'role', 'id', 'name', 'finish_reason', 'modality', 'mime_type', 'file_id', 'uri']);

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
 * else the smallest form (still valid JSON, a little over `max`: its size is bounded by the structure).
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
    if (!Array.isArray(smallest)) return JSON.stringify(smallest);
    // Keep the latest entries that fit (each serialised once): `[` + entries joined by `,` + `]`.
    const parts = smallest.map((v) => JSON.stringify(v) ?? 'null');
    let first = parts.length - 1;
    let size = 2 + parts[first]!.length;
    while (first > 0 && size + 1 + parts[first - 1]!.length <= max) size += 1 + parts[--first]!.length;
    return `[${parts.slice(first).join(',')}]`;
  } catch {
    return undefined;
  }
}
