// Jaeger query API (`GET /api/traces/{id}`) -> TraceSpan. Tags are typed key/values; array attributes of
// OTLP spans come back as JSON strings (read as arrays by stringArrayAttr), int64 possibly as strings.
import { isObject, ShapeError } from './otlp-json';
import { normalizeId, type AttrValue, type TraceSpan } from './trace-span';

/** The spans of every trace in `data`; an empty list when `data` is empty or null (trace not found). */
export function spansFromJaeger(doc: unknown): TraceSpan[] {
  if (!isObject(doc)) throw new ShapeError('expected a JSON object with "data"');
  if (doc.data === null || doc.data === undefined) return [];
  if (!Array.isArray(doc.data)) throw new ShapeError('"data" is not an array');
  const out: TraceSpan[] = [];
  for (const trace of doc.data) {
    if (!isObject(trace) || !Array.isArray(trace.spans)) throw new ShapeError('a trace in "data" has no "spans" array');
    for (const span of trace.spans) out.push(toSpan(span));
  }
  return out;
}

function toSpan(raw: unknown): TraceSpan {
  if (!isObject(raw)) throw new ShapeError('a span is not an object');
  const traceId = normalizeId(raw.traceID, 16);
  const spanId = normalizeId(raw.spanID, 8);
  if (!traceId || !spanId) throw new ShapeError(`a span has no valid traceID/spanID (${JSON.stringify(raw.traceID)}, ${JSON.stringify(raw.spanID)})`);
  if (typeof raw.startTime !== 'number') throw new ShapeError(`span ${spanId} has no numeric startTime`);
  const span: TraceSpan = {
    traceId,
    spanId,
    name: typeof raw.operationName === 'string' ? raw.operationName : '',
    startUs: raw.startTime,
    durationUs: typeof raw.duration === 'number' ? raw.duration : 0,
    attributes: tags(raw.tags),
  };
  const parent = Array.isArray(raw.references) ? raw.references.find((r) => isObject(r) && r.refType === 'CHILD_OF') : undefined;
  const parentId = isObject(parent) ? normalizeId(parent.spanID, 8) : undefined;
  if (parentId) span.parentSpanId = parentId;
  return span;
}

function tags(list: unknown): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  if (!Array.isArray(list)) return out;
  for (const tag of list) {
    if (!isObject(tag) || typeof tag.key !== 'string') continue;
    const { type, value } = tag;
    if (type === 'int64' || type === 'float64') {
      const n = Number(value);
      if (Number.isFinite(n)) out[tag.key] = n;
    } else if (type === 'bool') {
      out[tag.key] = value === true || value === 'true';
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      out[tag.key] = value; // string, binary (base64), or an untyped tag
    }
  }
  return out;
}
