// Differential transparency and the fault matrix, in every matrix cell (openai 4–7 × CJS/ESM × OTel
// 2.x/3.x). Each scenario (test/scenarios/transparency.mjs: polled flows, the SDK's polling helpers,
// .withResponse()/.asResponse(), pagination with for await, AssistantStream handlers and helpers, a
// relayed stream; then the same flows with one emulator fault: HTTP 400/401/404/409/429/500/503 with
// the SDK's retries, request timeouts, resets before and after headers, an SSE stream cut mid-event,
// malformed JSON, unknown event/step/tool types, nulls and missing fields, a 10 MB message) runs twice
// against fresh emulators with the same seed: without and with the instrumentation. What the app sees
// (values, error classes and messages, stream events in order, console output, unhandled rejections)
// must be identical, and the trace must say truthfully what happened. The harness also checks in each
// cell that every started span ended exactly once and that no span carries a credential.
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, it } from 'node:test';
import { forEachCell, runCell, spreadCells, type CellRun, type ScenarioResult } from './harness/run-cell';
import { all, assertWellFormed, contentValues, type SpanJSON } from './support/spans';
import { emulatorPerRun } from './support/emulators';

const MODULE = path.resolve(__dirname, 'scenarios/transparency.mjs');
const weather = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };
const time = { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } } };
const code = [{ type: 'code_interpreter' }];
const TEN_MB = 10 * 1024 * 1024;

/** App flows with no fault. */
const FLOWS: Record<string, Record<string, unknown>> = {
  'polled-answer': { flow: 'polled' },
  'polled-function': { flow: 'polled', script: 'function' },
  'polled-parallel': { flow: 'polled', script: 'parallel_functions', tools: [weather, time] },
  'polled-code': { flow: 'polled', script: 'code', tools: code },
  'polled-failed': { flow: 'polled', script: 'failed' },
  'polled-incomplete': { flow: 'polled', script: 'incomplete' },
  helpers: { flow: 'helpers', script: 'function' },
  raw: { flow: 'raw' },
  pagination: { flow: 'pagination' },
  'stream-handlers': { flow: 'stream-handlers' },
  'stream-handlers-function': { flow: 'stream-handlers', script: 'function' },
  'stream-handlers-code': { flow: 'stream-handlers', script: 'code', tools: code },
  'stream-raw-function': { flow: 'stream-raw', script: 'function' },
  'readable-roundtrip': { flow: 'readable-roundtrip' },
};

/** The same flows with one fault. `faultOn` names the call that gets it; allCalls: every call of the client. */
const FAULTS: Record<string, Record<string, unknown>> = {
  'http-400': { flow: 'polled', faultOn: 'message', fault: 'status:400' },
  'http-401': { flow: 'polled', faultOn: 'thread', fault: 'status:401' },
  'http-404-poll': { flow: 'polled', faultOn: 'poll', fault: 'status:404' },
  'http-409': { flow: 'polled', faultOn: 'run', fault: 'status:409' },
  'http-429-retries': { flow: 'polled', faultOn: 'run', fault: 'status:429', client: { maxRetries: 2 } },
  'http-429-recovers': { flow: 'polled', faultOn: 'run', fault: 'flaky:429', client: { maxRetries: 2 } },
  'http-500-poll': { flow: 'polled', faultOn: 'poll', fault: 'status:500', client: { maxRetries: 1 } },
  'http-503-list': { flow: 'polled', faultOn: 'list', fault: 'status:503', client: { maxRetries: 1 } },
  'http-503-recovers': { flow: 'helpers', script: 'function', faultOn: 'run', fault: 'flaky:503', client: { maxRetries: 2 } },
  'timeout-poll': { flow: 'polled', faultOn: 'poll', fault: 'delay:3000', client: { timeout: 300, maxRetries: 1 } },
  'slow-run': { flow: 'polled', faultOn: 'run', fault: 'delay:150', client: { timeout: 20_000 } },
  'reset-before-headers': { flow: 'polled', faultOn: 'run', fault: 'reset-before-headers' },
  'reset-after-headers': { flow: 'polled', faultOn: 'run', fault: 'reset-after-headers', deadlineMs: 2000 },
  'reset-after-headers-stream': { flow: 'stream-raw', faultOn: 'run', fault: 'reset-after-headers' },
  'cut-mid-event': { flow: 'stream-raw', script: 'function', faultOn: 'run', fault: 'cut-mid-event:5' },
  'cut-handlers': { flow: 'stream-handlers', faultOn: 'run', fault: 'cut-after:6' },
  'error-event-handlers': { flow: 'stream-handlers', faultOn: 'run', fault: 'error-event:5' },
  'malformed-json-poll': { flow: 'polled', faultOn: 'poll', fault: 'malformed-json' },
  'malformed-json-stream': { flow: 'stream-raw', faultOn: 'run', fault: 'malformed-json:4' },
  'unknown-types-polled': { flow: 'polled', script: 'function', allCalls: true, fault: 'mutate:unknown-types' },
  'unknown-types-stream': { flow: 'stream-handlers', script: 'code', tools: code, faultOn: 'run', fault: 'mutate:unknown-types' },
  'unknown-event-polled': { flow: 'polled', allCalls: true, fault: 'mutate:unknown-event' },
  'unknown-event-stream': { flow: 'stream-raw', script: 'function', faultOn: 'run', fault: 'mutate:unknown-event' },
  'nulls-polled': { flow: 'polled', script: 'function', allCalls: true, fault: 'mutate:nulls' },
  'nulls-stream': { flow: 'stream-raw', script: 'function', faultOn: 'run', fault: 'mutate:nulls' },
  'missing-polled': { flow: 'polled', script: 'function', allCalls: true, fault: 'mutate:missing' },
  'missing-stream': { flow: 'stream-handlers', faultOn: 'run', fault: 'mutate:missing' },
  'message-10mb': { flow: 'polled', content: `${'ten megabytes of user text '.repeat(Math.ceil(TEN_MB / 27))}`.slice(0, TEN_MB) },
};

