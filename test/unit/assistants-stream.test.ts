// Streamed Assistants runs, in process, with the emulator cutting the SSE bytes at random offsets (inside
// lines and UTF-8 characters), so the stream decoders see what a real network delivers.
import assert from 'node:assert/strict';
import { after, before, beforeEach, it } from 'node:test';
import type { AssistantStreamEvent } from 'openai/resources/beta/assistants';
import { threadTraceId } from '../../src/index';
import { all, assertWellFormed, childrenOf, inTrace, one, sumAttr } from '../support/spans';
import { startTracing, type SpanJSON, type Tracing } from './support/tracing';

const weather = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };

let t: Tracing;
before(async () => {
  t = await startTracing({}, { seed: 11, chunking: 'split' });
});
after(() => t.close());
beforeEach(() => t.reset());

async function thread(script: string, tools: Array<typeof weather | { type: 'code_interpreter' }> = []) {
  const api = t.client.beta;
  const assistant = await api.assistants.create({ name: 'Stream agent', model: 'gpt-4o-mini', tools, metadata: { script } });
  const th = await api.threads.create({ messages: [{ role: 'user', content: 'What is the weather in Paris today?' }] });
  return { assistantId: assistant.id, threadId: th.id };
}

async function runOf(threadId: string): Promise<{ trace: SpanJSON[]; run: SpanJSON }> {
  const trace = inTrace(await t.spans(), threadTraceId(threadId));
  assertWellFormed(trace);
  const run = one(trace, 'invoke_agent Stream agent');
  assert.equal(run.parentSpanId, undefined);
  return { trace, run };
}

const deltaText = (e: AssistantStreamEvent) => (e.event === 'thread.message.delta' ? (e.data.delta.content ?? []).map((p) => (p.type === 'text' ? (p.text?.value ?? '') : '')).join('') : undefined);

it('runs.stream helper: one run span with usage, the answer on its chat span with one delta event per delta', async () => {
  const { assistantId, threadId } = await thread('answer');
  const deltas: string[] = [];
  const stream = t.client.beta.threads.runs.stream(threadId, { assistant_id: assistantId });
  stream.on('event', (e) => {
    const text = deltaText(e);
    if (text !== undefined) deltas.push(text);
  });
  const final = await stream.finalRun();
  assert.equal(final.status, 'completed');
  const { trace, run } = await runOf(threadId);
  assert.equal(run.attributes['openai.run.id'], final.id);
  assert.equal(run.attributes['spanlens.run.status'], 'completed');
  assert.equal(run.attributes['gen_ai.usage.input_tokens'], final.usage!.prompt_tokens);
  assert.equal(run.attributes['gen_ai.usage.output_tokens'], final.usage!.completion_tokens);
  assert.ok(run.events.some((e) => e.name === 'thread.run.completed'));
  const chats = childrenOf(trace, run).filter((s) => s.name === 'chat gpt-4o-mini');
  assert.equal(sumAttr(chats, 'gen_ai.usage.output_tokens'), final.usage!.completion_tokens);
  const message = one(chats, 'chat gpt-4o-mini', { 'spanlens.step.type': 'message_creation' });
  const events = message.events.filter((e) => e.name === 'openai.message.delta');
  assert.ok(deltas.length > 1);
  assert.deepEqual(
    events.map((e) => e.attributes['spanlens.message.delta.text']),
    deltas,
  );
  assert.ok(message.startMs <= events[0]!.timeMs && events.at(-1)!.timeMs <= message.endMs, 'deltas inside the chat span');
  assert.ok(Number(message.attributes['gen_ai.response.time_to_first_chunk']) >= 0);
  assert.equal((JSON.parse(String(message.attributes['gen_ai.output.messages'])) as Array<{ parts: Array<{ content: string }> }>)[0]!.parts[0]!.content, deltas.join(''));
  assert.deepEqual(
    t.emulator.requests.filter((q) => q.path.endsWith('/steps')),
    [],
    'streamed runs make no extra requests',
  );
});

