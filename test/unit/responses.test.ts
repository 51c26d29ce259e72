// The Responses API in process: a response is a span, its output items child spans; a conversation is one
// trace (conversationTraceId), a previous_response_id chain joins its first response's trace; streamed and
// background responses keep one span.
import assert from 'node:assert/strict';
import { after, before, beforeEach, it } from 'node:test';
import type { FunctionTool, Response, ResponseCreateParamsNonStreaming } from 'openai/resources/responses/responses';
import { conversationTraceId } from '../../src/index';
import { newUserMessages } from '../../src/responses/response-content';
import { all, assertWellFormed, childrenOf, inTrace, one } from '../support/spans';
import { startTracing, type SpanJSON, type Tracing } from './support/tracing';

const MODEL = 'gpt-4o-mini';
const weather: FunctionTool = {
  type: 'function',
  name: 'get_weather',
  strict: true,
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
};

let t: Tracing;
before(async () => {
  t = await startTracing({}, { seed: 23, chunking: 'split' });
});
after(() => t.close());
beforeEach(() => t.reset());

const responseSpan = (spans: SpanJSON[], id: string) => one(spans, /^chat /, { 'gen_ai.response.id': id, 'spanlens.kind': 'agent_step' });
const items = (spans: SpanJSON[], parent: SpanJSON) => childrenOf(spans, parent).sort((a, b) => a.startMs - b.startMs);

it('plain response: a chat span with usage, cost, parameters and one message item', async () => {
  const res = await t.client.responses.create({
    model: MODEL,
    input: 'What is the capital of France?',
    temperature: 0.2,
    max_output_tokens: 200,
    service_tier: 'auto',
    text: { format: { type: 'text' } },
  });
  const spans = await t.spans();
  assertWellFormed(spans);
  const span = responseSpan(spans, res.id);
  assert.equal(span.name, 'chat gpt-4o-mini');
  assert.equal(span.kind, 'CLIENT');
  assert.equal(span.parentSpanId, undefined);
  assert.equal(span.attributes['spanlens.kind'], 'agent_step');
  assert.equal(span.attributes['gen_ai.operation.name'], 'chat');
  assert.equal(span.attributes['openai.api.type'], 'responses');
  assert.equal(span.attributes['gen_ai.request.model'], MODEL);
  assert.equal(span.attributes['gen_ai.response.model'], res.model);
  assert.equal(span.attributes['openai.response.id'], undefined, 'gen_ai.response.id only');
  assert.equal(span.attributes['gen_ai.conversation.id'], undefined, 'a standalone response is no conversation');
  assert.equal(span.attributes['gen_ai.request.stream'], undefined);
  assert.equal(span.attributes['openai.request.service_tier'], 'auto');
  assert.equal(span.attributes['openai.response.service_tier'], res.service_tier);
  assert.equal(span.attributes['gen_ai.output.type'], 'text');
  assert.equal(span.attributes['spanlens.response.status'], 'completed');
  assert.equal(span.attributes['gen_ai.usage.input_tokens'], res.usage!.input_tokens);
  assert.equal(span.attributes['gen_ai.usage.output_tokens'], res.usage!.output_tokens);
  assert.equal(span.attributes['gen_ai.request.temperature'], 0.2);
  assert.equal(span.attributes['gen_ai.request.max_tokens'], 200);
  assert.deepEqual(span.attributes['gen_ai.response.finish_reasons'], ['stop']);
  const cached = res.usage!.input_tokens_details?.cached_tokens ?? 0;
  const usd = ((res.usage!.input_tokens - cached) * 0.15 + cached * 0.075 + res.usage!.output_tokens * 0.6) / 1e6;
  assert.ok(Math.abs(Number(span.attributes['spanlens.cost.usd']) - usd) < 1e-12, `cost ${String(span.attributes['spanlens.cost.usd'])} != ${usd}`);
  assert.match(String(span.attributes['gen_ai.input.messages']), /capital of France/);
  const [message, ...rest] = items(spans, span);
  assert.equal(rest.length, 0);
  assert.equal(message!.name, 'message');
  assert.equal(message!.kind, 'INTERNAL', 'derived from the response: no inference operation of its own');
  assert.equal(message!.attributes['gen_ai.operation.name'], undefined);
  assert.equal(message!.attributes['gen_ai.response.id'], res.id);
  assert.equal(message!.attributes['spanlens.item.timing'], 'estimated');
  assert.ok(String(message!.attributes['gen_ai.output.messages']).includes(JSON.stringify(res.output_text).slice(1, 20)));
});