const SCENARIOS = Object.entries({ ...FLOWS, ...FAULTS }).map(([name, args]) => ({ name, module: MODULE, args }));
export const COUNTS = { flows: Object.keys(FLOWS).length, faults: Object.keys(FAULTS).length };

const fresh = emulatorPerRun({ seed: 7, eventDelayMs: 1, chunking: 'split', unref: true });

const errorOf = (r: ScenarioResult) => (r.error ? { className: r.error.className, message: r.error.message, status: r.error.status } : undefined);
/** Console output (the SDK's own) without what differs between two runs anyway (ports, timestamps). */
const consoleOf = (r: ScenarioResult) => (r.console ?? []).map((c) => ({ ...c, text: c.text.replace(/127\.0\.0\.1:\d+/g, 'HOST').replace(/\b1\d{9}\b/g, 'SECONDS') }));

/** The span of the app's call named `name` (a CLIENT call span), exactly one. */
function callSpan(spans: SpanJSON[], name: string): SpanJSON {
  const found = all(spans, name);
  assert.equal(found.length, 1, `${name}: ${spans.map((s) => s.name).join(', ')}`);
  return found[0]!;
}
const runSpans = (spans: SpanJSON[]) => all(spans, /^invoke_agent\b/);
function assertFailed(span: SpanJSON, errorType: string, status?: number): void {
  assert.equal(span.status.code, 'ERROR', `${span.name}: status ${JSON.stringify(span.status)}`);
  assert.equal(span.attributes['error.type'], errorType, span.name);
  if (status !== undefined) assert.equal(span.attributes['http.response.status_code'], status, span.name);
}

