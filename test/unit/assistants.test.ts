// Assistants runs polled by the app, in process: one trace per thread (threadTraceId), one span per run
// (polls as events), step spans beneath it: message creation, function calls, code interpreter, file search.
import assert from 'node:assert/strict';
import { after, before, beforeEach, it } from 'node:test';
import type { Run } from 'openai/resources/beta/threads/runs/runs';
import { threadTraceId } from '../../src/index';
import { all, assertWellFormed, childrenOf, inTrace, one, sumAttr } from '../support/spans';
import { startTracing, type SpanJSON, type Tracing } from './support/tracing';

const weather = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };
const time = { type: 'function' as const, function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] } } };
const TERMINAL = ['completed', 'failed', 'cancelled', 'expired', 'incomplete'];

let t: Tracing;
before(async () => {
  t = await startTracing();
});
after(() => t.close());
beforeEach(() => t.reset());

type Tool = typeof weather | typeof time | { type: 'code_interpreter' } | { type: 'file_search' };
interface Turn {
  assistantId: string;
  threadId: string;
  userMessageId: string;
  run: Run;
  statuses: string[];
  outputs: { tool_call_id: string; output: string }[];
}

/** The app's own loop: create a run, retrieve until it ends, answering function calls (unless told not to). */
async function polledTurn(script: string, tools: Tool[] = [], opts: { neverSubmit?: boolean; vectorStoreId?: string } = {}): Promise<Turn> {
  const api = t.client.beta;
  const assistant = await api.assistants.create({
    name: 'Support agent',
    model: 'gpt-4o-mini',
    instructions: 'You are a helpful support agent.',
    tools,
    metadata: { script },
    ...(opts.vectorStoreId ? { tool_resources: { file_search: { vector_store_ids: [opts.vectorStoreId] } } } : {}),
  });
  const thread = await api.threads.create();
  const message = await api.threads.messages.create(thread.id, { role: 'user', content: 'How do I reset my password?' });
  let run = await api.threads.runs.create(thread.id, { assistant_id: assistant.id });
  const statuses: string[] = [run.status];
  const outputs: Turn['outputs'] = [];
  while (!TERMINAL.includes(run.status)) {
    if (run.status === 'requires_action' && !opts.neverSubmit) {
      const calls = run.required_action!.submit_tool_outputs.tool_calls;
      const tool_outputs = calls.map((c, i) => ({ tool_call_id: c.id, output: `result ${i} for ${c.function.name}` }));
      outputs.push(...tool_outputs);
      run = await api.threads.runs.submitToolOutputs(run.id, { thread_id: thread.id, tool_outputs });
    } else {
      run = await api.threads.runs.retrieve(run.id, { thread_id: thread.id });
    }
    statuses.push(run.status);
    assert.ok(statuses.length < 100, 'run did not finish');
  }
  return { assistantId: assistant.id, threadId: thread.id, userMessageId: message.id, run, statuses, outputs };
}

/** The thread's trace: every span carries the thread, parents are in the trace, the create call is a root. */
function threadTrace(spans: SpanJSON[], threadId: string, rootName = 'openai.threads.create'): SpanJSON[] {
  const trace = inTrace(spans, threadTraceId(threadId));
  assert.ok(trace.length > 0, `no spans in the trace of ${threadId}`);
  const root = one(trace, rootName);
  assert.equal(root.parentSpanId, undefined);
  assert.equal(root.attributes['spanlens.thread.created'], true);
  for (const s of trace) {
    assert.equal(s.attributes['openai.thread.id'], threadId, `${s.name} lacks openai.thread.id`);
    assert.equal(s.attributes['gen_ai.conversation.id'], threadId);
    assert.equal(s.attributes['gen_ai.provider.name'], 'openai');
    assert.equal(s.attributes['server.port'], t.emulator.port);
    if (s.parentSpanId)
      assert.ok(
        trace.some((p) => p.spanId === s.parentSpanId),
        `${s.name}: its parent is not in the trace`,
      );
  }
  assertWellFormed(trace);
  return trace;
}

function runSpan(trace: SpanJSON[], runId: string): SpanJSON {
  const run = one(trace, /^invoke_agent\b/, { 'openai.run.id': runId });
  assert.equal(run.kind, 'CLIENT');
  assert.equal(run.parentSpanId, undefined, 'a run is a root of the thread trace');
  assert.equal(run.attributes['spanlens.kind'], 'agent_step');
  assert.equal(run.attributes['gen_ai.operation.name'], 'invoke_agent');
  return run;
}

