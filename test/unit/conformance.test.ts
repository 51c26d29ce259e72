// Conformance with the GenAI semantic conventions v1.41.1 of every kind of flow the unit suite drives
// (test/support/conformance.ts): Assistants polled and streamed with function / code / file search tools,
// Responses plain / streamed / conversation / function calls / server tools / background / failures, chat
// plain / streamed / tool calls / failures, embeddings; then the metrics all of them recorded. Each flow
// states its request's facts so the request-dependent conditions are checked too.
// SPANLENS_CONFORMANCE_REPORT=<file>: also writes every violation there as JSON (for triage).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, it } from 'node:test';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { checkSpans, summarize, type RequestFacts, type Violation } from '../support/conformance';
import { checkMetrics, metricsToJSON } from '../support/conformance-metrics';
import { FLOWS } from '../support/conformance-flows';
import { startTracing, type SpanJSON, type Tracing } from './support/tracing';

let t: Tracing;
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
const meterProvider = new MeterProvider({ readers: [reader] });
const everySpan: SpanJSON[] = [];
const found: Array<Violation & { flow: string }> = [];

before(async () => {
  t = await startTracing({}, { seed: 18, chunking: 'split' });
  t.instrumentation.setMeterProvider(meterProvider);
});
after(async () => {
  await t.close();
  await meterProvider.shutdown();
  const report = process.env.SPANLENS_CONFORMANCE_REPORT;
  if (report) writeFileSync(report, JSON.stringify(found, null, 1));
});

const check = (flow: string, spans: SpanJSON[], facts?: RequestFacts) => {
  const violations = checkSpans(spans, facts);
  found.push(...violations.map((v) => ({ ...v, flow })));
  assert.equal(violations.length, 0, `${flow}: ${summarize(violations)}`);
};

for (const flow of FLOWS) {
  it(`conforms: ${flow.name}`, async () => {
    t.reset();
    await flow.run(t);
    const spans = await t.spans();
    assert.ok(
      spans.some((s) => s.attributes['gen_ai.operation.name'] !== undefined),
      `${flow.name}: no GenAI span to check`,
    );
    everySpan.push(...spans);
    check(flow.name, spans, flow.facts);
  });
}

it('conforms: the metrics every flow recorded (instrument, unit, attributes; one duration per operation)', async () => {
  await reader.forceFlush();
  const batches = metricExporter.getMetrics();
  const metrics = metricsToJSON(batches.slice(-1));
  assert.ok(
    metrics.some((m) => m.name === 'gen_ai.client.operation.duration'),
    'the flows recorded operation durations',
  );
  const violations = checkMetrics(metrics, everySpan);
  found.push(...violations.map((v) => ({ ...v, flow: 'metrics' })));
  assert.equal(violations.length, 0, summarize(violations));
});
