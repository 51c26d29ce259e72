import { badRequest, invalidValue } from '../engine/errors';
import type { ListPage } from '../engine/types';

export type Query = Record<string, string | string[]>;

/** One value of a query parameter (the last one when repeated). */
export function queryValue(query: Query, name: string): string | undefined {
  const v = query[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** All values of an array query parameter, accepting `name[]`, `name[0]` and plain `name`. */
export function queryList(query: Query, name: string): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (key === name || key === `${name}[]` || new RegExp(`^${name}\\[\\d+\\]$`).test(key)) {
      out.push(...(Array.isArray(value) ? value : [value]));
    }
  }
  return out;
}

/**
 * Cursor pagination like the real list endpoints: `order` (default desc), `limit` (1..100, default 20),
 * `after` / `before` (ids; the page right after / right before that item in the chosen order).
 */
export function paginate<T extends { id: string }>(itemsAsc: readonly T[], query: Query): ListPage<T> {
  const order = queryValue(query, 'order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') {
    throw invalidValue('order', `Invalid value for 'order': expected one of asc or desc, but got '${order}' instead.`);
  }
  const limitRaw = queryValue(query, 'limit');
  let limit = 20;
  if (limitRaw !== undefined) {
    limit = Number(limitRaw);
    if (!Number.isInteger(limit)) {
      throw badRequest(`Invalid 'limit': expected an integer, but got '${limitRaw}' instead.`, 'limit', 'invalid_type');
    }
    if (limit < 1) {
      throw badRequest(`Invalid 'limit': integer below minimum value. Expected a value >= 1, but got ${limit} instead.`, 'limit', 'integer_below_min_value');
    }
    if (limit > 100) {
      throw badRequest(`Invalid 'limit': integer above maximum value. Expected a value <= 100, but got ${limit} instead.`, 'limit', 'integer_above_max_value');
    }
  }
  const ordered = order === 'asc' ? [...itemsAsc] : [...itemsAsc].reverse();
  const after = queryValue(query, 'after');
  const before = queryValue(query, 'before');
  let data: T[];
  let hasMore: boolean;
  if (after !== undefined && after !== '') {
    const i = ordered.findIndex((x) => x.id === after);
    const rest = i < 0 ? [] : ordered.slice(i + 1);
    data = rest.slice(0, limit);
    hasMore = rest.length > limit;
  } else if (before !== undefined && before !== '') {
    const i = ordered.findIndex((x) => x.id === before);
    const head = i < 0 ? [] : ordered.slice(0, i);
    data = head.slice(Math.max(0, head.length - limit));
    hasMore = head.length > limit;
  } else {
    data = ordered.slice(0, limit);
    hasMore = ordered.length > limit;
  }
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data[data.length - 1]?.id ?? null,
    has_more: hasMore,
  };
}
