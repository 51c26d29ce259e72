// Configuration and lifecycle, in a spread of cells (both OTel lines, both formats, oldest and newest
// openai): content capture off / redaction / truncation, no ThreadTraceIdGenerator, a run created in
// one process and polled in another, TTL and shutdown endings, disable/enable, createOpenAI, and the
// out-of-range version warning.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { startEmulator, type Emulator } from '../src/testing/index';
import { threadRootSpanId, threadTraceId } from '../src/trace/trace-ids';
import * as matrix from './harness/matrix.mjs';
import { CELLS, REDACTING_CONFIG, cellName, forEachCell, runCell, spreadCells, type Cell } from './harness/run-cell';
import { all, assertWellFormed, contentValues, inTrace, one } from './support/spans';

const S = (name: string) => path.resolve(__dirname, 'scenarios', name);
const weather = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };
const pick = (names: string[]): Cell[] => CELLS.filter((c) => names.includes(cellName(c)));

let emulator: Emulator;
before(async () => {
  emulator = await startEmulator();
});
after(async () => {
  await emulator?.close();
});

const contentScenarios = [
  { name: 'function', module: S('assistants-polled.mjs'), args: { script: 'function', tools: [weather], question: 'What is the weather in Paris? My card is 4111-1111-1111-1111.' } },
  { name: 'code', module: S('assistants-helpers.mjs'), args: { flow: 'createAndPoll', script: 'code', tools: [{ type: 'code_interpreter' }] } },
];

forEachCell((cell) => {
  it('captureContent: false removes every message, tool argument/result and code text', async () => {
    const run = await runCell(cell, { scenarios: contentScenarios, baseURL: emulator.baseURL, instrumentationConfig: { captureContent: false } });
    const spans = Object.values(run.scenarios).flatMap((s) => s.spans);
    assert.ok(all(spans, /^execute_tool /).length >= 2, 'tool spans still emitted');
    assert.deepEqual(contentValues(spans), []);
    const dump = JSON.stringify(spans);
    assert.ok(!dump.includes('4111-1111'), 'user text leaked');
  });

  it('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=false does the same', async () => {
    const run = await runCell(cell, { scenarios: contentScenarios, baseURL: emulator.baseURL, env: { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'false' } });
    assert.deepEqual(contentValues(Object.values(run.scenarios).flatMap((s) => s.spans)), []);
  });

  it('without ThreadTraceIdGenerator: same trace id, every thread span under the (unexported) root', async () => {
    const run = await runCell(cell, { scenarios: [contentScenarios[0]!], baseURL: emulator.baseURL, idGenerator: false });
    const r = run.scenarios.function!;
    assert.equal(r.error, undefined);
    const trace = inTrace(r.spans, threadTraceId(r.result.threadId));
    const create = one(trace, 'openai.threads.create');
    assert.equal(create.parentSpanId, threadRootSpanId(r.result.threadId));
    assert.ok(trace.every((s) => s.spanId !== threadRootSpanId(r.result.threadId)));
    assert.equal(one(trace, /^invoke_agent\b/).parentSpanId, threadRootSpanId(r.result.threadId));
  });
}, spreadCells());

