// The core trace model, through the real openai SDK over HTTP against the Assistants emulator, in every
// matrix cell (openai 4–7 × CJS/ESM × OTel 2.x/3.x): one trace per thread, one span per run (polls as
// events), step spans beneath, ids and attributes on all of them.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { startEmulator, type Emulator } from '../src/testing/index';
import { threadTraceId } from '../src/trace/trace-ids';
import { forEachCell, runCell, type CellRun, type ScenarioResult } from './harness/run-cell';
import { all, assertWellFormed, childrenOf, inTrace, one, sumAttr, type SpanJSON } from './support/spans';

const S = (name: string) => path.resolve(__dirname, 'scenarios', name);
const weather = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };
const time = { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] } } };

const SCENARIOS = [
  { name: 'answer', module: S('assistants-polled.mjs'), args: { script: 'answer' } },
  { name: 'function', module: S('assistants-polled.mjs'), args: { script: 'function', tools: [weather] } },
  { name: 'parallel', module: S('assistants-polled.mjs'), args: { script: 'parallel_functions', tools: [weather, time] } },
  { name: 'failed', module: S('assistants-polled.mjs'), args: { script: 'failed' } },
  { name: 'expired', module: S('assistants-polled.mjs'), args: { script: 'expired', tools: [weather], neverSubmit: true } },
  { name: 'incomplete', module: S('assistants-polled.mjs'), args: { script: 'incomplete' } },
  { name: 'file_search', module: S('assistants-polled.mjs'), args: { script: 'file_search', tools: [{ type: 'file_search' }], vectorStore: true } },
  { name: 'code', module: S('assistants-helpers.mjs'), args: { flow: 'createAndPoll', script: 'code', tools: [{ type: 'code_interpreter' }] } },
  { name: 'helpers-function', module: S('assistants-helpers.mjs'), args: { flow: 'createAndPoll', script: 'function', tools: [weather] } },
  { name: 'createAndRunPoll', module: S('assistants-helpers.mjs'), args: { flow: 'createAndRunPoll' } },
  { name: 'cancel', module: S('assistants-helpers.mjs'), args: { flow: 'cancel' } },
  { name: 'many', module: S('assistants-many.mjs'), args: { threads: 4, runsPerThread: 2 } },
  { name: 'errors', module: S('assistants-errors.mjs'), args: {} },
  { name: 'lists', module: S('assistants-lists.mjs'), args: {} },
];

let emulator: Emulator;
before(async () => {
  emulator = await startEmulator();
});
after(async () => {
  await emulator?.close();
});

function ok(run: CellRun, name: string): ScenarioResult {
  const r = run.scenarios[name];
  assert.ok(r, `scenario ${name} missing`);
  assert.equal(r.error, undefined, `scenario ${name} threw: ${JSON.stringify(r.error)}`);
  assert.deepEqual(r.unhandled, [], `unhandled rejections in ${name}`);
  assert.deepEqual(
    r.diag.filter((d) => d.level === 'ERROR'),
    [],
    `diag errors in ${name}`,
  );
  return r;
}

/** The thread's trace: top-level spans are roots (the create call first), every span carries the thread. */
function threadTrace(spans: SpanJSON[], threadId: string, rootName = 'openai.threads.create'): { trace: SpanJSON[]; root: SpanJSON } {
  const trace = inTrace(spans, threadTraceId(threadId));
  assert.ok(trace.length > 0, `no spans in the trace of ${threadId}`);
  const root = one(trace, rootName);
  assert.equal(root.parentSpanId, undefined);
  assert.equal(root.attributes['spanlens.thread.created'], true);
  for (const s of trace) {
    assert.equal(s.attributes['openai.thread.id'], threadId, `${s.name} lacks openai.thread.id`);
    assert.equal(s.attributes['gen_ai.conversation.id'], threadId);
    assert.equal(s.attributes['gen_ai.provider.name'], 'openai');
    assert.equal(s.attributes['server.address'], '127.0.0.1');
    assert.equal(s.attributes['server.port'], emulator.port);
    if (s.parentSpanId)
      assert.ok(
        trace.some((p) => p.spanId === s.parentSpanId),
        `${s.name}: its parent is not in the trace`,
      );
  }
  assertWellFormed(trace);
  return { trace, root };
}