it('conversation: one trace, the create call and each response its roots; user messages counted, costs summed', async () => {
  const conv = await t.client.conversations.create({ items: [{ type: 'message', role: 'user', content: 'Hi, I plan a trip.' }] });
  const r1 = await t.client.responses.create({ model: MODEL, conversation: conv.id, input: 'Which city should I visit in France?' });
  await t.client.conversations.items.create(conv.id, { items: [{ type: 'message', role: 'user', content: 'I like museums.' }] });
  const r2 = await t.client.responses.create({ model: MODEL, conversation: conv.id, input: [{ role: 'user', content: 'And in Italy?' }] });
  const trace = inTrace(await t.spans(), conversationTraceId(conv.id));
  assertWellFormed(trace);
  assert.equal(one(trace, 'openai.conversations.create', { 'spanlens.conversation.created': true }).parentSpanId, undefined);
  one(trace, 'openai.conversations.items.create', { 'gen_ai.conversation.id': conv.id });
  const [s1, s2] = [responseSpan(trace, r1.id), responseSpan(trace, r2.id)];
  for (const s of [s1, s2]) {
    assert.equal(s.parentSpanId, undefined);
    assert.equal(s.attributes['openai.conversation.id'], undefined, 'gen_ai.conversation.id only');
    assert.equal(s.attributes['gen_ai.conversation.id'], conv.id);
  }
  assert.equal(s2.attributes['spanlens.user_message.count'], 2);
  assert.deepEqual(s2.attributes['spanlens.user_message.texts'], ['I like museums.', 'And in Italy?']);
  assert.equal(s2.attributes['spanlens.thread.run_count'], 2);
  const total = Number(s1.attributes['spanlens.cost.usd']) + Number(s2.attributes['spanlens.cost.usd']);
  assert.ok(Math.abs(Number(s2.attributes['spanlens.thread.cost.usd']) - total) < 1e-12);
});

