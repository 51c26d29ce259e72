// Streamed runs through the real SDK against the emulator, in every matrix cell: every streaming path
// (helpers, stream: true, submit streams, createAndRun), the AssistantStream helpers, early break,
// abort, AbortSignal, a cut connection, a truncated stream and an error event. Each flow runs twice,
// with and without the instrumentation, against fresh emulators with the same seed: what the app sees
// must be identical (differential), and the trace must tell what happened.
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, it } from 'node:test';
import type { Emulator } from '../src/testing/index';
import { threadTraceId } from '../src/trace/trace-ids';
import { CELLS, cellName, forEachCell, runCell, type CellRun, type ScenarioResult } from './harness/run-cell';
import { all, assertWellFormed, childrenOf, inTrace, one, sumAttr, type SpanJSON } from './support/spans';
import { emulatorPerRun } from './support/emulators';

const MODULE = path.resolve(__dirname, 'scenarios/streaming.mjs');
const weather = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };
const time = { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] } } };
const FLOWS: Record<string, Record<string, unknown>> = {
  stream: { flow: 'stream' },
  createAndStream: { flow: 'createAndStream' },
  'create-stream-true': { flow: 'create-stream-true' },
  'function-helpers': { flow: 'stream', script: 'function', tools: [weather] },
  'function-stream-true': { flow: 'create-stream-true', script: 'function', tools: [weather] },
  'parallel-helpers': { flow: 'stream', script: 'parallel_functions', tools: [weather, time] },
  code: { flow: 'stream', script: 'code', tools: [{ type: 'code_interpreter' }] },
  failed: { flow: 'create-stream-true', script: 'failed' },
  incomplete: { flow: 'create-stream-true', script: 'incomplete' },
  cancelled: { flow: 'create-stream-true', script: 'cancel', cancelOn: 'thread.run.in_progress' },
  createAndRunStream: { flow: 'createAndRunStream' },
  'createAndRun-stream-true': { flow: 'createAndRun-stream-true', script: 'function', tools: [weather] },
  withResponse: { flow: 'withResponse' },
  // the raw body, read by the app: the one path where the instrumentation decodes the bytes itself
  asResponse: { flow: 'asResponse' },
  'asResponse-long': { flow: 'asResponse', script: 'long_answer' },
  'asResponse-truncate': { flow: 'asResponse', fault: 'truncate:7' },
  // only the body's reader held, with collections between reads: still read, so not abandoned
  'body-reader': { flow: 'body-reader' },
  toReadableStream: { flow: 'toReadableStream' },
  tee: { flow: 'tee' },
  break: { flow: 'create-stream-true', breakAfter: 6 },
  abort: { flow: 'stream', abortAfter: 2 },
  signal: { flow: 'signal', abortAfter: 6 },
  cut: { flow: 'create-stream-true', fault: 'cut-after:7' },
  // cut while the code interpreter's input is still streaming in as step deltas
  'code-cut': { flow: 'create-stream-true', script: 'code', tools: [{ type: 'code_interpreter' }], fault: 'cut-after:12' },
  truncate: { flow: 'create-stream-true', fault: 'truncate:7' },
  'error-event': { flow: 'create-stream-true', fault: 'error-event:4' },
  // ~400 message deltas: more than a span keeps events; cut among them, the message never completes
  long: { flow: 'create-stream-true', script: 'long_answer' },
  'long-cut': { flow: 'create-stream-true', script: 'long_answer', fault: 'cut-after:300' },
};
const scenarios = Object.entries(FLOWS).map(([name, args]) => ({ name, module: MODULE, args }));
// split: SSE bytes cut at seeded offsets (inside lines and UTF-8 characters) across network writes
const fresh = emulatorPerRun({ seed: 11, eventDelayMs: 1, chunking: 'split' });

/** The text of each message delta the app saw, in order. */
const appDeltaTexts = (r: ScenarioResult) =>
  (r.result.log as Array<{ event?: string; delta?: { content?: Array<{ text?: { value?: string } }> } }>)
    .filter((e) => e.event === 'thread.message.delta')
    .map((e) => (e.delta?.content ?? []).map((p) => p.text?.value ?? '').join(''));
const appEvents = (r: ScenarioResult, name: string) => (r.result.log as Array<{ event?: string }>).filter((e) => e.event === name).length;