function runSpan(trace: SpanJSON[], runId: string): SpanJSON {
  const run = one(trace, /^invoke_agent\b/, { 'openai.run.id': runId });
  assert.equal(run.kind, 'CLIENT');
  assert.equal(run.attributes['spanlens.kind'], 'agent_step');
  assert.equal(run.attributes['gen_ai.operation.name'], 'invoke_agent');
  return run;
}

function assertUsage(span: SpanJSON, usage: { prompt_tokens: number; completion_tokens: number }): void {
  assert.equal(span.attributes['gen_ai.usage.input_tokens'], usage.prompt_tokens);
  assert.equal(span.attributes['gen_ai.usage.output_tokens'], usage.completion_tokens);
}

/** Every model call is a chat span; their usage adds up to the run's. */
function assertChatUsageSums(trace: SpanJSON[], run: SpanJSON): SpanJSON[] {
  const chats = childrenOf(trace, run).filter((s) => s.name.startsWith('chat '));
  assert.ok(chats.length > 0, 'run has no chat spans');
  assert.equal(sumAttr(chats, 'gen_ai.usage.input_tokens'), run.attributes['gen_ai.usage.input_tokens']);
  assert.equal(sumAttr(chats, 'gen_ai.usage.output_tokens'), run.attributes['gen_ai.usage.output_tokens']);
  return chats;
}

