// End to end, as a user runs it: an app started with `node --import …/register` (and `-r` for CJS)
// talks to the emulator and exports over OTLP/HTTP to the real Collector running the repo's
// otel-collector-config.yaml, which forwards to a real Jaeger v2. The thread's trace is fetched from
// Jaeger's query API by threadTraceId(thread_id): one clean tree, no per-span warnings.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { conversationTraceId, threadTraceId } from '../../src/trace/trace-ids';
import { ensureBackends, startTracingStack } from './backends.mjs';

type Tag = { key: string; value: unknown };
type JaegerSpan = { spanID: string; operationName: string; references: { refType: string; spanID: string }[]; tags: Tag[]; warnings: string[] | null; processID: string };
type JaegerTrace = { spans: JaegerSpan[]; processes: Record<string, { serviceName: string }> };

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const SKIP = process.env.SPANLENS_SKIP_E2E === '1' ? 'SPANLENS_SKIP_E2E=1' : false;
const tag = (s: JaegerSpan, key: string) => s.tags.find((t) => t.key === key)?.value;

describe('e2e: register entry -> Collector -> Jaeger', { skip: SKIP }, () => {
  let stack: Awaited<ReturnType<typeof startTracingStack>>;
  before(
    async () => {
      await ensureBackends();
      stack = await startTracingStack();
    },
    { timeout: 35 * 60_000 },
  );
  after(async () => {
    await stack?.stop();
  });

  it('the collector example: npm run demo exporting to the collector lands whole in Jaeger', { timeout: 120_000 }, async () => {
    const { stdout } = await run(process.execPath, ['examples/demo.cjs'], {
      cwd: ROOT,
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: stack.otlpHttpUrl, OTEL_SERVICE_NAME: 'spanlens-demo' },
      timeout: 90_000,
    });
    const threadId = /Thread (thread_\w+)/.exec(stdout)?.[1];
    assert.ok(threadId, stdout);
    const [threadPart, conversationPart] = stdout.split(/^Conversation /m);
    const spanLines = (text: string) => (text.match(/^\s*(?:[│├└─ ]*)(openai\.|invoke_agent|chat |execute_tool|message |reasoning )/gm) ?? []).length;
    const printed = spanLines(threadPart!);
    const trace: JaegerTrace = await stack.fetchTrace(threadTraceId(threadId), { minSpans: printed, timeoutMs: 30_000 });
    assert.equal(trace.spans.length, printed, 'every span the demo printed reached Jaeger');
    assert.ok(
      trace.spans.every((s) => s.warnings === null),
      JSON.stringify(trace.spans.map((s) => s.warnings)),
    );
    assert.equal(trace.spans.filter((s) => s.operationName === 'invoke_agent Support agent').length, 3);
    // The cost report, read back from this Jaeger: per user message, then totals that add up to the runs.
    const { stdout: report } = await run(process.execPath, ['dist/cjs/cli/main.js', 'cost', threadId, '--jaeger', `http://127.0.0.1:${stack.queryPort}`, '--json'], { cwd: ROOT, timeout: 30_000 });
    const parsed = JSON.parse(report);
    const runs = trace.spans.filter((s) => s.operationName.startsWith('invoke_agent'));
    const runCost = runs.reduce((n, s) => n + Number(tag(s, 'spanlens.cost.usd')), 0);
    assert.equal(parsed.totals.runs, 3);
    assert.equal(parsed.totals.userMessages, 3);
    assert.ok(Math.abs(parsed.totals.costUsd - runCost) < 1e-9, `${parsed.totals.costUsd} vs ${runCost}`);
    assert.deepEqual(
      parsed.messages.map((m: { text: string }) => m.text),
      ['Plot the last week of revenue from this CSV.', 'Summarise the trend in one sentence.', "What was Saturday's revenue in EUR?"],
    );
    const last = runs.sort((x, y) => Number(tag(x, 'spanlens.thread.run_count')) - Number(tag(y, 'spanlens.thread.run_count'))).at(-1)!;
    assert.ok(Math.abs(Number(tag(last, 'spanlens.thread.cost.usd')) - runCost) < 1e-9, 'the last run carries the thread total');
    const ids = new Set(trace.spans.map((s) => s.spanID));
    for (const s of trace.spans) for (const ref of s.references) assert.ok(ids.has(ref.spanID), `${s.operationName}: parent missing`);
    assert.deepEqual(
      trace.spans
        .filter((s) => s.references.length === 0)
        .map((s) => s.operationName)
        .sort(),
      [
        'invoke_agent Support agent',
        'invoke_agent Support agent',
        'invoke_agent Support agent',
        'openai.threads.create',
        'openai.threads.messages.create',
        'openai.threads.messages.create',
        'openai.threads.messages.create',
      ],
      "the thread's calls and runs are its roots",
    );

    // The demo's Responses turn: the conversation's trace, whole and clean, and its cost report.
    const conversationId = /^(conv_\w+)/.exec(conversationPart!)?.[1];
    assert.ok(conversationId, stdout);
    const convPrinted = spanLines(conversationPart!.split(/^The conversation/m)[0]!);
    const conv: JaegerTrace = await stack.fetchTrace(conversationTraceId(conversationId), { minSpans: convPrinted, timeoutMs: 30_000 });
    assert.equal(conv.spans.length, convPrinted);
    assert.ok(
      conv.spans.every((s) => s.warnings === null),
      JSON.stringify(conv.spans.map((s) => s.warnings)),
    );
    const convIds = new Set(conv.spans.map((s) => s.spanID));
    for (const s of conv.spans) for (const ref of s.references) assert.ok(convIds.has(ref.spanID), `${s.operationName}: parent missing`);
    // The model's call (the response's child) and the app's tool work (with the result) share the name.
    const tool = conv.spans.find((s) => s.operationName === 'execute_tool convert_currency' && tag(s, 'gen_ai.tool.call.result') !== undefined)!;
    assert.equal(tag(tool, 'gen_ai.tool.call.result'), JSON.stringify({ eur: 1740 }));
    const { stdout: convReport } = await run(process.execPath, ['dist/cjs/cli/main.js', 'cost', conversationId, '--jaeger', `http://127.0.0.1:${stack.queryPort}`, '--json'], {
      cwd: ROOT,
      timeout: 30_000,
    });
    const convParsed = JSON.parse(convReport);
    const responses = conv.spans.filter((s) => tag(s, 'spanlens.kind') === 'agent_step');
    assert.equal(convParsed.totals.runs, 2);
    const convCost = responses.reduce((n, s) => n + Number(tag(s, 'spanlens.cost.usd')), 0);
    assert.ok(Math.abs(convParsed.totals.costUsd - convCost) < 1e-9, `${convParsed.totals.costUsd} vs ${convCost}`);
    // The tool-output response answers no new user message: both responses are charged to the one question.
    assert.deepEqual(
      convParsed.messages.map((m: { text: string; runs: unknown[] }) => [m.text, m.runs.length]),
      [["What was Sunday's revenue in EUR?", 2]],
    );

    // The demo's Agents SDK run: its own trace (the SDK's trace id), every printed span in Jaeger, clean.
    const agentsPart = stdout.split(/^Agents SDK run: /m)[1]!.split(/^The agent run/m)[0]!;
    const agentTraceId = /^trace ([0-9a-f]{32})$/m.exec(agentsPart)?.[1];
    assert.ok(agentTraceId, stdout);
    const agentPrinted = (agentsPart.match(/ \d+\.\d ms/g) ?? []).length;
    const agentTrace: JaegerTrace = await stack.fetchTrace(agentTraceId, { minSpans: agentPrinted, timeoutMs: 30_000 });
    assert.equal(agentTrace.spans.length, agentPrinted);
    assert.ok(
      agentTrace.spans.every((s) => s.warnings === null),
      JSON.stringify(agentTrace.spans.map((s) => s.warnings)),
    );
    const agentIds = new Set(agentTrace.spans.map((s) => s.spanID));
    for (const s of agentTrace.spans) for (const ref of s.references) assert.ok(agentIds.has(ref.spanID), `${s.operationName}: parent missing`);
    assert.deepEqual(
      agentTrace.spans.filter((s) => s.references.length === 0).map((s) => s.operationName),
      ['invoke_agent Triage agent'],
    );
    for (const name of ['guardrail no_secrets', 'handoff Triage agent → Weather agent', 'invoke_agent Weather agent', 'execute_tool get_weather'])
      assert.ok(
        agentTrace.spans.some((s) => s.operationName === name),
        name,
      );
  });

  for (const [flag, app, expected] of [
    ['--import', 'examples/register.mjs', ['openai.threads.create', 'invoke_agent Register agent', 'chat gpt-4o-mini']],
    ['-r', 'examples/register.cjs', ['openai.threads.create', 'invoke_agent Register agent', 'chat gpt-4o-mini']],
    ['--import', 'examples/streaming.mjs', ['openai.threads.create', 'invoke_agent Streaming agent', 'chat gpt-4o-mini']],
  ] as const) {
    it(`node ${flag} register ${app}: the thread's trace in Jaeger is one clean tree`, { timeout: 90_000 }, async () => {
      const { stdout } = await run(process.execPath, [flag, '@spanlens/instrumentation-openai/register', app], {
        cwd: ROOT,
        env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: stack.otlpHttpUrl, OTEL_SERVICE_NAME: 'spanlens-e2e', OPENAI_BASE_URL: '', OPENAI_API_KEY: '' },
        timeout: 60_000,
      });
      const { threadId, status } = JSON.parse(stdout.trim().split('\n').at(-1)!);
      assert.equal(status, 'completed');
      const trace: JaegerTrace = await stack.fetchTrace(threadTraceId(threadId), { minSpans: expected.length, timeoutMs: 30_000 });
      const spans = trace.spans;
      assert.deepEqual(spans.map((s) => s.operationName).sort(), [...expected].sort());
      const root = spans.find((s) => s.operationName === 'openai.threads.create')!;
      assert.deepEqual(root.references, [], 'top-level thread spans are roots of the thread trace');
      const agent = spans.find((s) => s.operationName.startsWith('invoke_agent'))!;
      assert.deepEqual(agent.references, []);
      const chat = spans.find((s) => s.operationName.startsWith('chat'))!;
      assert.deepEqual(
        chat.references.map((r) => [r.refType, r.spanID]),
        [['CHILD_OF', agent.spanID]],
      );
      for (const s of spans) {
        assert.equal(s.warnings, null, `${s.operationName}: ${JSON.stringify(s.warnings)}`);
        assert.equal(tag(s, 'openai.thread.id'), threadId);
        assert.equal(trace.processes[s.processID]?.serviceName, 'spanlens-e2e');
      }
      assert.equal(tag(agent, 'spanlens.run.status'), 'completed');
      assert.ok(Number(tag(agent, 'gen_ai.usage.input_tokens')) > 0);
    });
  }
});
