// End-to-end backend check: a real OpenTelemetry Collector running the repo's otel-collector-config.yaml
// forwards spans to a real Jaeger v2, and Jaeger's query API gives back the tree we sent. Both are built
// from their Go modules by test/e2e/backends.mjs (once, cached outside the clone: the first run on a
// machine takes ~6 minutes, later runs start in well under a second).
// Set SPANLENS_SKIP_E2E=1 to skip on a machine without Go; without it, a missing toolchain or a failed
// build fails this file with the reason.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { COLLECTOR_CONFIG, ensureBackends, startTracingStack, validateConfig } from './backends.mjs';

type Tag = { key: string; type: string; value: unknown };
type JaegerSpan = {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[];
  tags: Tag[];
  processID: string;
  warnings: string[] | null;
};
type JaegerTrace = { traceID: string; spans: JaegerSpan[]; processes: Record<string, { serviceName: string; tags: Tag[] }>; warnings?: string[] | null };

const SKIP = process.env.SPANLENS_SKIP_E2E === '1' ? 'SPANLENS_SKIP_E2E=1' : false;
// Generous but bounded: a cold build (~6 min on 2 cores) gets 30 min in backends.mjs; add startup.
const BEFORE_TIMEOUT_MS = (Number(process.env.SPANLENS_E2E_BUILD_TIMEOUT_MS) || 30 * 60_000) + 3 * 60_000;

const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const ROOT_ID = 'eee19b7ec3c1b174';
const RUN_ID = 'eee19b7ec3c1b173';
const TOOL_ID = 'eee19b7ec3c1b172';

const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
const int = (key: string, v: number) => ({ key, value: { intValue: String(v) } });
const bool = (key: string, v: boolean) => ({ key, value: { boolValue: v } });
const dbl = (key: string, v: number) => ({ key, value: { doubleValue: v } });

/** A hand-built OTLP/JSON ExportTraceServiceRequest: a thread's root span with two children. */
function otlpPayload(nowMs: number) {
  const ns = (ms: number) => `${BigInt(Math.round(ms)) * 1_000_000n}`;
  const t0 = nowMs - 5_000;
  return {
    resourceSpans: [
      {
        resource: { attributes: [str('service.name', 'spanlens-e2e'), str('service.version', '0.0.0-e2e')] },
        scopeSpans: [
          {
            scope: { name: '@spanlens/instrumentation-openai', version: '0.1.0' },
            spans: [
              {
                traceId: TRACE_ID,
                spanId: ROOT_ID,
                name: 'openai.threads.create',
                kind: 3, // CLIENT
                startTimeUnixNano: ns(t0),
                endTimeUnixNano: ns(t0 + 300),
                attributes: [str('openai.thread.id', 'thread_e2e'), bool('spanlens.thread.root', true), int('http.response.status_code', 200)],
                status: {},
              },
              {
                traceId: TRACE_ID,
                spanId: RUN_ID,
                parentSpanId: ROOT_ID,
                name: 'invoke_agent Math Tutor',
                kind: 3,
                startTimeUnixNano: ns(t0 + 400),
                endTimeUnixNano: ns(t0 + 4_000),
                attributes: [str('gen_ai.operation.name', 'invoke_agent'), str('openai.run.id', 'run_e2e'), int('gen_ai.usage.input_tokens', 120), dbl('spanlens.e2e.ratio', 0.25)],
                events: [{ timeUnixNano: ns(t0 + 1_000), name: 'openai.run.poll', attributes: [str('spanlens.run.status', 'in_progress')] }],
                status: { code: 1 }, // OK
              },
              {
                traceId: TRACE_ID,
                spanId: TOOL_ID,
                parentSpanId: ROOT_ID,
                name: 'execute_tool get_weather',
                kind: 1, // INTERNAL
                startTimeUnixNano: ns(t0 + 1_500),
                endTimeUnixNano: ns(t0 + 2_500),
                attributes: [str('spanlens.kind', 'tool'), str('gen_ai.tool.call.id', 'call_e2e')],
                status: { code: 2, message: 'tool failed' }, // ERROR
              },
            ],
          },
        ],
      },
    ],
  };
}

const tag = (span: JaegerSpan, key: string) => span.tags.find((t) => t.key === key)?.value;