forEachCell((cell) => {
  let run: CellRun;
  before(async () => {
    run = await runCell(cell, { scenarios: SCENARIOS, baseURL: emulator.baseURL });
  });

  it('plain answer: thread trace, run span with polls, chat step span with content', () => {
    const r = ok(run, 'answer');
    assert.equal(r.result.status, 'completed');
    const { trace, root } = threadTrace(r.spans, r.result.threadId);
    const agent = one(r.spans, 'create_agent Support agent');
    assert.notEqual(agent.traceId, root.traceId, 'create_agent is not a thread call');
    assert.equal(agent.attributes['gen_ai.agent.id'], r.result.assistantId);
    const msg = one(trace, 'openai.threads.messages.create');
    assert.equal(msg.parentSpanId, undefined, 'a top-level thread span is a root of the thread trace');
    assert.equal(msg.attributes['openai.message.id'], r.result.userMessageId);
    const span = runSpan(trace, r.result.runId);
    assert.equal(span.name, 'invoke_agent Support agent');
    assert.equal(span.parentSpanId, undefined);
    assert.equal(span.attributes['gen_ai.agent.id'], r.result.assistantId);
    assert.equal(span.attributes['gen_ai.agent.name'], 'Support agent');
    assert.equal(span.attributes['gen_ai.request.model'], 'gpt-4o-mini');
    assert.equal(span.attributes['spanlens.run.status'], 'completed');
    assert.equal(span.status.code, 'UNSET');
    assertUsage(span, r.result.usage);
    const polls = span.events.filter((e) => e.name === 'openai.run.poll');
    assert.equal(polls.length, r.result.statuses.length - 1, 'one poll event per retrieve');
    assert.deepEqual(
      polls.map((e) => e.attributes['spanlens.run.status']),
      r.result.statuses.slice(1),
    );
    assert.equal(all(trace, 'openai.threads.runs.retrieve').length, 0, 'polls are events, not spans');
    // The app's span: thread-call spans link to it; non-thread calls (create_agent) are its children.
    const app = one(r.spans, 'handle support request');
    assert.equal(agent.parentSpanId, app.spanId);
    for (const s of [root, msg, span]) {
      assert.deepEqual(
        s.links.map((l) => [l.traceId, l.spanId]),
        [[r.result.ambient.traceId, r.result.ambient.spanId]],
        `${s.name} links to the app span`,
      );
    }
    // The instrumentation's own requests: one steps list (with the file-search include) for the run.
    const own = emulator.requests.filter((q) => q.path.endsWith(`/runs/${r.result.runId}/steps`));
    assert.equal(own.length, 1);
    assert.equal(own[0]!.query.limit, '100');
    assert.match(JSON.stringify(own[0]!.query), /file_search\.results/);
    assert.ok(emulator.requests.filter((q) => q.query.run_id === r.result.runId).length <= 1, 'at most one messages request');
    const [chat] = assertChatUsageSums(trace, span);
    assert.ok(chat);
    assert.equal(chat.name, 'chat gpt-4o-mini');
    assert.equal(chat.attributes['spanlens.kind'], 'llm');
    assert.equal(chat.attributes['spanlens.step.type'], 'message_creation');
    assert.match(String(chat.attributes['openai.step.id']), /^step_/);
    const assistantMsg = r.result.messages.find((m: { role: string }) => m.role === 'assistant');
    assert.equal(chat.attributes['openai.message.id'], assistantMsg.id);
    const input = JSON.parse(String(chat.attributes['gen_ai.input.messages']));
    assert.equal(input.at(-1).role, 'user');
    assert.match(input.at(-1).parts[0].content, /reset my password/);
    const output = JSON.parse(String(chat.attributes['gen_ai.output.messages']));
    assert.equal(output[0].role, 'assistant');
    assert.ok(output[0].parts[0].content.length > 0, 'assistant text captured');
    assert.match(String(chat.attributes['gen_ai.system_instructions']), /helpful support agent/);
  });

  it('function call: execute_tool span from requires_action to submit, with arguments and result', () => {
    const r = ok(run, 'function');
    const { trace } = threadTrace(r.spans, r.result.threadId);
    const span = runSpan(trace, r.result.runId);
    assert.equal(span.attributes['spanlens.run.status'], 'completed');
    const tool = one(trace, 'execute_tool get_weather');
    assert.equal(tool.parentSpanId, span.spanId);
    assert.equal(tool.attributes['spanlens.kind'], 'tool');
    assert.equal(tool.attributes['spanlens.subtype'], 'function');
    assert.equal(tool.attributes['gen_ai.tool.type'], 'function');
    assert.equal(tool.attributes['gen_ai.tool.call.id'], r.result.outputs[0].tool_call_id);
    assert.equal(tool.attributes['gen_ai.tool.call.result'], r.result.outputs[0].output);
    assert.ok(JSON.parse(String(tool.attributes['gen_ai.tool.call.arguments'])).city, 'arguments captured');
    const requires = span.events.find((e) => e.name === 'openai.run.requires_action');
    const submit = span.events.find((e) => e.name === 'openai.run.submit_tool_outputs');
    assert.ok(requires && submit);
    assert.ok(Math.abs(tool.startMs - requires.timeMs) < 1, 'tool starts when requires_action is seen');
    assert.ok(Math.abs(tool.endMs - submit.timeMs) < 1, 'tool ends when outputs are submitted');
    const chats = assertChatUsageSums(trace, span);
    assert.deepEqual(chats.map((c) => c.attributes['spanlens.step.type']).sort(), ['message_creation', 'tool_calls']);
  });

  it('parallel function calls are sibling execute_tool spans', () => {
    const r = ok(run, 'parallel');
    const { trace } = threadTrace(r.spans, r.result.threadId);
    const span = runSpan(trace, r.result.runId);
    const tools = all(trace, /^execute_tool /);
    assert.equal(tools.length, 2);
    for (const t of tools) assert.equal(t.parentSpanId, span.spanId);
    assert.deepEqual(tools.map((t) => t.attributes['gen_ai.tool.call.id']).sort(), r.result.outputs.map((o: { tool_call_id: string }) => o.tool_call_id).sort());
    assert.equal(tools[0]?.attributes['openai.step.id'], tools[1]?.attributes['openai.step.id'], 'one step, two calls');
  });

  it('failed and expired runs end with ERROR and error.type; incomplete records its reason', () => {
    for (const [name, status] of [
      ['failed', 'failed'],
      ['expired', 'expired'],
    ] as const) {
      const r = ok(run, name);
      assert.equal(r.result.status, status);
      const span = runSpan(threadTrace(r.spans, r.result.threadId).trace, r.result.runId);
      assert.equal(span.attributes['spanlens.run.status'], status);
      assert.equal(span.status.code, 'ERROR');
      assert.ok(span.attributes['error.type'], `${name} has error.type`);
    }
    const r = ok(run, 'incomplete');
    const span = runSpan(threadTrace(r.spans, r.result.threadId).trace, r.result.runId);
    assert.equal(span.attributes['spanlens.run.status'], 'incomplete');
    assert.ok(span.attributes['spanlens.run.incomplete_reason']);
    assertUsage(span, r.result.usage);
  });

  it('expired run: the unanswered function call still gets a span, marked not submitted', () => {
    const r = ok(run, 'expired');
    const tool = one(threadTrace(r.spans, r.result.threadId).trace, 'execute_tool get_weather');
    assert.equal(tool.attributes['spanlens.tool.submitted'], false);
    assert.equal(tool.attributes['gen_ai.tool.call.result'], undefined);
  });

  it('file search: retrieval span with result count', () => {
    const r = ok(run, 'file_search');
    const { trace } = threadTrace(r.spans, r.result.threadId);
    const fs = one(trace, 'execute_tool file_search');
    assert.equal(fs.attributes['spanlens.subtype'], 'retrieval');
    assert.ok(Number(fs.attributes['spanlens.retrieval.result_count']) > 0);
    assert.deepEqual(fs.attributes['spanlens.retrieval.vector_store_ids'], [r.result.vectorStoreId]);
    assert.equal(fs.attributes['gen_ai.data_source.id'], r.result.vectorStoreId);
    assert.ok(
      JSON.parse(String(fs.attributes['spanlens.retrieval.results'])).some((x: { content?: unknown }) => x.content),
      'result content (include[]) captured',
    );
    const vs = one(r.spans, 'openai.vector_stores.create');
    assert.notEqual(vs.traceId, fs.traceId, 'vector store calls are not thread calls');
  });

  it('code interpreter via createAndPoll: code input, stdout and image ids', () => {
    const r = ok(run, 'code');
    assert.equal(r.result.status, 'completed');
    const { trace } = threadTrace(r.spans, r.result.threadId);
    const span = runSpan(trace, r.result.runId);
    assert.equal(span.name, 'invoke_agent Helper agent');
    assertUsage(span, r.result.usage);
    const code = one(trace, 'execute_tool code_interpreter');
    assert.equal(code.parentSpanId, span.spanId);
    assert.equal(code.attributes['spanlens.subtype'], 'code');
    assert.ok(String(code.attributes['spanlens.code.input']).length > 0);
    assert.ok(String(code.attributes['spanlens.code.output']).length > 0);
    assert.ok((code.attributes['spanlens.code.image_file_ids'] as string[]).length > 0);
    assertChatUsageSums(trace, span);
  });

  it('submitToolOutputsAndPoll keeps one run span through requires_action', () => {
    const r = ok(run, 'helpers-function');
    assert.equal(r.result.status, 'completed');
    const { trace } = threadTrace(r.spans, r.result.threadId);
    const span = runSpan(trace, r.result.runId);
    assert.equal(all(trace, /^invoke_agent\b/).length, 1);
    assert.equal(all(trace, /^execute_tool /).length, r.result.rounds.flat().length);
    assertUsage(span, r.result.usage);
  });

  it('createAndRunPoll: the create_and_run call and its run are roots of the thread trace', () => {
    const r = ok(run, 'createAndRunPoll');
    const { trace, root } = threadTrace(r.spans, r.result.threadId, 'openai.threads.create_and_run');
    const span = runSpan(trace, r.result.runId);
    assert.equal(span.parentSpanId, undefined);
    assert.ok(root.startMs <= span.startMs);
    const chat = childrenOf(trace, span).find((s) => s.name.startsWith('chat '));
    assert.ok(chat);
    assert.match(String(chat.attributes['gen_ai.input.messages']), /refund policy/);
  });

  it('cancel: cancelled run span with a cancel event', () => {
    const r = ok(run, 'cancel');
    assert.equal(r.result.status, 'cancelled');
    const span = runSpan(threadTrace(r.spans, r.result.threadId).trace, r.result.runId);
    assert.equal(span.attributes['spanlens.run.status'], 'cancelled');
    assert.ok(span.events.some((e) => e.name === 'openai.run.cancel'));
    assert.notEqual(span.status.code, 'ERROR');
  });

  it('many threads at once, several runs each: one trace per thread, no cross-talk', () => {
    const r = ok(run, 'many');
    const traceIds = new Set<string>();
    for (const t of r.result.threads) {
      const { trace } = threadTrace(r.spans, t.threadId);
      traceIds.add(trace[0]!.traceId);
      const runs = all(trace, /^invoke_agent\b/);
      assert.deepEqual(runs.map((s) => s.attributes['openai.run.id']).sort(), t.runs.map((x: { id: string }) => x.id).sort());
      for (const x of t.runs) assertUsage(runSpan(trace, x.id), x.usage);
    }
    assert.equal(traceIds.size, r.result.threads.length);
  });

  it('an app that lists messages after its runs: no messages request of ours after the first run, answers still on the chat spans', () => {
    const r = ok(run, 'lists');
    const ours = (runId: string) => emulator.requests.filter((q) => q.query.run_id === runId && q.path.endsWith('/messages')).length;
    const [first, ...later] = r.result.runs as Array<{ id: string; answer: string }>;
    assert.ok(ours(first!.id) <= 1);
    for (const x of later) {
      assert.equal(ours(x.id), 0, 'the instrumentation waited for the app’s own list');
      const chat = one(r.spans, 'chat gpt-4o-mini', { 'openai.run.id': x.id });
      assert.equal(JSON.parse(String(chat.attributes['gen_ai.output.messages']))[0].parts[0].content, x.answer, 'the answer text on the chat span');
      assert.equal(emulator.requests.filter((q) => q.path.endsWith(`/runs/${x.id}/steps`)).length, 1, 'one extra request per polled run: the steps list');
    }
  });

  it('errors reach the app unchanged and are recorded on spans; withResponse/asResponse work', () => {
    const r = ok(run, 'errors');
    const [missing, noAssistant] = r.result.seen;
    assert.equal(missing.name, 'NotFoundError');
    assert.equal(missing.status, 404);
    assert.equal(noAssistant.name, 'BadRequestError');
    assert.equal(noAssistant.status, 400);
    const notFound = one(r.spans, 'openai.threads.retrieve', { 'http.response.status_code': 404 });
    assert.equal(notFound.status.code, 'ERROR');
    assert.equal(notFound.attributes['error.type'], 'NotFoundError');
    assert.equal(notFound.traceId, threadTraceId('thread_Missing0000000000000001'));
    const badRun = one(r.spans, 'openai.threads.runs.create', { 'http.response.status_code': 400 });
    assert.equal(badRun.status.code, 'ERROR');
    assert.equal(r.result.withResponse.status, 200);
    assert.equal(r.result.withResponse.id, r.result.threadId);
    assert.equal(r.result.asResponse.id, r.result.threadId);
    assert.equal(r.result.clientIsOpenAI, true);
  });

  it('no secret reaches a span', () => {
    const dump = JSON.stringify(Object.values(run.scenarios).map((s) => s.spans));
    assert.ok(!dump.includes('SECRET-0123456789'), 'API key found in spans');
    assert.ok(!/authorization/i.test(dump), 'Authorization header found in spans');
  });
});
