// Real recorded OpenAI traffic (../shared/recordings), replayed through the real SDK in every matrix
// cell: the app sees exactly the recorded responses, and the instrumentation builds the trace model
// from them. Polled sessions are asserted in detail; streamed ones (issue 3) for transparency only.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { threadTraceId } from '../src/thread-ids';
import { forEachCell, runCell, type CellRun } from './harness/run-cell';
import { listCassettes, loadCassette, type Cassette } from './replay/cassette';
import { startReplayServer, type ReplayServer } from './replay/server';
import { all, assertWellFormed, inTrace, one, type SpanJSON } from './support/spans';

const SCENARIO = path.resolve(__dirname, 'scenarios/replay.mjs');
const cassettes: Cassette[] = listCassettes().map(loadCassette);
const servers = new Map<string, ReplayServer>();

before(async () => {
  for (const c of cassettes) servers.set(c.file, await startReplayServer(c));
});
after(async () => {
  await Promise.all([...servers.values()].map((s) => s.close()));
});

const byShortName = (fragment: string) => {
  const c = cassettes.find((x) => x.file.endsWith(`${fragment}.yaml`) || x.file.endsWith(`${fragment}.yml`));
  assert.ok(c, `no cassette ${fragment}`);
  return c;
};

/** The instrumentation's own requests (steps list after a terminal status) are the only extra traffic. */
const OWN_REQUEST = /unmatched GET \/v1\/threads\/[^/]+\/(runs\/[^/]+\/steps|messages)\?/;

const POLLED = [
  // [cassette, run usage [prompt, completion], polls, assistant name known before the run]
  ['test_assistant__test_existing_assistant', [381, 88], 15, false],
  ['test_assistant__test_existing_assistant_with_events_with_content', [381, 88], 14, false],
  ['test_assistant__test_existing_assistant_with_events_with_no_content', [381, 89], 13, false],
  ['test_assistant__test_new_assistant', [381, 89], 14, true],
  ['test_assistant__test_new_assistant_with_events_with_content', [381, 88], 13, true],
  ['test_assistant__test_new_assistant_with_events_with_no_content', [381, 88], 13, true],
  ['test_assistant__test_new_assistant_with_polling', [381, 88], 19, true],
  ['test_assistant__test_new_assistant_with_polling_with_events_with_content', [376, 83], 16, true],
  ['test_assistant__test_new_assistant_with_polling_with_events_with_no_content', [381, 89], 13, true],
] as const;