function runOf(r: ScenarioResult): { trace: SpanJSON[]; run: SpanJSON } {
  const trace = inTrace(r.spans, threadTraceId(r.result.threadId));
  assertWellFormed(trace);
  return { trace, run: one(trace, 'invoke_agent Stream agent') };
}

forEachCell((cell) => {
  let traced: CellRun;
  let baseline: CellRun;
  let emulator: Emulator;
  before(async () => {
    baseline = await runCell(cell, { scenarios, baseURL: (await fresh()).baseURL, instrument: false });
    emulator = await fresh();
    traced = await runCell(cell, { scenarios, baseURL: emulator.baseURL });
  });

  it('differential: every flow gives the app the same results, events and errors with and without the instrumentation', () => {
    for (const name of Object.keys(FLOWS)) {
      const a = traced.scenarios[name]!;
      const b = baseline.scenarios[name]!;
      assert.equal(a.error, undefined, `${name}: ${JSON.stringify(a.error)}`);
      assert.deepEqual(a.result, b.result, `${name}: the app saw something else with the instrumentation`);
      assert.deepEqual(a.unhandled, b.unhandled, name);
      assert.deepEqual(
        a.diag.filter((d) => d.level === 'ERROR'),
        [],
        name,
      );
    }
    const steps = emulator.requests.filter((q) => q.method === 'GET' && /\/runs\/[^/]+\/steps$/.test(q.path));
    assert.deepEqual(steps, [], 'streamed runs make no extra requests');
  });

  it('completed streams: one run span with usage, chat spans summing to it, one delta event per thread.message.delta', () => {
    for (const name of ['stream', 'createAndStream', 'create-stream-true', 'withResponse', 'toReadableStream', 'tee', 'asResponse', 'body-reader']) {
      const r = traced.scenarios[name]!;
      const { trace, run } = runOf(r);
      assert.equal(run.attributes['spanlens.run.status'], 'completed', name);
      assert.ok(Number(run.attributes['gen_ai.usage.input_tokens']) > 0, name);
      const chats = childrenOf(trace, run).filter((s) => s.name === 'chat gpt-4o-mini');
      assert.equal(sumAttr(chats, 'gen_ai.usage.output_tokens'), run.attributes['gen_ai.usage.output_tokens'], name);
      const message = one(chats, 'chat gpt-4o-mini', { 'spanlens.step.type': 'message_creation' });
      const deltas = message.events.filter((e) => e.name === 'openai.message.delta');
      if (name !== 'tee') assert.equal(deltas.length, appEvents(r, 'thread.message.delta'), `${name}: delta events`);
      else assert.ok(deltas.length > 0);
      assert.ok(Number(message.attributes['gen_ai.response.time_to_first_chunk']) >= 0);
      assert.ok(
        deltas.every((d, i) => i === 0 || d.timeMs >= deltas[i - 1]!.timeMs),
        'deltas in order',
      );
      assert.ok(message.startMs <= deltas[0]!.timeMs && deltas.at(-1)!.timeMs <= message.endMs, 'deltas inside the chat span');
      assert.equal(run.attributes['spanlens.run.steps_missing'], undefined);
      assert.ok(run.events.some((e) => e.name === 'thread.run.completed'));
    }
  });

  it('function calls in streams: one run span across the submit stream, tool span from requires_action to submit', () => {
    for (const [name, calls] of [
      ['function-helpers', 1],
      ['function-stream-true', 1],
      ['parallel-helpers', 2],
      ['createAndRun-stream-true', 1],
    ] as const) {
      const r = traced.scenarios[name]!;
      const { trace, run } = runOf(r);
      assert.equal(all(trace, /^invoke_agent\b/).length, 1, name);
      assert.equal(run.attributes['spanlens.run.status'], 'completed', name);
      const tools = all(trace, /^execute_tool get_/);
      assert.equal(tools.length, calls, name);
      const requires = run.events.find((e) => e.name === 'thread.run.requires_action');
      assert.ok(requires, `${name}: requires_action event`);
      for (const t of tools) {
        assert.equal(t.parentSpanId, run.spanId);
        assert.equal(t.attributes['spanlens.tool.submitted'], true);
        assert.match(String(t.attributes['gen_ai.tool.call.result']), /"temp": 21/);
        assert.ok(JSON.parse(String(t.attributes['gen_ai.tool.call.arguments'])), 'arguments assembled from deltas');
        assert.ok(Math.abs(t.startMs - requires.timeMs) < 1);
      }
      assert.deepEqual(
        childrenOf(trace, run)
          .filter((s) => s.name.startsWith('chat '))
          .map((c) => c.attributes['spanlens.step.type'])
          .sort(),
        ['message_creation', 'tool_calls'],
      );
    }
  });

  it('code interpreter stream: code input assembled from step deltas, outputs and image ids', () => {
    const { trace } = runOf(traced.scenarios.code!);
    const code = one(trace, 'execute_tool code_interpreter');
    assert.ok(String(code.attributes['spanlens.code.input']).length > 10);
    assert.ok(String(code.attributes['spanlens.code.output']).length > 0);
    assert.ok((code.attributes['spanlens.code.image_file_ids'] as string[]).length > 0);
  });

  it('failed, cancelled and incomplete streams end the run with the status in the data', () => {
    const failed = runOf(traced.scenarios.failed!).run;
    assert.equal(failed.attributes['spanlens.run.status'], 'failed');
    assert.equal(failed.status.code, 'ERROR');
    const cancelled = runOf(traced.scenarios.cancelled!).run;
    assert.equal(cancelled.attributes['spanlens.run.status'], 'cancelled');
    assert.notEqual(cancelled.status.code, 'ERROR');
    assert.ok(cancelled.events.some((e) => e.name === 'thread.run.cancelled'));
    const incomplete = runOf(traced.scenarios.incomplete!).run;
    assert.equal(incomplete.attributes['spanlens.run.status'], 'incomplete');
    assert.ok(incomplete.attributes['spanlens.run.incomplete_reason']);
  });

  it('createAndRun streams: the create_and_run call and the run are roots of the thread trace', () => {
    for (const name of ['createAndRunStream', 'createAndRun-stream-true']) {
      const r = traced.scenarios[name]!;
      const { trace, run } = runOf(r);
      const root = one(trace, 'openai.threads.create_and_run');
      assert.equal(root.parentSpanId, undefined);
      assert.equal(run.parentSpanId, undefined);
      assert.ok(root.startMs <= run.startMs + 0.001);
    }
  });

  it('the app stopping early (break, abort(), AbortSignal) ends the run span, marked, not as an error', () => {
    for (const name of ['break', 'abort', 'signal']) {
      const r = traced.scenarios[name]!;
      const { trace, run } = runOf(r);
      assert.equal(run.attributes['spanlens.run.end_reason'], 'stream_aborted', name);
      assert.notEqual(run.status.code, 'ERROR', name);
      assert.notEqual(run.attributes['spanlens.run.status'], 'completed', name);
      for (const s of childrenOf(trace, run)) assert.ok(s.endMs <= run.endMs + 0.001, `${name}: ${s.name} ends inside the run`);
    }
  });

  it('a stream cut mid-step: the tool span still gets the code input the app saw in the step deltas', () => {
    const r = traced.scenarios['code-cut']!;
    const { trace, run } = runOf(r);
    assert.equal(run.attributes['spanlens.run.end_reason'], 'stream_error');
    const deltas = (r.result.log as Array<{ event?: string; delta?: { step_details?: { tool_calls?: Array<{ code_interpreter?: { input?: string } }> } } }>).filter(
      (e) => e.event === 'thread.run.step.delta',
    );
    assert.ok(deltas.length >= 2, `the cut falls among the step deltas (${deltas.length} seen)`);
    const seen = deltas.map((d) => d.delta?.step_details?.tool_calls?.[0]?.code_interpreter?.input ?? '').join('');
    assert.ok(seen.length > 0);
    const code = one(trace, 'execute_tool code_interpreter');
    assert.equal(code.parentSpanId, run.spanId);
    assert.equal(code.attributes['spanlens.code.input'], seen);
  });

  it('a long answer: the first 128 deltas are span events (the SDK keeps no more), all are counted, the text is whole', () => {
    for (const name of ['long', 'asResponse-long']) {
      const r = traced.scenarios[name]!;
      const { trace, run } = runOf(r);
      assert.equal(run.attributes['spanlens.run.status'], 'completed', name);
      const texts = appDeltaTexts(r);
      assert.ok(texts.length > 300, `${name}: a long stream (${texts.length} deltas)`);
      const message = one(trace, 'chat gpt-4o-mini', { 'spanlens.step.type': 'message_creation' });
      assert.equal(message.attributes['spanlens.message.delta.count'], texts.length);
      const events = message.events.filter((e) => e.name === 'openai.message.delta');
      assert.equal(events.length, 128);
      assert.deepEqual(
        events.map((e) => e.attributes['spanlens.message.delta.text']),
        texts.slice(0, 128),
      );
      assert.deepEqual(
        events.map((e) => e.attributes['spanlens.message.delta.size']),
        texts.slice(0, 128).map((t) => t.length),
      );
      const output = JSON.parse(String(message.attributes['gen_ai.output.messages']));
      assert.equal(output[0].parts[0].content, texts.join(''));
    }
  });

  it('a long answer cut mid-message: the chat span keeps the text of every delta the app saw', () => {
    const r = traced.scenarios['long-cut']!;
    const { trace, run } = runOf(r);
    assert.equal(run.attributes['spanlens.run.end_reason'], 'stream_error');
    const texts = appDeltaTexts(r);
    assert.ok(texts.length > 128, `the cut falls past the recorded deltas (${texts.length} seen)`);
    assert.ok(!(r.result.log as Array<{ event?: string }>).some((e) => e.event === 'thread.message.completed'), 'the message never completed');
    const message = one(trace, 'chat gpt-4o-mini', { 'spanlens.step.type': 'message_creation' });
    assert.equal(message.attributes['spanlens.message.delta.count'], texts.length);
    const output = JSON.parse(String(message.attributes['gen_ai.output.messages']));
    assert.equal(output[0].parts[0].content, texts.join(''));
  });

  it('a cut connection, a truncated stream and an error event end the run truthfully', () => {
    const cut = runOf(traced.scenarios.cut!).run;
    assert.equal(cut.attributes['spanlens.run.end_reason'], 'stream_error');
    assert.equal(cut.status.code, 'ERROR');
    assert.notEqual(cut.attributes['error.type'], 'TypeError', "the socket error, not fetch's generic TypeError");
    for (const name of ['truncate', 'asResponse-truncate']) {
      const truncated = runOf(traced.scenarios[name]!).run;
      assert.equal(truncated.attributes['spanlens.run.end_reason'], 'stream_truncated', name);
    }
    const errored = runOf(traced.scenarios['error-event']!).run;
    assert.equal(errored.attributes['spanlens.run.end_reason'], 'stream_error');
    assert.equal(errored.status.code, 'ERROR');
    assert.equal(errored.attributes['error.type'], 'server_error');
    const appError = (traced.scenarios['error-event']!.result.log as Array<{ error?: string }>).find((e) => e.error);
    assert.ok(appError, 'the app got the error');
  });
});

forEachCell(
  (cell) => {
    it('messageDeltaSpans: each delta is a child span of the chat span, in order, inside it', async () => {
      const emulator = await fresh();
      const run = await runCell(cell, { scenarios: [{ name: 's', module: MODULE, args: { flow: 'stream' } }], baseURL: emulator.baseURL, instrumentationConfig: { messageDeltaSpans: true } });
      const r = run.scenarios.s!;
      const { trace } = runOf(r);
      const chat = one(trace, 'chat gpt-4o-mini', { 'spanlens.step.type': 'message_creation' });
      const deltas = childrenOf(trace, chat);
      assert.equal(deltas.length, appEvents(r, 'thread.message.delta'));
      assert.ok(deltas.every((d) => d.name === 'message_delta' && d.attributes['spanlens.kind'] === 'llm_delta'));
      assert.equal(chat.events.filter((e) => e.name === 'openai.message.delta').length, 0);
      assert.equal(deltas.map((d) => d.attributes['spanlens.message.delta.text']).join(''), JSON.parse(String(chat.attributes['gen_ai.output.messages']))[0].parts[0].content);
    });
  },
  CELLS.filter((c) => ['node20 openai4 otel2 cjs', 'node22 openai7 otel3 esm'].includes(cellName(c))),
);