it('previous_response_id chain: one trace; the response ends at once, the app’s tool work is its own span linked to the call', async () => {
  const r1 = await t.client.responses.create({ model: MODEL, input: 'What is the weather in Paris?', tools: [weather] });
  const call = r1.output.find((o) => o.type === 'function_call');
  assert.ok(call && call.type === 'function_call');
  // Exported before the app does anything about the call: nothing is held back.
  const early = responseSpan(t.finishedNow(), r1.id);
  assert.equal(early.name, 'chat gpt-4o-mini');
  one(childrenOf(t.finishedNow(), early), 'execute_tool get_weather');
  const r2 = await t.client.responses.create({
    model: MODEL,
    previous_response_id: r1.id,
    tools: [weather],
    input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"celsius":21}' }],
  });
  const r3 = await t.client.responses.create({ model: MODEL, previous_response_id: r2.id, input: 'Thanks! And tomorrow?' });
  const spans = await t.spans();
  assertWellFormed(spans);
  const [s1, s2, s3] = [r1, r2, r3].map((r) => responseSpan(spans, r.id));
  assert.equal(s1!.name, 'chat gpt-4o-mini');
  assert.equal(s1!.attributes['gen_ai.operation.name'], 'chat');
  assert.equal(s1!.parentSpanId, undefined);
  assert.equal(s2!.traceId, s1!.traceId);
  assert.equal(s3!.traceId, s1!.traceId);
  assert.deepEqual(s1!.attributes['gen_ai.response.finish_reasons'], ['tool_calls']);
  assert.equal(s2!.attributes['spanlens.response.previous_id'], r1.id);
  assert.equal(s3!.attributes['spanlens.thread.run_count'], 3);
  // The chain's id is its first response's: on every response after the first (the first was standalone then).
  assert.equal(s1!.attributes['gen_ai.conversation.id'], undefined);
  assert.equal(s2!.attributes['gen_ai.conversation.id'], r1.id);
  assert.equal(s3!.attributes['gen_ai.conversation.id'], r1.id);
  // The model's call: an item of the response, with its arguments.
  const item = one(childrenOf(spans, s1!), 'execute_tool get_weather');
  assert.equal(item.kind, 'INTERNAL');
  assert.equal(item.attributes['gen_ai.tool.call.id'], call.call_id);
  assert.equal(item.attributes['gen_ai.tool.call.arguments'], call.arguments);
  assert.equal(item.attributes['gen_ai.tool.call.result'], undefined);
  // The app's tool work: from the response's completion to the output's submission, with the result.
  const work = one(spans, 'execute_tool get_weather', { 'gen_ai.tool.call.result': '{"celsius":21}' });
  assert.equal(work.traceId, s1!.traceId);
  assert.notEqual(work.parentSpanId, s1!.spanId);
  assert.equal(work.kind, 'INTERNAL');
  assert.equal(work.attributes['gen_ai.operation.name'], 'execute_tool');
  assert.equal(work.attributes['gen_ai.tool.name'], 'get_weather');
  assert.equal(work.attributes['gen_ai.tool.call.id'], call.call_id);
  assert.equal(work.attributes['gen_ai.tool.call.arguments'], call.arguments);
  assert.equal(work.attributes['gen_ai.response.id'], r1.id);
  // Tied to the call by its id, not by a link (Jaeger would take a same-trace link for a parent).
  assert.deepEqual(work.links, []);
  assert.equal(item.attributes['gen_ai.tool.call.id'], work.attributes['gen_ai.tool.call.id']);
  assert.ok(Math.abs(work.startMs - s1!.endMs) < 1, 'starts when the response completed');
  assert.ok(work.endMs <= s2!.startMs + 1, 'ends when the app sent the output');
  assert.equal(all(spans, 'execute_tool get_weather').length, 2);
});

it('a function call answered through a conversation’s items.create: the tool span is in the conversation trace, once', async () => {
  const conv = await t.client.conversations.create({});
  const r1 = await t.client.responses.create({ model: MODEL, conversation: conv.id, input: 'Weather in Oslo?', tools: [weather] });
  const call = r1.output.find((o) => o.type === 'function_call');
  assert.ok(call && call.type === 'function_call');
  const output = { type: 'function_call_output' as const, call_id: call.call_id, output: '{"celsius":3}' };
  await t.client.conversations.items.create(conv.id, { items: [output] });
  await t.client.responses.create({ model: MODEL, conversation: conv.id, input: 'Thanks.', tools: [weather] });
  const trace = inTrace(await t.spans(), conversationTraceId(conv.id));
  const work = one(trace, 'execute_tool get_weather', { 'gen_ai.tool.call.result': '{"celsius":3}' });
  assert.equal(work.parentSpanId, undefined);
  assert.equal(work.attributes['gen_ai.conversation.id'], conv.id);
  assert.equal(responseSpan(trace, r1.id).attributes['gen_ai.conversation.id'], conv.id);
});

it('a function call the app never answers: the response and its call are exported at once, no tool span ever', async () => {
  const r = await t.client.responses.create({ model: MODEL, input: 'Weather in Bern?', tools: [weather] });
  const spans = t.finishedNow();
  const span = responseSpan(spans, r.id);
  assert.deepEqual(span.attributes['gen_ai.response.finish_reasons'], ['tool_calls']);
  const [item] = childrenOf(spans, span);
  assert.equal(item!.name, 'execute_tool get_weather');
  assert.ok(item!.attributes['gen_ai.tool.call.arguments']);
  assert.equal(all(spans, 'execute_tool get_weather').length, 1);
});

