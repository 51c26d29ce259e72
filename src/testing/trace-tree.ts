// Prints spans as trees in the terminal (the demo's output; handy in tests and for debugging). Takes
// the SDK's ReadableSpans (2.x and 3.x) or plain objects of the same shape.

type HrTime = [number, number];
export interface SpanLike {
  name: string;
  spanContext(): { traceId: string; spanId: string };
  parentSpanContext?: { spanId: string };
  parentSpanId?: string;
  startTime: HrTime;
  endTime: HrTime;
  attributes: Record<string, unknown>;
}

const ms = (t: HrTime) => t[0] * 1e3 + t[1] / 1e6;

function details(s: SpanLike): string {
  const a = s.attributes;
  const parts: string[] = [`${(ms(s.endTime) - ms(s.startTime)).toFixed(1)} ms`];
  const id =
    a['openai.step.id'] ??
    a['openai.item.id'] ??
    a['openai.run.id'] ??
    (a['spanlens.kind'] === 'agent_step' || a['spanlens.subtype'] === 'realtime' ? (a['gen_ai.response.id'] ?? a['openai.response.id']) : undefined) ??
    a['spanlens.realtime.session_id'] ??
    a['spanlens.live.session_id'] ??
    (a['spanlens.thread.created'] ? a['openai.thread.id'] : undefined) ??
    (a['spanlens.conversation.created'] ? (a['gen_ai.conversation.id'] ?? a['openai.conversation.id']) : undefined) ??
    a['gen_ai.agent.id'];
  if (id) parts.push(String(id));
  for (const k of ['spanlens.run.status', 'spanlens.response.status', 'openai.run.status', 'openai.response.status']) if (a[k]) parts.push(String(a[k]));
  if (a['spanlens.run.end_reason']) parts.push(`ended: ${String(a['spanlens.run.end_reason'])}`);
  if (a['gen_ai.usage.input_tokens'] !== undefined) {
    const cached = a['gen_ai.usage.cache_read.input_tokens'] ? ` (${String(a['gen_ai.usage.cache_read.input_tokens'])} cached)` : '';
    parts.push(`tokens ${String(a['gen_ai.usage.input_tokens'])}${cached} → ${String(a['gen_ai.usage.output_tokens'] ?? 0)}`);
  }
  if (typeof a['spanlens.cost.usd'] === 'number') parts.push(`$${a['spanlens.cost.usd'].toFixed(6)}`);
  if (a['error.type']) parts.push(`error: ${String(a['error.type'])}`);
  return parts.join('  ');
}

/** One tree per trace, children in start order; spans whose parent is not among them are roots. */
export function formatTraceTree(spans: readonly SpanLike[]): string {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  const parentOf = (s: SpanLike) => s.parentSpanContext?.spanId ?? s.parentSpanId;
  const children = new Map<string, SpanLike[]>();
  const roots: SpanLike[] = [];
  for (const s of spans) {
    const p = parentOf(s);
    if (p && byId.has(p)) children.set(p, [...(children.get(p) ?? []), s]);
    else roots.push(s);
  }
  const byStart = (a: SpanLike, b: SpanLike) => ms(a.startTime) - ms(b.startTime);
  const lines: string[] = [];
  const walk = (s: SpanLike, prefix: string, last: boolean, top: boolean): void => {
    lines.push(`${prefix}${top ? '' : last ? '└─ ' : '├─ '}${s.name}  ${details(s)}`);
    const kids = (children.get(s.spanContext().spanId) ?? []).sort(byStart);
    kids.forEach((k, i) => walk(k, top ? prefix : `${prefix}${last ? '   ' : '│  '}`, i === kids.length - 1, false));
  };
  const traces = new Map<string, SpanLike[]>();
  for (const r of roots.sort(byStart)) traces.set(r.spanContext().traceId, [...(traces.get(r.spanContext().traceId) ?? []), r]);
  for (const [traceId, rs] of traces) {
    lines.push(`trace ${traceId}`);
    for (const r of rs) walk(r, '  ', true, true);
  }
  return lines.join('\n');
}