/** Every model call is a chat span under the run; their usage adds up to the run's. */
function chatSteps(trace: SpanJSON[], run: SpanJSON): SpanJSON[] {
  const chats = childrenOf(trace, run).filter((s) => s.name.startsWith('chat '));
  assert.ok(chats.length > 0, 'run has no chat spans');
  assert.equal(sumAttr(chats, 'gen_ai.usage.input_tokens'), run.attributes['gen_ai.usage.input_tokens']);
  assert.equal(sumAttr(chats, 'gen_ai.usage.output_tokens'), run.attributes['gen_ai.usage.output_tokens']);
  return chats;
}

it('message creation: thread trace, run span with polls as events, usage and cost, chat step span with content', async () => {
  const turn = await polledTurn('answer');
  assert.equal(turn.run.status, 'completed');
  const spans = await t.spans();
  const trace = threadTrace(spans, turn.threadId);
  const agent = one(spans, 'create_agent Support agent');
  assert.notEqual(agent.traceId, threadTraceId(turn.threadId), 'create_agent is not a thread call');
  assert.equal(agent.attributes['gen_ai.agent.id'], turn.assistantId);
  const msg = one(trace, 'openai.threads.messages.create');
  assert.equal(msg.parentSpanId, undefined);
  assert.equal(msg.attributes['openai.message.id'], turn.userMessageId);

  const run = runSpan(trace, turn.run.id);
  assert.equal(run.name, 'invoke_agent Support agent');
  assert.equal(run.attributes['gen_ai.agent.id'], turn.assistantId);
  assert.equal(run.attributes['gen_ai.request.model'], 'gpt-4o-mini');
  assert.equal(run.attributes['spanlens.run.status'], 'completed');
  assert.equal(run.status.code, 'UNSET');
  assert.equal(run.attributes['gen_ai.usage.input_tokens'], turn.run.usage!.prompt_tokens);
  assert.equal(run.attributes['gen_ai.usage.output_tokens'], turn.run.usage!.completion_tokens);
  // gpt-4o-mini: USD 0.15 / 0.60 per 1M input / output tokens (cached input at half price).
  const u = turn.run.usage!;
  const cached = (u as { prompt_token_details?: { cached_tokens?: number } }).prompt_token_details?.cached_tokens ?? 0;
  const usd = ((u.prompt_tokens - cached) * 0.15 + cached * 0.075 + u.completion_tokens * 0.6) / 1e6;
  assert.ok(Math.abs(Number(run.attributes['spanlens.cost.usd']) - usd) < 1e-12, `cost ${String(run.attributes['spanlens.cost.usd'])} != ${usd}`);
  assert.deepEqual(run.attributes['spanlens.user_message.ids'], [turn.userMessageId]);
  assert.equal(run.attributes['spanlens.thread.run_count'], 1);

  const polls = run.events.filter((e) => e.name === 'openai.run.poll');
  assert.deepEqual(
    polls.map((e) => e.attributes['spanlens.run.status']),
    turn.statuses.slice(1),
    'one poll event per retrieve',
  );
  assert.equal(all(trace, 'openai.threads.runs.retrieve').length, 0, 'polls are events, not spans');

  const [chat, ...rest] = chatSteps(trace, run);
  assert.equal(rest.length, 0);
  assert.equal(chat!.name, 'chat gpt-4o-mini');
  assert.equal(chat!.attributes['spanlens.kind'], 'llm');
  assert.equal(chat!.attributes['spanlens.step.type'], 'message_creation');
  assert.match(String(chat!.attributes['openai.step.id']), /^step_/);
  const input = JSON.parse(String(chat!.attributes['gen_ai.input.messages'])) as Array<{ role: string; parts: Array<{ content: string }> }>;
  assert.equal(input.at(-1)!.role, 'user');
  assert.match(input.at(-1)!.parts[0]!.content, /reset my password/);
  const output = JSON.parse(String(chat!.attributes['gen_ai.output.messages'])) as Array<{ role: string; parts: Array<{ content: string }> }>;
  assert.equal(output[0]!.role, 'assistant');
  assert.ok(output[0]!.parts[0]!.content.length > 0);
  assert.match(String(chat!.attributes['gen_ai.system_instructions']), /helpful support agent/);
  // The instrumentation's own request: one steps list for the finished run.
  assert.equal(t.emulator.requests.filter((q) => q.path.endsWith(`/runs/${turn.run.id}/steps`)).length, 1);
});