it('output items: each is a child span in the run-step vocabulary; tool fees are costed', async () => {
  const cases: Array<[string, ResponseCreateParamsNonStreaming['tools'], Partial<ResponseCreateParamsNonStreaming>, string, string, string]> = [
    ['code', [{ type: 'code_interpreter', container: { type: 'auto' } }], { include: ['code_interpreter_call.outputs'] }, 'execute_tool code_interpreter', 'tool', 'code'],
    ['file_search', [{ type: 'file_search', vector_store_ids: ['vs_Emul4tor00000000000001'] }], { include: ['file_search_call.results'] }, 'execute_tool file_search', 'tool', 'retrieval'],
    ['web_search', [{ type: 'web_search' }], {}, 'execute_tool web_search', 'tool', 'web_search'],
    ['reasoning', [], { reasoning: { effort: 'low', summary: 'auto' } }, 'reasoning', 'llm', 'reasoning'],
    ['mcp', [{ type: 'mcp', server_label: 'docs', server_url: 'https://mcp.example.com/sse', require_approval: 'never' }], {}, 'execute_tool mcp', 'tool', 'mcp'],
    ['image', [{ type: 'image_generation' }], {}, 'execute_tool image_generation', 'tool', 'image'],
  ];
  const made: Record<string, Response> = {};
  for (const [script, tools, extra] of cases) made[script] = await t.client.responses.create({ model: MODEL, input: `Please use ${script}.`, tools, metadata: { script }, ...extra });
  const spans = await t.spans();
  assertWellFormed(spans);
  for (const [script, , , name, kind, subtype] of cases) {
    const span = responseSpan(spans, made[script]!.id);
    assert.equal(span.name, 'chat gpt-4o-mini', script);
    assert.equal(span.attributes['gen_ai.operation.name'], 'chat', script);
    for (const s of items(spans, span)) {
      assert.equal(s.kind, 'INTERNAL', `${script} ${s.name}`);
      assert.ok(s.attributes['gen_ai.operation.name'] === undefined || s.attributes['gen_ai.operation.name'] === 'execute_tool', `${script} ${s.name}`);
    }
    assert.deepEqual(
      items(spans, span).map((s) => s.attributes['spanlens.item.type']),
      made[script]!.output.map((o) => o.type),
      script,
    );
    const item = items(spans, span).find((s) => s.attributes['spanlens.subtype'] === subtype);
    assert.ok(item, `${script}: a ${subtype} item`);
    assert.equal(item.attributes['spanlens.kind'], kind, script);
    if (script !== 'mcp') assert.equal(item.name, name, script);
  }
  const code = one(spans, 'execute_tool code_interpreter');
  assert.ok(code.attributes['spanlens.code.input']);
  assert.ok(code.attributes['openai.container.id']);
  assert.ok(Number(one(spans, 'execute_tool image_generation').attributes['spanlens.image.base64_chars']) > 0);
  assert.ok(!JSON.stringify(spans).includes('iVBORw0KGgo'), 'image bytes never on a span');
  assert.ok(Number(responseSpan(spans, made.web_search!.id).attributes['spanlens.cost.tools_usd']) >= 0.01 - 1e-12, 'web search: $10 per 1k calls');
  assert.ok(Number(responseSpan(spans, made.file_search!.id).attributes['spanlens.cost.tools_usd']) >= 0.0025 - 1e-12, 'file search: $2.50 per 1k calls');
  assert.ok(Number(responseSpan(spans, made.reasoning!.id).attributes['gen_ai.usage.reasoning.output_tokens']) > 0);
  // In the output messages, a tool the provider ran is a server_tool_call part naming the tool.
  const outputParts = (script: string) =>
    (JSON.parse(String(responseSpan(spans, made[script]!.id).attributes['gen_ai.output.messages'])) as Array<{ parts: Array<{ type: string; name?: string }> }>)[0]!.parts;
  for (const [script, tool] of [
    ['code', 'code_interpreter'],
    ['file_search', 'file_search'],
    ['web_search', 'web_search'],
  ]) {
    assert.ok(
      outputParts(script!).some((p) => p.type === 'server_tool_call' && p.name === tool),
      `${script}: ${JSON.stringify(outputParts(script!))}`,
    );
  }
});

