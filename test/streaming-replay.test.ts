// Real recorded run streams (test/fixtures/recordings), replayed through the real SDK in every matrix cell,
// with the SSE bytes split at random offsets: the trace is built from the stream alone (no extra
// requests), and the app sees exactly what it sees without the instrumentation (differential check).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { threadTraceId } from '../src/trace/trace-ids';
import { forEachCell, runCell, type CellRun } from './harness/run-cell';
import { listCassettes, loadCassette, type Cassette } from './replay/cassette';
import { startReplayServer, type ReplayServer } from './replay/server';
import { all, assertWellFormed, childrenOf, inTrace, one, sumAttr } from './support/spans';

const SCENARIO = path.resolve(__dirname, 'scenarios/replay.mjs');
const streamed: Cassette[] = listCassettes()
  .map(loadCassette)
  .filter((c) => c.interactions.some((i) => i.response.isSSE));
const servers = new Map<string, ReplayServer>();

/** What the recording's stream says, read independently of the instrumentation. */
function recorded(c: Cassette) {
  const sse = c.interactions.filter((i) => i.response.isSSE).map((i) => i.response.body.toString('utf8'));
  return sse.map((body) => {
    const events = [...body.matchAll(/^event: (.+)$/gm)].map((m) => m[1]!.trim());
    const datas = [...body.matchAll(/^data: (.+)$/gm)].map((m) => m[1]!);
    const last = datas
      .map((d) => {
        try {
          return JSON.parse(d);
        } catch {
          return undefined;
        }
      })
      .filter((d) => d?.object === 'thread.run')
      .at(-1);
    return { deltas: events.filter((e) => e === 'thread.message.delta').length, run: last };
  });
}

before(async () => {
  assert.ok(streamed.length >= 7, `expected the recorded streaming sessions, found ${streamed.length}`);
  for (const c of streamed) servers.set(c.file, await startReplayServer(c, { chunkSplit: 'random', seed: 7 }));
});
after(async () => {
  await Promise.all([...servers.values()].map((s) => s.close()));
});

forEachCell((cell) => {
  let traced: CellRun;
  let baseline: CellRun;
  const scenarios = () => streamed.map((c) => ({ name: c.file, module: SCENARIO, args: { cassette: c.file, baseURL: servers.get(c.file)!.baseURL } }));
  before(async () => {
    for (const s of servers.values()) s.reset();
    baseline = await runCell(cell, { scenarios: scenarios(), instrument: false });
    for (const s of servers.values()) s.reset();
    traced = await runCell(cell, { scenarios: scenarios() });
  });

  it('the app sees the same results and stream events with and without the instrumentation', () => {
    for (const c of streamed) {
      const a = traced.scenarios[c.file]!;
      const b = baseline.scenarios[c.file]!;
      assert.equal(a.error, undefined, `${c.shortName}: ${JSON.stringify(a.error)}`);
      assert.deepEqual(a.result, b.result, `${c.shortName}: app-visible results differ`);
      assert.deepEqual(a.unhandled, []);
      assert.deepEqual(servers.get(c.file)!.mismatches, [], `${c.shortName}: streamed runs need no extra request`);
      assert.equal(b.spans.filter((s) => s.scope === '@spanlens/instrumentation-openai').length, 0, 'baseline is uninstrumented');
    }
  });

  it("openllmetry streams: run span with the stream's usage, chat spans per step summing to it, code and deltas", () => {
    for (const c of streamed.filter((x) => x.shortName.includes('test_streaming'))) {
      const r = traced.scenarios[c.file]!;
      const [rec] = recorded(c);
      const threadId = r.result.threadIds[0] as string;
      const trace = inTrace(r.spans, threadTraceId(threadId));
      assertWellFormed(trace);
      const run = one(trace, 'invoke_agent Math Tutor');
      assert.equal(run.attributes['spanlens.run.status'], 'completed');
      assert.equal(run.attributes['gen_ai.usage.input_tokens'], rec!.run.usage.prompt_tokens);
      assert.equal(run.attributes['gen_ai.usage.output_tokens'], rec!.run.usage.completion_tokens);
      assert.equal(run.attributes['spanlens.run.steps_missing'], undefined);
      assert.deepEqual(
        run.events.map((e) => e.name),
        ['thread.run.queued', 'thread.run.in_progress', 'thread.run.completed'],
      );
      const chats = childrenOf(trace, run).filter((s) => s.name === 'chat gpt-4o-mini');
      assert.equal(chats.length, 2);
      assert.equal(sumAttr(chats, 'gen_ai.usage.input_tokens'), rec!.run.usage.prompt_tokens);
      const code = one(trace, 'execute_tool code_interpreter');
      assert.match(String(code.attributes['spanlens.code.input']), /sympy|solve|=/);
      assert.ok(code.endMs - code.startMs > 0, 'streamed step timed by the client clock');
      const message = one(chats, 'chat gpt-4o-mini', { 'spanlens.step.type': 'message_creation' });
      const deltas = message.events.filter((e) => e.name === 'openai.message.delta');
      assert.equal(deltas.length, rec!.deltas, `${c.shortName}: one event per thread.message.delta`);
      assert.ok(Number(message.attributes['gen_ai.response.time_to_first_chunk']) >= 0);
      const text = JSON.parse(String(message.attributes['gen_ai.output.messages']))[0].parts[0].content as string;
      assert.equal(text, deltas.map((d) => d.attributes['spanlens.message.delta.text']).join(''), 'full text = the deltas');
      assert.ok(text.length > 10);
    }
  });

  it('Ruby stream: an event named thread.run.completed whose data says incomplete ends the run as incomplete', () => {
    const c = streamed.find((x) => x.shortName.includes('runs_streamed_create'))!;
    const r = traced.scenarios[c.file]!;
    const runs = all(r.spans, /^invoke_agent\b/);
    assert.equal(runs.length, 2);
    const byStatus = Object.fromEntries(runs.map((s) => [s.attributes['spanlens.run.status'], s]));
    assert.ok(byStatus.incomplete, 'the v2 stream: status from the data, not the event name');
    assert.equal(byStatus.incomplete.attributes['spanlens.run.incomplete_reason'], 'max_prompt_tokens');
    assert.equal(byStatus.incomplete.attributes['gen_ai.usage.output_tokens'], 16);
    for (const s of runs) assert.equal(childrenOf(r.spans, s).filter((x) => x.name.startsWith('chat ')).length, 1);
    assert.equal(all(r.spans, 'openai.threads.runs.create', { 'http.response.status_code': 400 }).length, 2);
  });
});