it('stream: true with a function call: one run span across the submit stream, the tool span with assembled arguments and the result', async () => {
  const { assistantId, threadId } = await thread('function', [weather]);
  const runs = t.client.beta.threads.runs;
  const seen: string[] = [];
  const drain = async (stream: AsyncIterable<AssistantStreamEvent>): Promise<void> => {
    for await (const e of stream) {
      seen.push(e.event);
      if (e.event === 'thread.run.requires_action') {
        const tool_outputs = e.data.required_action!.submit_tool_outputs.tool_calls.map((c) => ({ tool_call_id: c.id, output: '{"temp": 21}' }));
        await drain(await runs.submitToolOutputs(e.data.id, { thread_id: threadId, tool_outputs, stream: true }));
      }
    }
  };
  await drain(await runs.create(threadId, { assistant_id: assistantId, stream: true }));
  assert.ok(seen.includes('thread.run.completed'));
  const { trace, run } = await runOf(threadId);
  assert.equal(all(trace, /^invoke_agent\b/).length, 1);
  assert.equal(run.attributes['spanlens.run.status'], 'completed');
  const requires = run.events.find((e) => e.name === 'thread.run.requires_action');
  assert.ok(requires);
  const tool = one(trace, 'execute_tool get_weather');
  assert.equal(tool.parentSpanId, run.spanId);
  assert.equal(tool.attributes['spanlens.tool.submitted'], true);
  assert.equal(tool.attributes['gen_ai.tool.call.result'], '{"temp": 21}');
  assert.ok((JSON.parse(String(tool.attributes['gen_ai.tool.call.arguments'])) as { city?: string }).city, 'arguments assembled from deltas');
  assert.ok(Math.abs(tool.startMs - requires.timeMs) < 1);
  assert.deepEqual(
    childrenOf(trace, run)
      .filter((s) => s.name.startsWith('chat '))
      .map((c) => c.attributes['spanlens.step.type'])
      .sort(),
    ['message_creation', 'tool_calls'],
  );
});

it('code interpreter stream: code input assembled from step deltas, outputs and image ids', async () => {
  const { assistantId, threadId } = await thread('code', [{ type: 'code_interpreter' }]);
  let input = '';
  const stream = t.client.beta.threads.runs.stream(threadId, { assistant_id: assistantId });
  stream.on('event', (e) => {
    if (e.event !== 'thread.run.step.delta') return;
    const call = e.data.delta.step_details?.type === 'tool_calls' ? e.data.delta.step_details.tool_calls?.[0] : undefined;
    if (call?.type === 'code_interpreter') input += call.code_interpreter?.input ?? '';
  });
  await stream.finalRun();
  const { trace, run } = await runOf(threadId);
  const code = one(trace, 'execute_tool code_interpreter');
  assert.equal(code.parentSpanId, run.spanId);
  assert.ok(input.length > 10);
  assert.equal(code.attributes['spanlens.code.input'], input);
  assert.ok(String(code.attributes['spanlens.code.output']).length > 0);
  assert.ok((code.attributes['spanlens.code.image_file_ids'] as string[]).length > 0);
});

it('a failed stream ends the run as an error; an app breaking off ends it stream_aborted, not an error', async () => {
  const failed = await thread('failed');
  for await (const _ of await t.client.beta.threads.runs.create(failed.threadId, { assistant_id: failed.assistantId, stream: true }));
  const f = (await runOf(failed.threadId)).run;
  assert.equal(f.attributes['spanlens.run.status'], 'failed');
  assert.equal(f.status.code, 'ERROR');
  assert.ok(f.attributes['error.type']);

  const broken = await thread('answer');
  let n = 0;
  for await (const _ of await t.client.beta.threads.runs.create(broken.threadId, { assistant_id: broken.assistantId, stream: true })) if (++n >= 6) break;
  const { trace, run } = await runOf(broken.threadId);
  assert.equal(run.attributes['spanlens.run.end_reason'], 'stream_aborted');
  assert.notEqual(run.status.code, 'ERROR');
  assert.notEqual(run.attributes['spanlens.run.status'], 'completed');
  for (const s of childrenOf(trace, run)) assert.ok(s.endMs <= run.endMs + 0.001, `${s.name} ends inside the run`);
});

it('a raw body the app reads itself (asResponse) is decoded from its bytes: a long answer counts every delta, keeps 128 as events', async () => {
  const { assistantId, threadId } = await thread('long_answer');
  const response = await t.client.beta.threads.runs.create(threadId, { assistant_id: assistantId, stream: true }).asResponse();
  const text = await response.text();
  const deltas = text
    .split('\n\n')
    .filter((block) => block.startsWith('event: thread.message.delta'))
    .map((block) => deltaText({ event: 'thread.message.delta', data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!) } as AssistantStreamEvent)!);
  assert.ok(deltas.length > 300, `a long stream (${deltas.length} deltas)`);
  const { trace, run } = await runOf(threadId);
  assert.equal(run.attributes['spanlens.run.status'], 'completed');
  const message = one(trace, 'chat gpt-4o-mini', { 'spanlens.step.type': 'message_creation' });
  assert.equal(message.attributes['spanlens.message.delta.count'], deltas.length);
  const events = message.events.filter((e) => e.name === 'openai.message.delta');
  assert.deepEqual(
    events.map((e) => e.attributes['spanlens.message.delta.text']),
    deltas.slice(0, 128),
  );
  assert.equal((JSON.parse(String(message.attributes['gen_ai.output.messages'])) as Array<{ parts: Array<{ content: string }> }>)[0]!.parts[0]!.content, deltas.join(''));
});
