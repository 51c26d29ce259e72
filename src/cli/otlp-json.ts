// OTLP JSON -> TraceSpan. One reader for the collector's file exporter (hex ids) and Tempo's answers
// (protobuf JSON: base64 ids, `batches` instead of `resourceSpans`, older `instrumentationLibrarySpans`).
import { normalizeId, type AttrPrimitive, type AttrValue, type TraceSpan } from './trace-span';

/** Thrown for a document that is JSON but not OTLP traces; callers add where it came from. */
export class ShapeError extends Error {}

/**
 * The resource spans of an OTLP traces document, in any of the shapes seen: `{resourceSpans}` (OTLP, collector),
 * `{batches}` (Tempo /api/traces), `{trace: {resourceSpans}}` (Tempo /api/v2/traces). Undefined: no traces key.
 */
export function resourceSpansOf(doc: unknown): unknown[] | undefined {
  if (!isObject(doc)) return undefined;
  const holder = isObject(doc.trace) ? doc.trace : doc;
  const list = holder.resourceSpans ?? holder.batches;
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) throw new ShapeError('"resourceSpans" is not an array');
  return list;
}

export function spansFromResourceSpans(resourceSpans: unknown[]): TraceSpan[] {
  const out: TraceSpan[] = [];
  for (const rs of resourceSpans) {
    if (!isObject(rs)) throw new ShapeError('a resourceSpans entry is not an object');
    const scopes = rs.scopeSpans ?? rs.instrumentationLibrarySpans ?? [];
    if (!Array.isArray(scopes)) throw new ShapeError('"scopeSpans" is not an array');
    for (const scope of scopes) {
      const spans = isObject(scope) ? (scope.spans ?? []) : undefined;
      if (!Array.isArray(spans)) throw new ShapeError('"spans" is not an array');
      for (const span of spans) out.push(toSpan(span));
    }
  }
  return out;
}

function toSpan(raw: unknown): TraceSpan {
  if (!isObject(raw)) throw new ShapeError('a span is not an object');
  const traceId = normalizeId(raw.traceId, 16);
  const spanId = normalizeId(raw.spanId, 8);
  if (!traceId || !spanId) throw new ShapeError(`a span has no valid traceId/spanId (${JSON.stringify(raw.traceId)}, ${JSON.stringify(raw.spanId)})`);
  const start = unixNano(raw.startTimeUnixNano);
  const end = unixNano(raw.endTimeUnixNano);
  if (start === undefined) throw new ShapeError(`span ${spanId} has no valid startTimeUnixNano`);
  const span: TraceSpan = {
    traceId,
    spanId,
    name: typeof raw.name === 'string' ? raw.name : '',
    startUs: Number(start / 1000n),
    durationUs: end !== undefined && end >= start ? Number((end - start) / 1000n) : 0,
    attributes: attributes(raw.attributes),
  };
  const parent = normalizeId(raw.parentSpanId, 8);
  if (parent && parent !== '0000000000000000') span.parentSpanId = parent;
  return span;
}

// uint64 nanoseconds: a decimal string in OTLP JSON, sometimes a number. BigInt keeps it exact.
function unixNano(value: unknown): bigint | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return BigInt(Math.trunc(value));
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value);
  return undefined;
}

function attributes(list: unknown): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  if (!Array.isArray(list)) return out;
  for (const kv of list) {
    if (!isObject(kv) || typeof kv.key !== 'string') continue;
    const value = anyValue(kv.value);
    if (value !== undefined) out[kv.key] = value;
  }
  return out;
}

/** OTLP AnyValue. intValue is an int64, hence a string in JSON; kvlists (not used by spanlens) become JSON text. */
function anyValue(v: unknown): AttrValue | undefined {
  if (!isObject(v)) return undefined;
  if ('arrayValue' in v) {
    const values = isObject(v.arrayValue) && Array.isArray(v.arrayValue.values) ? v.arrayValue.values : [];
    return values.map(anyValue).filter((x): x is AttrPrimitive => x !== undefined && !Array.isArray(x));
  }
  return primitive(v);
}

function primitive(v: Record<string, unknown>): AttrPrimitive | undefined {
  if (typeof v.stringValue === 'string') return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  if (typeof v.boolValue === 'boolean') return v.boolValue;
  if (typeof v.bytesValue === 'string') return v.bytesValue;
  if (v.kvlistValue !== undefined) return JSON.stringify(v.kvlistValue);
  return undefined;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
