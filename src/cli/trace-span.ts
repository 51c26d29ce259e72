// The one span shape the report reads, whichever backend the trace came from.

export type AttrPrimitive = string | number | boolean;
export type AttrValue = AttrPrimitive | AttrPrimitive[];

export interface TraceSpan {
  /** 32 lowercase hex chars. */
  traceId: string;
  /** 16 lowercase hex chars. */
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** Microseconds since the epoch (exact in a double until the year 2255). */
  startUs: number;
  durationUs: number;
  attributes: Record<string, AttrValue>;
}

export function stringAttr(span: TraceSpan, key: string): string | undefined {
  const value = span.attributes[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A number, also from a numeric string (Jaeger and OTLP JSON render int64 as strings in places). */
export function numberAttr(span: TraceSpan, key: string): number | undefined {
  const value = span.attributes[key];
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/**
 * A string array. Jaeger's query API renders OTLP array attributes as a JSON string (`["a","b"]`),
 * so a string that parses to an array is accepted too; undefined when the attribute is absent.
 */
export function stringArrayAttr(span: TraceSpan, key: string): string[] | undefined {
  const value = span.attributes[key];
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string' && value.trimStart().startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(value);
      return Array.isArray(parsed) ? parsed.map(String) : undefined;
    } catch {
      // An array cut short by a backend's attribute length limit: unusable, treated as absent.
      return undefined;
    }
  }
  return typeof value === 'string' ? [value] : undefined;
}

/** Trace and span ids arrive as hex (OTLP JSON, Jaeger) or base64 (Tempo's protobuf JSON): always hex here. */
export function normalizeId(id: unknown, bytes: 8 | 16): string | undefined {
  if (typeof id !== 'string' || id === '') return undefined;
  if (/^[0-9a-fA-F]+$/.test(id) && id.length <= bytes * 2) return id.toLowerCase().padStart(bytes * 2, '0');
  const decoded = Buffer.from(id, 'base64');
  return decoded.length === bytes ? decoded.toString('hex') : undefined;
}