it('function call: execute_tool span from requires_action to submit, with arguments and result', async () => {
  const turn = await polledTurn('function', [weather]);
  const trace = threadTrace(await t.spans(), turn.threadId);
  const run = runSpan(trace, turn.run.id);
  assert.equal(run.attributes['spanlens.run.status'], 'completed');
  const tool = one(trace, 'execute_tool get_weather');
  assert.equal(tool.parentSpanId, run.spanId);
  assert.equal(tool.attributes['spanlens.kind'], 'tool');
  assert.equal(tool.attributes['spanlens.subtype'], 'function');
  assert.equal(tool.attributes['gen_ai.tool.type'], 'function');
  assert.equal(tool.attributes['gen_ai.tool.call.id'], turn.outputs[0]!.tool_call_id);
  assert.equal(tool.attributes['gen_ai.tool.call.result'], turn.outputs[0]!.output);
  assert.equal(tool.attributes['spanlens.tool.submitted'], true);
  assert.ok((JSON.parse(String(tool.attributes['gen_ai.tool.call.arguments'])) as { city?: string }).city, 'arguments captured');
  const requires = run.events.find((e) => e.name === 'openai.run.requires_action');
  const submit = run.events.find((e) => e.name === 'openai.run.submit_tool_outputs');
  assert.ok(requires && submit);
  assert.ok(Math.abs(tool.startMs - requires.timeMs) < 1, 'tool starts when requires_action is seen');
  assert.ok(Math.abs(tool.endMs - submit.timeMs) < 1, 'tool ends when outputs are submitted');
  assert.deepEqual(
    chatSteps(trace, run)
      .map((c) => c.attributes['spanlens.step.type'])
      .sort(),
    ['message_creation', 'tool_calls'],
  );
});

it('parallel function calls are sibling execute_tool spans of one step', async () => {
  const turn = await polledTurn('parallel_functions', [weather, time]);
  const trace = threadTrace(await t.spans(), turn.threadId);
  const run = runSpan(trace, turn.run.id);
  const tools = all(trace, /^execute_tool /);
  assert.deepEqual(tools.map((s) => s.name).sort(), ['execute_tool get_time', 'execute_tool get_weather']);
  for (const s of tools) assert.equal(s.parentSpanId, run.spanId);
  assert.deepEqual(tools.map((s) => s.attributes['gen_ai.tool.call.id']).sort(), turn.outputs.map((o) => o.tool_call_id).sort());
  assert.equal(tools[0]!.attributes['openai.step.id'], tools[1]!.attributes['openai.step.id']);
});

it('code interpreter via createAndPoll: code input, stdout and image ids on the tool span', async () => {
  const api = t.client.beta;
  const assistant = await api.assistants.create({ name: 'Helper agent', model: 'gpt-4o', tools: [{ type: 'code_interpreter' }], metadata: { script: 'code' } });
  const thread = await api.threads.create({ messages: [{ role: 'user', content: 'Plot the revenue.' }] });
  const run = await api.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 1 });
  assert.equal(run.status, 'completed');
  const trace = threadTrace(await t.spans(), thread.id);
  const span = runSpan(trace, run.id);
  assert.equal(span.name, 'invoke_agent Helper agent');
  const code = one(trace, 'execute_tool code_interpreter');
  assert.equal(code.parentSpanId, span.spanId);
  assert.equal(code.attributes['spanlens.subtype'], 'code');
  assert.ok(String(code.attributes['spanlens.code.input']).length > 0);
  assert.ok(String(code.attributes['spanlens.code.output']).length > 0);
  assert.ok((code.attributes['spanlens.code.image_file_ids'] as string[]).length > 0);
  chatSteps(trace, span);
});

