'use strict';
// The raw (not yet normalised) form of a finished span that the span-dump children hand to the parent:
// everything an exporter sends except the resource, with times as nanosecond strings (exact, JSON-safe).
// Works with the ReadableSpans of sdk-trace-base 2.x (parentSpanContext) and older (parentSpanId).

const ns = (hr) => (hr ? (BigInt(hr[0]) * 1000000000n + BigInt(hr[1])).toString() : null);

function toRaw(api, span) {
  const ctx = span.spanContext();
  const scope = span.instrumentationScope ?? span.instrumentationLibrary;
  return {
    name: span.name,
    kind: api.SpanKind[span.kind] ?? String(span.kind),
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? span.parentSpanId ?? null,
    start: ns(span.startTime),
    end: ns(span.endTime),
    status: { code: api.SpanStatusCode[span.status.code] ?? String(span.status.code), message: span.status.message ?? null },
    attributes: { ...span.attributes },
    events: (span.events ?? []).map((e) => ({ name: e.name, time: ns(e.time), attributes: { ...(e.attributes ?? {}) } })),
    links: (span.links ?? []).map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId, attributes: { ...(l.attributes ?? {}) } })),
    scope: scope?.name ?? null,
  };
}

module.exports = { toRaw };