it('function calls in the output messages: tool_call parts with their arguments as objects, finish_reason tool_call', async () => {
  const res = await t.client.responses.create({ model: MODEL, input: 'Weather in Paris?', tools: [weather], metadata: { script: 'function' } });
  const call = res.output.find((o) => o.type === 'function_call');
  assert.ok(call?.type === 'function_call');
  const [message] = JSON.parse(String(responseSpan(await t.spans(), res.id).attributes['gen_ai.output.messages'])) as Array<{
    finish_reason: string;
    parts: Array<{ type: string; id: string; arguments: unknown }>;
  }>;
  assert.equal(message!.finish_reason, 'tool_call');
  const part = message!.parts.find((p) => p.type === 'tool_call');
  assert.equal(part?.id, call.call_id);
  assert.deepEqual(part?.arguments, JSON.parse(call.arguments));
});

it('streamed: the items timed by the client clock, deltas counted, time to first chunk; the helper’s final response is the span’s', async () => {
  const types: string[] = [];
  for await (const e of await t.client.responses.create({ model: MODEL, input: 'Tell me a short story.', stream: true })) types.push(e.type);
  assert.ok(types.includes('response.completed'));
  const helper = t.client.responses.stream({ model: MODEL, input: 'Another one, please.' });
  let deltas = 0;
  helper.on('response.output_text.delta', () => deltas++);
  const final = await helper.finalResponse();
  const spans = await t.spans();
  const responses = all(spans, /^chat /, { 'spanlens.kind': 'agent_step' });
  assert.equal(responses.length, 2);
  for (const span of responses) {
    assert.equal(span.attributes['spanlens.response.status'], 'completed');
    assert.equal(span.attributes['gen_ai.request.stream'], true);
    // Measured from the request: the first delta comes after the created / in_progress events and the item's start.
    const ttfc = Number(span.attributes['gen_ai.response.time_to_first_chunk']) * 1000;
    const [first] = items(spans, span);
    assert.ok(ttfc > 0 && span.startMs + ttfc >= first!.startMs, `ttfc ${ttfc} ms from the request`);
    const [message] = items(spans, span);
    assert.equal(message!.attributes['gen_ai.response.time_to_first_chunk'], undefined, 'the response’s, not the item’s');
    assert.equal(message!.attributes['spanlens.item.timing'], undefined);
    assert.ok(message!.startMs >= span.startMs && message!.endMs <= span.endMs);
  }
  assert.equal(one(items(spans, responseSpan(spans, final.id)), 'message').attributes['spanlens.message.delta.count'], deltas);
});

it('a stream the app breaks off ends its span stream_aborted; a cut stream is an error', async () => {
  for await (const e of await t.client.responses.create({ model: MODEL, input: 'A long story, please.', stream: true })) if (e.type === 'response.output_text.delta') break;
  const cut = await t.client.responses.create({ model: MODEL, input: 'x', stream: true }, { headers: { 'x-emulator-fault': 'cut-after:5' } });
  await assert.rejects(async () => {
    for await (const _ of cut);
  });
  const spans = all(await t.spans(), /^chat /, { 'spanlens.kind': 'agent_step' });
  assert.equal(one(spans, /^chat /, { 'spanlens.response.end_reason': 'stream_aborted' }).status.code, 'UNSET');
  const error = one(spans, /^chat /, { 'spanlens.response.end_reason': 'stream_error' });
  assert.equal(error.status.code, 'ERROR');
  assert.ok(error.attributes['error.type']);
});

