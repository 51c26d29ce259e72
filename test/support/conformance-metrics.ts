// Conformance of exported metrics with metrics.yaml (semconv v1.41.1): each gen_ai.* metric is one the
// conventions define, with their instrument and unit; each data point's attributes pass the registry rules and
// carry the required ones. With the spans of the same run, also: every client operation span (a CLIENT span
// with gen_ai.operation.name) has its gen_ai.client.operation.duration point, a failed one with error.type;
// streamed spans that measured a first chunk have their time_to_first_chunk points; the metrics'
// gen_ai.request.model is a requested model (one the spans carry as gen_ai.request.model), and successful
// operations carry gen_ai.response.model and server.address (recommended; issue 18 asks for them).
import { DataPointType, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { checkAttribute, type Violation } from './conformance';
import { loadModel } from './conformance-model';
import type { SpanJSON } from './spans';

/** End reasons of a turn that was not seen to finish (see the README: runs never seen to finish). */
const UNFINISHED = new Set(['ttl', 'evicted', 'shutdown', 'reconfigured']);

/** The cell harness's metric shape (test/harness/run-cell.ts CellRun['metrics']); instrument when known. */
export interface MetricJSON {
  name: string;
  unit: string;
  instrument?: string;
  points: Array<{ attributes: Record<string, unknown>; value: number | { sum: number; count: number } }>;
}

const DURATION = 'gen_ai.client.operation.duration';
const TTFC = 'gen_ai.client.operation.time_to_first_chunk';

/** The semconv instrument name of collected data. */
function instrumentOf(m: MetricData): string {
  if (m.dataPointType === DataPointType.SUM) return m.isMonotonic ? 'counter' : 'updowncounter';
  return m.dataPointType === DataPointType.GAUGE ? 'gauge' : 'histogram';
}

/** sdk-metrics' collected data in the harness's shape (unit suite: MeterProvider + InMemoryMetricExporter). */
export function metricsToJSON(batches: readonly ResourceMetrics[]): MetricJSON[] {
  const out: MetricJSON[] = [];
  for (const batch of batches) {
    for (const scope of batch.scopeMetrics) {
      for (const m of scope.metrics) {
        out.push({
          name: m.descriptor.name,
          unit: m.descriptor.unit,
          instrument: instrumentOf(m),
          points: m.dataPoints.map((p) => ({
            attributes: { ...p.attributes },
            value: typeof p.value === 'number' ? p.value : { sum: (p.value as { sum?: number }).sum ?? 0, count: (p.value as { count: number }).count },
          })),
        });
      }
    }
  }
  return out;
}

const countOf = (p: MetricJSON['points'][number]) => (typeof p.value === 'number' ? 1 : p.value.count);
const key = (a: Record<string, unknown>, ...keys: string[]) => keys.map((k) => String(a[k] ?? '')).join(' | ');

function checkMetric(m: MetricJSON, out: Violation[], responseModelAlways: boolean): void {
  const model = loadModel();
  const where = `metric ${m.name}`;
  const v = (rule: string, detail: string, attribute?: string, value?: unknown) => out.push({ span: where, attribute, rule, detail, value: value === undefined ? undefined : JSON.stringify(value) });
  const def = model.metrics.get(m.name);
  if (!def) {
    if (m.name.startsWith('gen_ai.')) v('metric-unknown', 'not a metric the conventions define');
    return;
  }
  if (def.unit !== m.unit) v('metric-unit', `unit should be "${def.unit}"`, undefined, m.unit);
  const histogram = m.points.every((p) => typeof p.value === 'object');
  if (m.instrument ? m.instrument !== def.instrument : def.instrument === 'histogram' && !histogram)
    v('metric-instrument', `instrument should be ${def.instrument}`, undefined, m.instrument ?? 'not a histogram');
  for (const p of m.points) {
    const a = p.attributes;
    for (const [k, value] of Object.entries(a)) checkAttribute(model, where, k, value, out);
    for (const [k, req] of def.attributes) {
      if (req.level === 'required' && a[k] === undefined) v('metric-required', `requires ${k}`, k);
    }
    if (a['server.address'] !== undefined && a['server.port'] === undefined) v('metric-conditionally-required', 'server.port required: server.address is set', 'server.port');
    if (m.name === 'gen_ai.client.token.usage' && typeof p.value === 'object' && !Number.isInteger(p.value.sum)) v('metric-value', 'token counts are integers', undefined, p.value.sum);
    if ((m.name === DURATION || m.name === 'gen_ai.client.token.usage') && a['error.type'] === undefined) {
      for (const k of responseModelAlways ? ['gen_ai.response.model', 'server.address'] : ['server.address'])
        if (a[k] === undefined) v('metric-recommended-missing', `successful operation without ${k}`, k);
    }
  }
}

/** Operations seen as spans must show up in the metrics (duration for each, error.type for failures, TTFC for streams). */
function checkAgainstSpans(metrics: readonly MetricJSON[], spans: readonly SpanJSON[], out: Violation[]): void {
  // An operation never seen to finish (ended by TTL, eviction or shutdown) has no duration to record.
  const unfinished = (s: (typeof spans)[number]) => UNFINISHED.has(String(s.attributes['spanlens.run.end_reason'] ?? s.attributes['spanlens.response.end_reason']));
  const ops = spans.filter((s) => s.kind === 'CLIENT' && typeof s.attributes['gen_ai.operation.name'] === 'string' && !unfinished(s));
  const points = (name: string) => metrics.filter((m) => m.name === name).flatMap((m) => m.points);
  const tally = (name: string, keys: string[]) => {
    const n = new Map<string, number>();
    for (const p of points(name)) n.set(key(p.attributes, ...keys), (n.get(key(p.attributes, ...keys)) ?? 0) + countOf(p));
    return n;
  };
  const need = (name: string, keys: string[], selected: SpanJSON[], rule: string, what: string) => {
    const have = tally(name, keys);
    const want = new Map<string, SpanJSON[]>();
    for (const s of selected) want.set(key(s.attributes, ...keys), [...(want.get(key(s.attributes, ...keys)) ?? []), s]);
    for (const [k, ss] of want) {
      const missing = ss.length - (have.get(k) ?? 0);
      if (missing > 0) out.push({ span: `metric ${name}`, rule, detail: `${missing} of ${ss.length} ${what} spans (${k}) have no ${name} point`, value: ss[0]!.name });
    }
  };
  const opKeys = ['gen_ai.operation.name', 'gen_ai.request.model'];
  need(DURATION, opKeys, ops, 'metric-missing-operation', 'client operation');
  const failed = ops.filter((s) => s.status.code === 'ERROR');
  need(DURATION, [...opKeys, 'error.type'], failed, 'metric-missing-error', 'failed');
  const streamed = ops.filter((s) => s.attributes['gen_ai.response.time_to_first_chunk'] !== undefined);
  need(TTFC, opKeys, streamed, 'metric-missing-streaming', 'streamed (with a first chunk)');
  const requested = new Set(spans.map((s) => s.attributes['gen_ai.request.model']).filter((x) => x !== undefined));
  for (const m of metrics) {
    if (!m.name.startsWith('gen_ai.')) continue;
    const wrong = new Set(m.points.map((p) => p.attributes['gen_ai.request.model']).filter((x) => x !== undefined && !requested.has(x)));
    for (const model of wrong)
      out.push({
        span: `metric ${m.name}`,
        attribute: 'gen_ai.request.model',
        rule: 'metric-request-model',
        detail: 'not a model any span requested (the dated response model?)',
        value: String(model),
      });
  }
}

/** Every violation in the metrics; with `spans` (the same run's), also the cross-checks against the operations. */
/**
 * `responseModelAlways: false` where an answer may lack its model (the cells' fault scenarios strip it from
 * responses): then a successful operation's point without gen_ai.response.model is no violation.
 */
export function checkMetrics(metrics: readonly MetricJSON[], spans?: readonly SpanJSON[], options: { responseModelAlways?: boolean } = {}): Violation[] {
  const out: Violation[] = [];
  for (const m of metrics) checkMetric(m, out, options.responseModelAlways !== false);
  if (spans) checkAgainstSpans(metrics, spans, out);
  return out;
}
