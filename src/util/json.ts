// Defensive readers for API objects: the instrumentation sees untrusted JSON (emulators, proxies,
// future API versions) and must never throw on a missing or mistyped field.
export type Obj = Record<string, unknown>;

export const obj = (v: unknown): Obj | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** A deep copy of a parsed API object (what parsing its JSON again would give), or undefined. */
export function copyJSON(o: Obj): Obj | undefined {
  try {
    return obj(JSON.parse(JSON.stringify(o)));
  } catch {
    return undefined;
  }
}

/**
 * Whole API seconds to epoch ms. A value before 2001 (0, a small number: a bogus or placeholder time) is
 * no time at all: the SDK would read such a small number as a performance-clock time and misplace the span.
 */
export const secondsToMs = (v: unknown): number | undefined => {
  const n = num(v);
  return n === undefined || n < 1e9 ? undefined : n * 1000;
};

/** Text of a message's content, whether a string or an array of content parts. */
export function messageText(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  const parts: string[] = [];
  for (const part of arr(content)) {
    const p = obj(part);
    if (!p) continue;
    const text = obj(p.text);
    if (typeof p.text === 'string') parts.push(p.text);
    else if (text && typeof text.value === 'string') parts.push(text.value);
    else if (p.type === 'image_file') parts.push(`[image_file ${str(obj(p.image_file)?.file_id) ?? ''}]`.trim());
    else if (p.type === 'image_url') parts.push('[image_url]');
  }
  return parts.length ? parts.join('\n') : undefined;
}