it('a raw body whose last event is a malformed delta ends the span stream_error (SyntaxError), as a run stream does', async () => {
  // The sink passes deltas on unparsed; at the end it checks the last one, since the SDK would throw on it.
  const res = await t.client.responses.create({ model: MODEL, input: 'x', stream: true }, { headers: { 'x-emulator-fault': 'malformed-json:5' } }).asResponse();
  const blocks = (await res.text()).split('\n\n').filter((b) => b.includes('data: '));
  const last = blocks[blocks.length - 1]!;
  assert.match(last, /^event: response\.output_text\.delta$/m, 'the cut event is a delta');
  assert.throws(() => JSON.parse(/^data: (.*)$/m.exec(last)![1]!), SyntaxError);
  const span = one(all(await t.spans(), /^chat /, { 'spanlens.kind': 'agent_step' }), /^chat /, { 'spanlens.response.end_reason': 'stream_error' });
  assert.equal(span.status.code, 'ERROR');
  assert.equal(span.attributes['error.type'], 'SyntaxError');
});

it('background: one span across the polls (events); a cancel ends it cancelled', async () => {
  let r = await t.client.responses.create({ model: MODEL, input: 'Summarise the history of Rome.', background: true });
  const statuses = [r.status];
  while (r.status === 'queued' || r.status === 'in_progress') {
    r = await t.client.responses.retrieve(r.id);
    statuses.push(r.status);
  }
  let c = await t.client.responses.create({ model: MODEL, input: 'Think forever.', background: true, metadata: { script: 'cancel' } });
  c = await t.client.responses.retrieve(c.id);
  const cancelled = await t.client.responses.cancel(c.id);
  assert.equal(cancelled.status, 'cancelled');
  const spans = await t.spans();
  const span = responseSpan(spans, r.id);
  assert.equal(span.attributes['spanlens.response.background'], true);
  assert.equal(span.attributes['spanlens.response.status'], 'completed');
  assert.ok(statuses.length > 2, 'polled more than once');
  assert.deepEqual(span.events.filter((e) => e.name === 'openai.response.poll').length, statuses.length - 1);
  assert.equal(span.attributes['spanlens.response.poll_count'], statuses.length - 1);
  assert.equal(all(spans, 'openai.responses.retrieve').length, 0, 'polls are events, not spans');
  const cs = responseSpan(spans, c.id);
  assert.equal(cs.attributes['spanlens.response.status'], 'cancelled');
  assert.ok(cs.events.some((e) => e.name === 'openai.response.cancel'));
  assert.deepEqual(cs.attributes['gen_ai.response.finish_reasons'], ['cancelled']);
});

it('failed → ERROR with error.type; incomplete → its reason; an HTTP 500 is a failed chat span of the call', async () => {
  await t.client.responses.create({ model: MODEL, input: 'x', metadata: { script: 'failed' } });
  await t.client.responses.create({ model: MODEL, input: 'x', max_output_tokens: 16, metadata: { script: 'incomplete' } });
  await assert.rejects(t.client.responses.create({ model: MODEL, input: 'x' }, { headers: { 'x-emulator-fault': 'status:500' } }), (e: Error) => e.constructor.name === 'InternalServerError');
  const spans = await t.spans();
  const failed = one(spans, /^chat /, { 'spanlens.response.status': 'failed' });
  assert.equal(failed.status.code, 'ERROR');
  assert.ok(failed.attributes['error.type']);
  const incomplete = one(spans, /^chat /, { 'spanlens.response.status': 'incomplete' });
  assert.equal(incomplete.attributes['spanlens.run.incomplete_reason'], 'max_output_tokens');
  assert.deepEqual(incomplete.attributes['gen_ai.response.finish_reasons'], ['length']);
  const http = one(spans, /^chat /, { 'http.response.status_code': 500 });
  assert.equal(http.name, `chat ${MODEL}`, 'a create that failed is still the chat call it was');
  assert.equal(http.attributes['gen_ai.operation.name'], 'chat');
  assert.equal(http.attributes['gen_ai.request.model'], MODEL);
  assert.equal(http.attributes['openai.api.type'], 'responses');
  assert.equal(http.attributes['gen_ai.response.id'], undefined);
  assert.equal(http.status.code, 'ERROR');
  assert.equal(http.attributes['error.type'], 'InternalServerError');
});