forEachCell((cell) => {
  let traced: CellRun;
  let baseline: CellRun;
  before(async () => {
    baseline = await runCell(cell, { scenarios: SCENARIOS, baseURL: (await fresh()).baseURL, instrument: false, timeoutMs: 240_000 });
    traced = await runCell(cell, { scenarios: SCENARIOS, baseURL: (await fresh()).baseURL, timeoutMs: 240_000 });
  });

  it(`differential: ${SCENARIOS.length} scenarios give the app the same results, errors, events, console output with and without the instrumentation`, () => {
    for (const { name } of SCENARIOS) {
      const a = traced.scenarios[name]!;
      const b = baseline.scenarios[name]!;
      assert.deepEqual(errorOf(a), errorOf(b), `${name}: the app got another error`);
      assert.deepEqual(a.result, b.result, `${name}: the app saw something else with the instrumentation`);
      assert.deepEqual(a.unhandled, b.unhandled, `${name}: unhandled rejections`);
      assert.deepEqual(a.unhandled, [], `${name}: unhandled rejections`);
      assert.deepEqual(consoleOf(a), consoleOf(b), `${name}: console output differs (the instrumentation must use diag)`);
      assert.deepEqual(
        a.diag.filter((d) => d.level === 'ERROR'),
        [],
        `${name}: internal errors of the instrumentation`,
      );
    }
    // The flows did what they say (so the differential compares something).
    const log = (name: string) => JSON.stringify(baseline.scenarios[name]!.result?.log);
    assert.match(log('polled-function'), /"final":"completed"/);
    assert.match(log('pagination'), /"forAwait":\[("msg_\w+",?){7}\]/);
    assert.match(log('stream-handlers-function'), /"on":"toolCallDone"/);
    assert.match(log('http-429-recovers'), /"final":"completed"/);
    assert.match(log('http-503-recovers'), /"label":"createAndPoll","value":\{/);
    assert.match(log('timeout-poll'), /APIConnectionTimeoutError/);
    assert.match(log('reset-before-headers'), /APIConnectionError/);
    assert.match(log('message-10mb'), /"length":10485760/);
  });

  it('every flow: the trace is well formed, one trace per thread, runs ended', () => {
    for (const name of Object.keys(FLOWS)) {
      const r = traced.scenarios[name]!;
      assertWellFormed(r.spans);
      const runs = runSpans(r.spans);
      if (name !== 'pagination') assert.ok(runs.length >= 1, `${name}: no run span`);
      const thread = r.result.threadId as string;
      const traces = new Set(r.spans.filter((s) => s.attributes['openai.thread.id'] === thread).map((s) => s.traceId));
      assert.equal(traces.size, 1, `${name}: the thread's spans are in ${traces.size} traces`);
    }
  });

  it('HTTP errors: the failing call span has ERROR, the SDK error class as error.type and the status; retries are one call', () => {
    const s = (n: string) => traced.scenarios[n]!.spans;
    assertFailed(callSpan(s('http-400'), 'openai.threads.messages.create'), 'BadRequestError', 400);
    const creates = all(s('http-401'), 'openai.threads.create');
    assert.equal(creates.length, 2, 'the failed create and the retry by the app');
    assertFailed(
      creates.find((x) => x.attributes['http.response.status_code'] === 401)!,
      'AuthenticationError',
      401,
    );
    assertFailed(callSpan(s('http-409'), 'openai.threads.runs.create'), 'ConflictError', 409);
    assertFailed(callSpan(s('http-429-retries'), 'openai.threads.runs.create'), 'RateLimitError', 429);
    assertFailed(callSpan(s('http-503-list'), 'openai.threads.messages.list'), 'InternalServerError', 503);
    for (const n of ['http-404-poll', 'http-500-poll']) {
      const [run] = runSpans(s(n));
      assert.ok(run, n);
      const errors = run.events.filter((e) => e.name === 'openai.run.poll_error');
      assert.equal(errors.length, 1, `${n}: one poll_error event`);
      assert.equal(errors[0]!.attributes['http.response.status_code'], n === 'http-404-poll' ? 404 : 500);
      assert.equal(run.attributes['spanlens.run.status'], 'completed', `${n}: polling went on and the run finished`);
    }
    for (const n of ['http-429-recovers', 'http-503-recovers']) {
      assert.ok(
        runSpans(s(n)).some((x) => x.attributes['spanlens.run.status'] === 'completed'),
        n,
      );
      assert.deepEqual(
        s(n)
          .filter((x) => x.status.code === 'ERROR')
          .map((x) => x.name),
        [],
        `${n}: a retried call that succeeded is not an error`,
      );
    }
  });

  it('timeouts and resets: error.type names the connection error; the run goes on or is never started', () => {
    const s = (n: string) => traced.scenarios[n]!.spans;
    const [run] = runSpans(s('timeout-poll'));
    assert.ok(run);
    assert.ok(
      run.events.some((e) => e.name === 'openai.run.poll_error'),
      'the timed-out poll is on the run',
    );
    assert.equal(run.attributes['spanlens.run.status'], 'completed');
    assertFailed(callSpan(s('reset-before-headers'), 'openai.threads.runs.create'), 'APIConnectionError');
    // Headers came, the body never did: the app got an error (openai 5–7), or its call never settled
    // (openai 4: node-fetch waits forever); either way the call is not reported as a success.
    const hung = /"hung":true/.test(JSON.stringify(traced.scenarios['reset-after-headers']!.result.log));
    assert.equal(hung, cell.openai === 4, 'openai 4 hangs, 5–7 throw');
    const afterHeaders = all(s('reset-after-headers'), 'openai.threads.runs.create');
    if (!hung) assertFailed(afterHeaders[0]!, afterHeaders[0]!.attributes['error.type'] as string);
    assert.ok(
      afterHeaders.every((x) => x.status.code === 'ERROR'),
      'never a success',
    );
    assert.ok(runSpans(s('slow-run')).every((x) => x.attributes['spanlens.run.status'] === 'completed'));
  });

  it('broken streams end the run span as stream_error or stream_truncated, with ERROR when the app got an error', () => {
    for (const n of ['reset-after-headers-stream', 'cut-mid-event', 'cut-handlers', 'error-event-handlers', 'malformed-json-stream']) {
      const runs = runSpans(traced.scenarios[n]!.spans);
      const broken = runs.filter((x) => String(x.attributes['spanlens.run.end_reason'] ?? '').startsWith('stream_'));
      if (n === 'reset-after-headers-stream') {
        // No event arrived: no run was seen; the call itself failed.
        assert.equal(runs.length, 0, n);
        const call = callSpan(traced.scenarios[n]!.spans, 'openai.threads.runs.create');
        assert.equal(call.status.code, 'ERROR', `${n}: ${JSON.stringify(call)}`);
        continue;
      }
      assert.equal(broken.length, 1, `${n}: ${JSON.stringify(runs.map((x) => x.attributes))}`);
      assert.equal(broken[0]!.status.code, 'ERROR', n);
    }
  });

  it('malformed JSON, unknown types, nulls, missing fields: no internal error, every span ended, the polls are truthful', () => {
    const s = (n: string) => traced.scenarios[n]!.spans;
    const [run] = runSpans(s('malformed-json-poll'));
    assert.ok(
      run?.events.some((e) => e.name === 'openai.run.poll_error'),
      'the poll the app saw fail is an error on the run',
    );
    for (const n of ['unknown-types-polled', 'unknown-types-stream', 'unknown-event-polled', 'unknown-event-stream', 'nulls-polled', 'nulls-stream', 'missing-polled', 'missing-stream']) {
      assertWellFormed(s(n));
      assert.ok(s(n).length > 0, n);
    }
    // Unknown step and tool types still give the run its step spans.
    const unknown = s('unknown-types-polled');
    const [r] = runSpans(unknown);
    assert.ok(r && unknown.some((x) => x.parentSpanId === r.spanId), 'step spans for unknown step types');
    assert.ok(runSpans(s('unknown-event-stream')).every((x) => x.attributes['spanlens.run.status'] === 'completed'));
    // Run objects without thread_id still make a run span: the thread comes from the request path.
    assert.ok(runSpans(s('missing-polled')).length >= 1, 'a polled run without thread_id in its objects still has its span');
  });

  it('a 10 MB message: captured content truncated everywhere, the export stays small', () => {
    const spans = traced.scenarios['message-10mb']!.spans;
    assert.ok(runSpans(spans).length === 1);
    let total = 0;
    for (const sp of spans) {
      const text = JSON.stringify(sp);
      total += text.length;
      for (const [k, v] of Object.entries(sp.attributes)) {
        for (const x of Array.isArray(v) ? v : [v]) assert.ok(String(x).length <= 16384 + 64, `${sp.name} ${k}: ${String(x).length} chars`);
      }
    }
    assert.ok(total < 512 * 1024, `spans of the 10 MB scenario: ${total} bytes`);
  });
});

// Content capture off, over every app flow of this suite (no fault): no message text, tool arguments or
// results, code or retrieval results in any exported span. On a spread of cells (the content policy is
// the same code in all of them).
forEachCell((cell) => {
  it(`content off: ${Object.keys(FLOWS).length} flows export no message text, tool arguments/results or code`, async () => {
    const flows = Object.entries(FLOWS).map(([name, args]) => ({ name, module: MODULE, args }));
    const run = await runCell(cell, { scenarios: flows, baseURL: (await fresh()).baseURL, instrumentationConfig: { captureContent: false }, timeoutMs: 240_000 });
    const spans = Object.values(run.scenarios).flatMap((s) => s.spans);
    assert.ok(runSpans(spans).length >= Object.keys(FLOWS).length - 1, 'the flows ran and were traced');
    assert.deepEqual(contentValues(spans), []);
    const dump = JSON.stringify(spans);
    for (const text of ['What is the weather in Paris?', 'Weather in Oslo?', 'message 3', 'temp\\": 21', 'city\\":']) assert.ok(!dump.includes(text), `${text} exported with content off`);
  });
}, spreadCells());