forEachCell((cell) => {
  let run: CellRun;
  before(async () => {
    for (const s of servers.values()) s.reset();
    run = await runCell(cell, {
      scenarios: cassettes.map((c) => ({ name: c.file, module: SCENARIO, args: { cassette: c.file, baseURL: servers.get(c.file)!.baseURL } })),
      timeoutMs: 240_000,
    });
  });

  it('every recorded session: the app sees the recorded statuses; spans well-formed; no stray requests', () => {
    for (const c of cassettes) {
      const r = run.scenarios[c.file]!;
      assert.equal(r.error, undefined, `${c.shortName} threw: ${JSON.stringify(r.error)}`);
      assert.deepEqual(r.unhandled, [], c.shortName);
      assert.deepEqual(r.diag.filter((d) => d.level === 'ERROR'), [], c.shortName);
      assert.deepEqual(
        r.result.calls.map((x: { status: number }) => x.status),
        c.interactions.map((i) => i.response.status),
        `${c.shortName}: app-visible statuses differ from the recording`,
      );
      const server = servers.get(c.file)!;
      assert.equal(server.remaining(), 0, `${c.shortName}: recorded requests not made`);
      for (const m of server.mismatches) assert.match(m, OWN_REQUEST, `${c.shortName}: unexpected request ${m}`);
      assertWellFormed(r.spans);
      const dump = JSON.stringify(r.spans);
      assert.ok(!dump.includes('sk-spanlens-test') && !/authorization/i.test(dump), `${c.shortName}: secret in spans`);
    }
  });

  it('polled sessions: one trace per thread, the run span with real usage and one event per poll', () => {
    for (const [name, [prompt, completion], polls, named] of POLLED) {
      const c = byShortName(name);
      const r = run.scenarios[c.file]!;
      const threadId = r.result.threadIds[0] as string;
      const runId = r.result.runIds[0] as string;
      const trace = inTrace(r.spans, threadTraceId(threadId));
      const root = one(trace, 'openai.threads.create');
      assert.equal(root.parentSpanId, undefined);
      const span = one(trace, /^invoke_agent /);
      assert.equal(span.parentSpanId, undefined, name);
      assert.ok(span.startMs >= root.startMs);
      assert.equal(span.attributes['openai.run.id'], runId);
      assert.equal(span.attributes['openai.run.status'], 'completed');
      assert.equal(span.attributes['gen_ai.request.model'], 'gpt-4o-mini');
      assert.equal(span.attributes['gen_ai.usage.input_tokens'], prompt, name);
      assert.equal(span.attributes['gen_ai.usage.output_tokens'], completion, name);
      assert.equal(span.attributes['gen_ai.usage.cache_read.input_tokens'], 0, name);
      assert.equal(span.events.filter((e) => e.name === 'openai.run.poll').length, polls, name);
      assert.equal(span.attributes['openai.run.poll_count'], polls);
      // The recordings hold no steps list: the instrumentation's own fetch failed, the span says so.
      assert.equal(span.attributes['spanlens.run.steps_missing'], true, name);
      // An existing assistant's name is known only if this process saw it (an earlier session did).
      const assistantId = r.result.assistantIds[0] as string;
      assert.equal(span.attributes['gen_ai.agent.id'], assistantId);
      if (named) assert.equal(span.name, 'invoke_agent Math Tutor', name);
      else assert.ok(['invoke_agent Math Tutor', `invoke_agent ${assistantId}`].includes(span.name), span.name);
      for (const s of trace) assert.equal(s.attributes['openai.thread.id'], threadId);
      one(trace, 'openai.threads.messages.create');
      one(trace, 'openai.threads.messages.list');
    }
  });

  it('llamaindex session: requires_action → submit_tool_outputs gives an execute_tool span; chat completions are ambient spans', () => {
    const c = byShortName('test_agents__test_agent_with_query_tool');
    const r = run.scenarios[c.file]!;
    const threadId = r.result.threadIds[0] as string;
    const trace = inTrace(r.spans, threadTraceId(threadId));
    const span = one(trace, 'invoke_agent City bot');
    assert.equal(span.attributes['gen_ai.usage.input_tokens'], 663);
    assert.equal(span.attributes['gen_ai.usage.output_tokens'], 53);
    assert.equal(span.attributes['gen_ai.request.model'], 'gpt-4-1106-preview');
    const tools = all(trace, /^execute_tool /);
    assert.equal(tools.length, 1);
    const tool = tools[0]!;
    assert.equal(tool.parentSpanId, span.spanId);
    assert.equal(tool.attributes['spanlens.tool.submitted'], true);
    assert.ok(tool.attributes['gen_ai.tool.call.arguments']);
    assert.ok(tool.attributes['gen_ai.tool.call.result']);
    const chats = all(r.spans, 'openai.chat.completions.create');
    assert.equal(chats.length, 2);
    for (const ch of chats) assert.notEqual(ch.traceId, span.traceId);
  });

  it('Ruby sessions: runs never seen to finish end at shutdown, marked; API errors are ERROR spans', () => {
    const c = byShortName('spec__fixtures__cassettes__runs_create');
    const r = run.scenarios[c.file]!;
    const runs = all(r.spans, /^invoke_agent /);
    assert.equal(runs.length, 4);
    for (const s of runs) {
      assert.equal(s.attributes['spanlens.run.end_reason'], 'shutdown');
      assert.equal(s.attributes['openai.run.status'], 'queued');
    }
    const errors = all(r.spans, 'openai.threads.runs.create', { 'http.response.status_code': 400 });
    assert.equal(errors.length, 2);
    for (const e of errors) assert.equal(e.status.code, 'ERROR');
    const cancel = run.scenarios[byShortName('spec__fixtures__cassettes__runs_cancel').file]!;
    const cancelled = all(cancel.spans, /^invoke_agent /);
    assert.equal(cancelled.length, 4);
    for (const s of cancelled) {
      assert.equal(s.attributes['spanlens.run.observed_from'], 'cancel');
      assert.ok(s.events.some((e) => e.name === 'openai.run.cancel'));
    }
  });

  it('file search session: the app\'s own step retrieve is a span in the thread trace with the step id', () => {
    const c = byShortName('spec__fixtures__cassettes__assistant_file_search_step_retrieve');
    const r = run.scenarios[c.file]!;
    const spans: SpanJSON[] = all(r.spans, 'openai.threads.runs.steps.retrieve');
    assert.equal(spans.length, 1);
    assert.equal(spans[0]!.attributes['openai.step.id'], 'step_bIADdvGU9EbstnuS58g0N9tt');
    assert.equal(spans[0]!.traceId, threadTraceId('thread_Z8kflIC6P6N5SpnkPW4q7waD'));
  });
});