it('resent histories (the Agents SDK’s stateless turns): each user message counts once, in the turn that first carried it', async () => {
  const q1 = { role: 'user' as const, content: 'What is the weather in Paris?' };
  const r1 = await t.client.responses.create({ model: MODEL, instructions: 'You are a weather bot.', input: [q1], tools: [weather] });
  const call = r1.output.find((o) => o.type === 'function_call');
  assert.ok(call && call.type === 'function_call');
  // The tool-loop continuation resends the question with the call and its output, as the Agents SDK does.
  const history = [
    q1,
    { type: 'function_call' as const, id: call.id, call_id: call.call_id, name: call.name, arguments: call.arguments, status: 'completed' as const },
    { type: 'function_call_output' as const, call_id: call.call_id, output: '{"celsius":21}' },
  ];
  const r2 = await t.client.responses.create({ model: MODEL, instructions: 'You are a weather bot.', input: history, tools: [weather] });
  const answer = r2.output.find((o) => o.type === 'message');
  assert.ok(answer && answer.type === 'message');
  const q2 = { role: 'user' as const, content: 'And tomorrow?' };
  const r3 = await t.client.responses.create({ model: MODEL, instructions: 'You are a weather bot.', input: [...history, answer, q2], tools: [weather] });
  const spans = await t.spans();
  const [s1, s2, s3] = [r1, r2, r3].map((r) => responseSpan(spans, r.id));
  assert.equal(s1!.attributes['spanlens.user_message.count'], 1);
  assert.deepEqual(s1!.attributes['spanlens.user_message.texts'], [q1.content]);
  assert.equal(s2!.attributes['spanlens.user_message.count'], 0, 'a tool-loop continuation answers no new question');
  assert.equal(s2!.attributes['spanlens.cost_per_user_message.usd'], undefined);
  assert.equal(s3!.attributes['spanlens.user_message.count'], 1);
  assert.deepEqual(s3!.attributes['spanlens.user_message.texts'], [q2.content]);
  // The resent function_call_output made one tool span, not one per resend.
  assert.equal(all(spans, 'execute_tool get_weather', { 'gen_ai.tool.call.result': '{"celsius":21}' }).length, 1);
});

it('newUserMessages: real-shaped inputs (stateless resends, continuations of server state)', () => {
  const user = (text: string) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
  const texts = (input: unknown, continues = false) => newUserMessages({ input }, continues).map((m) => JSON.stringify(m.content));
  const assistant = { type: 'message', id: 'msg_1', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Sunny.', annotations: [] }] };
  const fc = { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'get_weather', arguments: '{}', status: 'completed' };
  const fco = { type: 'function_call_output', call_id: 'call_1', output: 'ok' };
  assert.deepEqual(newUserMessages({ input: 'Hi' }, false), [{ role: 'user', content: 'Hi' }]);
  assert.equal(texts([{ role: 'developer', content: 'Be brief.' }, user('a'), user('b')]).length, 2, 'a first turn of two messages');
  assert.equal(texts([user('a'), fc, fco]).length, 0, 'a tool-loop continuation');
  assert.deepEqual(texts([user('a'), fc, fco, assistant, user('b')]), [JSON.stringify([{ type: 'input_text', text: 'b' }])]);
  assert.equal(texts([user('a'), { type: 'reasoning', id: 'rs_1', summary: [] }, assistant, { role: 'system', content: 'Note.' }, user('b')]).length, 1, 'instructions between do not reset');
  assert.equal(texts([user('a'), { type: 'item_reference', id: 'msg_0' }, user('b')]).length, 1, 'a referenced item was answered before');
  assert.equal(texts([fco, user('b')], true).length, 1, 'previous_response_id / conversation: the input is new');
  assert.equal(texts([user('a'), assistant, user('b')], true).length, 2, 'previous_response_id / conversation: every user message in it is new');
  assert.equal(texts(null).length, 0);
});