it('file search: retrieval span with the vector store and the results', async () => {
  const store = await t.client.vectorStores.create({ name: 'handbook' });
  const turn = await polledTurn('file_search', [{ type: 'file_search' }], { vectorStoreId: store.id });
  const spans = await t.spans();
  const trace = threadTrace(spans, turn.threadId);
  const fs = one(trace, 'execute_tool file_search');
  assert.equal(fs.parentSpanId, runSpan(trace, turn.run.id).spanId);
  assert.equal(fs.attributes['spanlens.subtype'], 'retrieval');
  assert.ok(Number(fs.attributes['spanlens.retrieval.result_count']) > 0);
  assert.deepEqual(fs.attributes['spanlens.retrieval.vector_store_ids'], [store.id]);
  assert.equal(fs.attributes['gen_ai.data_source.id'], store.id);
  assert.ok((JSON.parse(String(fs.attributes['spanlens.retrieval.results'])) as Array<{ content?: unknown }>).some((x) => x.content));
  assert.notEqual(one(spans, 'openai.vector_stores.create').traceId, fs.traceId, 'vector store calls are not thread calls');
});

it('failed and expired runs are errors with error.type; incomplete records its reason; an unanswered call is not submitted', async () => {
  for (const [script, tools] of [
    ['failed', []],
    ['expired', [weather]],
  ] as const) {
    const turn = await polledTurn(script, [...tools], { neverSubmit: true });
    assert.equal(turn.run.status, script);
    const trace = threadTrace(await t.spans(), turn.threadId);
    const run = runSpan(trace, turn.run.id);
    assert.equal(run.attributes['spanlens.run.status'], script);
    assert.equal(run.status.code, 'ERROR');
    assert.ok(run.attributes['error.type'], `${script} has error.type`);
    if (script === 'expired') {
      const tool = one(trace, 'execute_tool get_weather');
      assert.equal(tool.attributes['spanlens.tool.submitted'], false);
      assert.equal(tool.attributes['gen_ai.tool.call.result'], undefined);
    }
  }
  const turn = await polledTurn('incomplete');
  const run = runSpan(threadTrace(await t.spans(), turn.threadId), turn.run.id);
  assert.equal(run.attributes['spanlens.run.status'], 'incomplete');
  assert.ok(run.attributes['spanlens.run.incomplete_reason']);
  assert.notEqual(run.status.code, 'ERROR');
});

it('createAndRunPoll and cancel: the create_and_run call and the run are roots; a cancelled run has a cancel event', async () => {
  const api = t.client.beta;
  const assistant = await api.assistants.create({ name: 'Helper agent', model: 'gpt-4o', metadata: { script: 'answer' } });
  const run = await api.threads.createAndRunPoll({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: 'Summarise our refund policy.' }] } }, { pollIntervalMs: 1 });
  let spans = await t.spans();
  const trace = threadTrace(spans, run.thread_id, 'openai.threads.create_and_run');
  const span = runSpan(trace, run.id);
  assert.ok(one(trace, 'openai.threads.create_and_run').startMs <= span.startMs);
  assert.match(String(childrenOf(trace, span).find((s) => s.name.startsWith('chat '))!.attributes['gen_ai.input.messages']), /refund policy/);

  const started = await api.threads.runs.create(run.thread_id, { assistant_id: assistant.id, metadata: { script: 'cancel' } });
  await api.threads.runs.retrieve(started.id, { thread_id: run.thread_id });
  await api.threads.runs.cancel(started.id, { thread_id: run.thread_id });
  const final = await api.threads.runs.poll(started.id, { thread_id: run.thread_id }, { pollIntervalMs: 1 });
  assert.equal(final.status, 'cancelled');
  spans = await t.spans();
  const cancelled = one(inTrace(spans, threadTraceId(run.thread_id)), /^invoke_agent\b/, { 'openai.run.id': started.id });
  assert.equal(cancelled.attributes['spanlens.run.status'], 'cancelled');
  assert.ok(cancelled.events.some((e) => e.name === 'openai.run.cancel'));
  assert.notEqual(cancelled.status.code, 'ERROR');
  assert.equal(cancelled.attributes['spanlens.thread.run_count'], 2);
});

it('HTTP errors reach the app unchanged and are error spans in the thread trace', async () => {
  const missing = 'thread_Missing0000000000000001';
  await assert.rejects(t.client.beta.threads.retrieve(missing), (e: Error & { status?: number }) => e.constructor.name === 'NotFoundError' && e.status === 404);
  const spans = await t.spans();
  const span = one(spans, 'openai.threads.retrieve', { 'http.response.status_code': 404 });
  assert.equal(span.status.code, 'ERROR');
  assert.equal(span.attributes['error.type'], 'NotFoundError');
  assert.equal(span.traceId, threadTraceId(missing));
  assert.ok(!JSON.stringify(spans).includes('sk-unit-test'), 'the API key never reaches a span');
});