describe('e2e backends: collector (otel-collector-config.yaml) -> Jaeger v2', { skip: SKIP }, () => {
  let stack: Awaited<ReturnType<typeof startTracingStack>>;

  before(
    async () => {
      await ensureBackends();
      stack = await startTracingStack();
    },
    { timeout: BEFORE_TIMEOUT_MS },
  );

  after(async () => {
    await stack?.stop();
  });

  it('validates otel-collector-config.yaml with the pinned collector (and validate does check it)', { timeout: 60_000 }, async () => {
    const ok = await validateConfig(COLLECTOR_CONFIG, {});
    assert.equal(ok.ok, true, `validate failed:\n${ok.output}`);
    // The env defaults are typed: a non-boolean TLS switch must be rejected.
    const bad = await validateConfig(COLLECTOR_CONFIG, { JAEGER_OTLP_INSECURE: 'maybe' });
    assert.equal(bad.ok, false);
    assert.match(bad.output, /tls\.insecure/);
  });

  it('stores a root span and two children sent over OTLP/HTTP JSON, with attributes and no warnings', { timeout: 60_000 }, async () => {
    const sent = Date.now();
    const res = await fetch(`${stack.otlpHttpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(otlpPayload(sent)),
    });
    const answer = await res.text();
    assert.equal(res.status, 200, answer);
    // The collector answers {"partialSuccess":{}}: nothing rejected.
    assert.ok(!Number(JSON.parse(answer).partialSuccess?.rejectedSpans), `spans rejected: ${answer}`);

    const trace: JaegerTrace = await stack.fetchTrace(TRACE_ID, { minSpans: 3, timeoutMs: 30_000 });
    const tookMs = Date.now() - sent;
    // Tempo's exporter is failing the whole time (dead port); Jaeger must not wait for it. The batch
    // processor holds spans up to 1s, Jaeger's own batch 200ms.
    assert.ok(tookMs < 10_000, `trace took ${tookMs}ms to reach Jaeger`);

    assert.equal(trace.traceID, TRACE_ID);
    assert.equal(trace.spans.length, 3);
    const byName = new Map(trace.spans.map((s) => [s.operationName, s]));
    assert.deepEqual([...byName.keys()].sort(), ['execute_tool get_weather', 'invoke_agent Math Tutor', 'openai.threads.create']);

    const root = byName.get('openai.threads.create')!;
    const run = byName.get('invoke_agent Math Tutor')!;
    const tool = byName.get('execute_tool get_weather')!;
    assert.equal(root.spanID, ROOT_ID);
    assert.deepEqual(root.references, []);
    for (const [child, id] of [
      [run, RUN_ID],
      [tool, TOOL_ID],
    ] as const) {
      assert.equal(child.spanID, id);
      assert.deepEqual(child.references, [{ refType: 'CHILD_OF', traceID: TRACE_ID, spanID: ROOT_ID }]);
    }

    // Attributes keep their types through OTLP -> collector -> OTLP -> Jaeger.
    assert.equal(tag(root, 'openai.thread.id'), 'thread_e2e');
    assert.equal(tag(root, 'spanlens.thread.root'), true);
    assert.equal(tag(root, 'http.response.status_code'), 200);
    assert.equal(tag(root, 'span.kind'), 'client');
    assert.equal(tag(run, 'gen_ai.operation.name'), 'invoke_agent');
    assert.equal(tag(run, 'gen_ai.usage.input_tokens'), 120);
    assert.equal(tag(run, 'spanlens.e2e.ratio'), 0.25);
    assert.equal(tag(tool, 'spanlens.kind'), 'tool');
    assert.equal(tag(tool, 'error'), true);
    assert.equal(tag(tool, 'otel.status_description'), 'tool failed');
    assert.equal(tag(root, 'otel.scope.name'), '@spanlens/instrumentation-openai');
    const proc = trace.processes[root.processID]!;
    assert.equal(proc.serviceName, 'spanlens-e2e');

    // Jaeger flags structural problems (missing parents, clock skew, ...) per span; we expect none.
    for (const span of trace.spans) {
      assert.ok(span.warnings == null || span.warnings.length === 0, `${span.operationName}: warnings ${JSON.stringify(span.warnings)}`);
    }
  });

  it('keeps Jaeger flowing while the Tempo exporter fails: retries in its own queue and logs why', { timeout: 60_000 }, async () => {
    // The payload above reached Jaeger; the same batch for Tempo (a loopback port nothing listens on) is
    // retried by the otlp_grpc/tempo exporter's queue consumers, with a warning per failed attempt.
    const deadline = Date.now() + 20_000;
    let logText = '';
    while (Date.now() < deadline) {
      logText = stack.collector.readLog();
      if (/Exporting failed\. Will retry/.test(logText) && /otlp_grpc\/tempo/.test(logText)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const retryLine = logText.split('\n').find((l) => /Exporting failed\. Will retry/.test(l));
    assert.ok(retryLine, `no retry warning from the Tempo exporter in the collector log:\n${logText.slice(-3000)}`);
    assert.match(retryLine, /otlp_grpc\/tempo/);
    assert.doesNotMatch(logText, /otlp_grpc\/jaeger.*Exporting failed/, 'the Jaeger exporter failed too');
  });

  it('stops the collector and Jaeger by pid', { timeout: 30_000 }, async () => {
    const { collector, jaeger } = stack;
    const started = Date.now();
    const [c, j] = [await collector.stop(), await jaeger.stop()];
    // SIGTERM -> clean shutdown (exit 0), well before the SIGKILL fallback.
    assert.deepEqual(c, { code: 0, signal: null }, collector.readLog().slice(-2000));
    assert.deepEqual(j, { code: 0, signal: null }, jaeger.readLog().slice(-2000));
    assert.ok(Date.now() - started < 10_000, `stopping took ${Date.now() - started}ms`);
    for (const pid of [collector.pid, jaeger.pid]) {
      assert.ok(pid, 'it had a pid');
      assert.throws(() => process.kill(pid, 0), /ESRCH/, `pid ${pid} still alive`);
    }
  });
});