forEachCell(
  (cell) => {
    it('redaction hook sees every captured value; truncation caps them', async () => {
      // The hook is code, so the child builds the config from this module.
      const run = await runCell(cell, {
        scenarios: contentScenarios,
        baseURL: emulator.baseURL,
        ...REDACTING_CONFIG,
      });
      const spans = Object.values(run.scenarios).flatMap((s) => s.spans);
      const values = contentValues(spans);
      assert.ok(values.length >= 6, 'content captured');
      for (const [name, key, value] of values) {
        for (const v of Array.isArray(value) ? value : [value]) {
          assert.ok(String(v).startsWith(`[seen:${key}]`), `${name} ${key} did not pass the hook: ${String(v).slice(0, 80)}`);
          assert.ok(String(v).length <= 64 + 40, `${name} ${key} not truncated`);
        }
      }
      assert.ok(!JSON.stringify(spans).includes('4111-1111-1111-1111'));
    });

    it('a run created in one process and polled in another lands in the same trace', async () => {
      const a = await runCell(cell, { scenarios: [{ name: 'a', module: S('assistants-split.mjs'), args: {} }], baseURL: emulator.baseURL });
      const ra = a.scenarios.a!;
      assert.equal(ra.error, undefined);
      const b = await runCell(cell, {
        scenarios: [{ name: 'b', module: S('assistants-split.mjs'), args: { poll: { threadId: ra.result.threadId, runId: ra.result.runId } } }],
        baseURL: emulator.baseURL,
      });
      const rb = b.scenarios.b!;
      assert.equal(rb.error, undefined);
      assert.equal(rb.result.status, 'completed');
      const traceId = threadTraceId(ra.result.threadId);
      const runB = one(inTrace(rb.spans, traceId), /^invoke_agent\b/);
      assert.equal(runB.attributes['openai.run.id'], ra.result.runId);
      assert.equal(runB.attributes['spanlens.run.observed_from'], 'poll');
      assert.equal(runB.parentSpanId, undefined, 'a root of the thread trace in process B too');
      assert.equal(runB.attributes['spanlens.run.status'], 'completed');
      // Process A never saw the run finish: its run span ends at A's shutdown (the harness disables the
      // instrumentation last), in the same trace.
      assert.equal(one(inTrace(ra.spans, traceId), 'openai.threads.create').parentSpanId, undefined);
    });

    it('TTL and shutdown end runs never seen to finish, marked; disable/enable restore and re-apply the patch', async () => {
      const run = await runCell(cell, {
        scenarios: [
          { name: 'ttl', module: S('assistants-lifecycle.mjs'), args: { mode: 'ttl', waitMs: 2600 } },
          { name: 'shutdown', module: S('assistants-lifecycle.mjs'), args: { mode: 'shutdown' } },
        ],
        baseURL: emulator.baseURL,
        instrumentationConfig: { runTtlMs: 1000 },
      });
      const ttl = run.scenarios.ttl!;
      assert.equal(ttl.error, undefined);
      const ttlRun = one(inTrace(ttl.spans, threadTraceId(ttl.result.threadId)), /^invoke_agent\b/);
      assert.equal(ttlRun.attributes['spanlens.run.end_reason'], 'ttl');
      assert.equal(ttlRun.attributes['spanlens.run.status'], 'in_progress');
      const sd = run.scenarios.shutdown!;
      assert.equal(sd.error, undefined);
      const sdRun = one(inTrace(sd.spans, threadTraceId(sd.result.threadId)), /^invoke_agent\b/);
      assert.equal(sdRun.attributes['spanlens.run.end_reason'], 'shutdown');
      assert.equal(sd.result.wrappedBefore, true);
      assert.equal(sd.result.wrappedAfterDisable, false);
      assert.equal(sd.result.wrappedAfterEnable, true);
      const u = sd.result.unpatched;
      assert.equal(u.sameFunction, true, "disable() puts the SDK's own makeRequest back");
      assert.deepEqual(u.descriptor, u.siblingDescriptor, "with the descriptor of the class's other methods");
      assert.equal(u.ownKeysUnchanged, true, 'no property added to or removed from the SDK class');
      assert.deepEqual(u.wrapperMarks, [], 'no wrapper marks left on the function');
      assert.equal(inTrace(sd.spans, threadTraceId(sd.result.untracedThreadId)).length, 0, 'disabled: no spans');
      assert.equal(inTrace(sd.spans, threadTraceId(sd.result.tracedThreadId)).length, 1, 're-enabled: traced');
      assertWellFormed(sd.spans);
    });

    it('state is bounded: beyond maxTrackedEntities the oldest open runs end, marked evicted', async () => {
      const run = await runCell(cell, {
        scenarios: [{ name: 'b', module: S('assistants-bounded.mjs'), args: { runs: 20 } }],
        baseURL: emulator.baseURL,
        instrumentationConfig: { maxTrackedEntities: 16 },
      });
      const b = run.scenarios.b!;
      assert.equal(b.error, undefined);
      const runs = all(b.spans, /^invoke_agent\b/);
      assert.equal(runs.length, 20, 'every started run span ended');
      const reasons = runs.map((s) => s.attributes['spanlens.run.end_reason']);
      assert.equal(reasons.filter((x) => x === 'evicted').length, 4);
      assert.equal(reasons.filter((x) => x === 'shutdown').length, 16);
      const evicted = new Set(runs.filter((s) => s.attributes['spanlens.run.end_reason'] === 'evicted').map((s) => s.attributes['openai.run.id']));
      assert.deepEqual(
        [...evicted].sort(),
        b.result.runs
          .slice(0, 4)
          .map((x: { runId: string }) => x.runId)
          .sort(),
        'the oldest go first',
      );
      // Eviction is reported through diag (on the 1st, 10th, 100th … eviction), never the console.
      const reports = b.diag.filter((d) => d.level === 'WARN' && /more than 16 open runs tracked at once; evicted the oldest \(1 so far\)/.test(d.message));
      assert.equal(reports.length, 1, JSON.stringify(b.diag));
      assert.deepEqual(b.console, []);
    });

    it("cost: per run and step, the thread's running total, and the split per user message", async () => {
      const run = await runCell(cell, { scenarios: [{ name: 'c', module: S('assistants-cost.mjs'), args: {} }], baseURL: emulator.baseURL });
      const c = run.scenarios.c!;
      assert.equal(c.error, undefined, JSON.stringify(c.error));
      const [m1, m2, m3] = c.result.messages as string[];
      // gpt-4o-mini, USD per 1M tokens: input 0.15, cached input 0.075, output 0.60 (cached is part of input).
      const usd = (u: { prompt_tokens: number; completion_tokens: number; prompt_token_details?: { cached_tokens?: number } }) => {
        const cached = u.prompt_token_details?.cached_tokens ?? 0;
        return ((u.prompt_tokens - cached) * 0.15 + cached * 0.075 + u.completion_tokens * 0.6) / 1e6;
      };
      const close = (a: unknown, b: number) => assert.ok(Math.abs(Number(a) - b) < 1e-9, `${String(a)} != ${b}`);
      const trace = inTrace(c.spans, threadTraceId(c.result.threadId));
      const spanOf = (id: string) => one(trace, /^invoke_agent\b/, { 'openai.run.id': id });
      const [r1, r2, r3, r4] = c.result.runs as Array<{ id: string; usage: Parameters<typeof usd>[0] }>;
      const [c1, c2, c3] = [usd(r1!.usage), usd(r2!.usage), usd(r3!.usage)];
      const s1 = spanOf(r1!.id);
      close(s1.attributes['spanlens.cost.usd'], c1);
      close((s1.attributes['spanlens.cost.input_usd'] as number) + (s1.attributes['spanlens.cost.output_usd'] as number), c1);
      assert.equal(s1.attributes['spanlens.cost.tools_usd'], 0);
      assert.deepEqual(s1.attributes['spanlens.user_message.ids'], [m1]);
      assert.deepEqual(s1.attributes['spanlens.user_message.texts'], ['What is my balance?']);
      close(s1.attributes['spanlens.cost_per_user_message.usd'], c1);
      close(s1.attributes['spanlens.thread.cost.usd'], c1);
      assert.equal(s1.attributes['spanlens.thread.run_count'], 1);
      const s2 = spanOf(r2!.id);
      assert.deepEqual(s2.attributes['spanlens.user_message.ids'], [m2, m3], 'two messages, one run');
      close(s2.attributes['spanlens.cost_per_user_message.usd'], c2 / 2);
      close(s2.attributes['spanlens.thread.cost.usd'], c1 + c2);
      close(s2.attributes['spanlens.thread.cost_per_user_message.usd'], (c1 + c2) / 3);
      const s3 = spanOf(r3!.id);
      assert.deepEqual(s3.attributes['spanlens.user_message.ids'], [], 'a retry answers nothing new');
      assert.equal(s3.attributes['spanlens.cost_per_user_message.usd'], undefined);
      close(s3.attributes['spanlens.thread.cost.usd'], c1 + c2 + c3);
      assert.equal(s3.attributes['spanlens.thread.run_count'], 3);
      // Each model call's cost is on its chat span.
      for (const s of [s1, s2, s3]) {
        const chats = trace.filter((x) => x.parentSpanId === s.spanId && x.name.startsWith('chat '));
        assert.ok(chats.length > 0 && chats.every((x) => typeof x.attributes['spanlens.cost.usd'] === 'number'));
      }
      // No price: no cost attributes, never a guess, one diag warning for the model.
      const s4 = spanOf(r4!.id);
      assert.equal(s4.attributes['spanlens.cost.usd'], undefined);
      assert.equal(s4.attributes['gen_ai.response.model'], 'mystery-model-x');
      // Not even the thread's running total: it would silently leave this run out.
      assert.equal(s4.attributes['spanlens.thread.cost.usd'], undefined);
      assert.equal(c.diag.filter((d) => d.level === 'WARN' && /no price for model "mystery-model-x"/.test(d.message)).length, 1);

      // Metrics: GenAI token usage and duration per run, and the cost counter; no thread or run ids.
      const metric = (name: string) => run.metrics.find((m) => m.name === name && m.scope === '@spanlens/instrumentation-openai');
      const tokens = metric('gen_ai.client.token.usage')!;
      const input = tokens.points.find((p) => p.attributes['gen_ai.token.type'] === 'input' && p.attributes['gen_ai.request.model'] === 'gpt-4o-mini')!;
      const sumOf = (v: unknown) => (v as { sum: number }).sum;
      assert.equal(sumOf(input.value), r1!.usage.prompt_tokens + r2!.usage.prompt_tokens + r3!.usage.prompt_tokens);
      assert.equal((input.value as { count: number }).count, 3);
      assert.equal(metric('gen_ai.client.operation.duration')!.unit, 's');
      const costPoint = metric('spanlens.cost')!.points.find((p) => p.attributes['gen_ai.request.model'] === 'gpt-4o-mini')!;
      close(costPoint.value, c1 + c2 + c3);
      const keys = new Set(run.metrics.flatMap((m) => m.points.flatMap((p) => Object.keys(p.attributes))));
      for (const k of keys) assert.ok(!/thread|run\.id|message/.test(k), `high-cardinality metric attribute ${k}`);
    });

    it("threadCost 'api': a thread's runs in two processes add up (process-local mode sees only its own)", async () => {
      const split = S('assistants-cost-split.mjs');
      const a = (await runCell(cell, { scenarios: [{ name: 'a', module: split, args: { question: 'first, from process A' } }], baseURL: emulator.baseURL })).scenarios.a!;
      assert.equal(a.error, undefined, JSON.stringify(a.error));
      const thread = { threadId: a.result.threadId, assistantId: a.result.assistantId };
      const b = (
        await runCell(cell, {
          scenarios: [{ name: 'b', module: split, args: { question: 'second, from process B', thread } }],
          baseURL: emulator.baseURL,
          instrumentationConfig: { threadCost: 'api' },
        })
      ).scenarios.b!;
      const local = (await runCell(cell, { scenarios: [{ name: 'c', module: split, args: { question: 'third, process C', thread } }], baseURL: emulator.baseURL })).scenarios.c!;
      const runOf = (r: typeof a) => one(inTrace(r.spans, threadTraceId(a.result.threadId)), /^invoke_agent\b/, { 'openai.run.id': r.result.runId });
      const costA = Number(runOf(a).attributes['spanlens.cost.usd']);
      const costB = Number(runOf(b).attributes['spanlens.cost.usd']);
      const costC = Number(runOf(local).attributes['spanlens.cost.usd']);
      assert.ok(costA > 0 && costB > 0 && costC > 0);
      const sb = runOf(b);
      assert.equal(sb.attributes['spanlens.thread.cost.source'], 'api');
      assert.equal(sb.attributes['spanlens.thread.run_count'], 2);
      assert.ok(Math.abs(Number(sb.attributes['spanlens.thread.cost.usd']) - (costA + costB)) < 1e-9, "A's run counted from the run list");
      const sc = runOf(local);
      assert.equal(sc.attributes['spanlens.thread.run_count'], 1, 'process-local: only what this process saw');
      assert.ok(Math.abs(Number(sc.attributes['spanlens.thread.cost.usd']) - costC) < 1e-9);
    });

    it('out-of-range versions get a diag warning and are left untouched', async () => {
      const run = await runCell(cell, { scenarios: [{ name: 'w', module: S('version-warning.mjs'), args: {} }], baseURL: emulator.baseURL });
      const w = run.scenarios.w!;
      assert.equal(w.result.untouched, true);
      assert.ok(
        w.diag.some((d) => d.level === 'WARN' && /8\.1\.0 is outside the supported range/.test(d.message)),
        JSON.stringify(w.diag),
      );
      assert.ok(w.diag.some((d) => d.level === 'WARN' && /no client class with makeRequest/.test(d.message)));
    });

    it('createOpenAI: the drop-in client is traced', async () => {
      const consumer = matrix.consumerDir(cell);
      const run = await runCell(cell, {
        scenarios: [{ name: 'd', module: S('create-openai.mjs'), args: { packageJson: path.join(consumer, 'package.json') } }],
        baseURL: emulator.baseURL,
      });
      const d = run.scenarios.d!;
      assert.equal(d.error, undefined, JSON.stringify(d.error));
      assert.equal(d.result.hasBeta, true);
      assert.equal(d.result.sameClass, true, 'the client is built from the openai the app loaded');
      const root = one(inTrace(d.spans, threadTraceId(d.result.threadId)), 'openai.threads.create');
      assert.equal(root.parentSpanId, undefined);
    });
  },
  pick(['node20 openai4 otel2 cjs', 'node22 openai7 otel3 esm']),
);
