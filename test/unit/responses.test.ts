// The Responses API in process: a response is a span, its output items child spans; a conversation is one
// trace (conversationTraceId), a previous_response_id chain joins its first response's trace; streamed and
// background responses keep one span.
import assert from 'node:assert/strict';
import { after, before, beforeEach, it } from 'node:test';
import type { FunctionTool, Response, ResponseCreateParamsNonStreaming } from 'openai/resources/responses/responses';
import { conversationTraceId } from '../../src/index';
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

const responseSpan = (spans: SpanJSON[], id: string) => one(spans, /^(chat|invoke_agent) /, { 'openai.response.id': id });
const items = (spans: SpanJSON[], parent: SpanJSON) => childrenOf(spans, parent).sort((a, b) => a.startMs - b.startMs);

it('plain response: a chat span with usage, cost, parameters and one message item', async () => {
  const res = await t.client.responses.create({ model: MODEL, input: 'What is the capital of France?', temperature: 0.2, max_output_tokens: 200 });
  const spans = await t.spans();
  assertWellFormed(spans);
  const span = responseSpan(spans, res.id);
  assert.equal(span.name, 'chat gpt-4o-mini');
  assert.equal(span.kind, 'CLIENT');
  assert.equal(span.parentSpanId, undefined);
  assert.equal(span.attributes['spanlens.kind'], 'agent_step');
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
    assert.equal(s.attributes['openai.conversation.id'], conv.id);
    assert.equal(s.attributes['gen_ai.conversation.id'], conv.id);
  }
  assert.equal(s2.attributes['spanlens.user_message.count'], 2);
  assert.deepEqual(s2.attributes['spanlens.user_message.texts'], ['I like museums.', 'And in Italy?']);
  assert.equal(s2.attributes['spanlens.thread.run_count'], 2);
  const total = Number(s1.attributes['spanlens.cost.usd']) + Number(s2.attributes['spanlens.cost.usd']);
  assert.ok(Math.abs(Number(s2.attributes['spanlens.thread.cost.usd']) - total) < 1e-12);
});

it('previous_response_id chain: one trace; the function call span carries the output the app sent', async () => {
  const r1 = await t.client.responses.create({ model: MODEL, input: 'What is the weather in Paris?', tools: [weather] });
  const call = r1.output.find((o) => o.type === 'function_call');
  assert.ok(call && call.type === 'function_call');
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
  assert.equal(s1!.name, 'invoke_agent gpt-4o-mini');
  assert.equal(s1!.parentSpanId, undefined);
  assert.equal(s2!.traceId, s1!.traceId);
  assert.equal(s3!.traceId, s1!.traceId);
  assert.deepEqual(s1!.attributes['gen_ai.response.finish_reasons'], ['tool_calls']);
  assert.equal(s2!.attributes['spanlens.response.previous_id'], r1.id);
  assert.equal(s3!.attributes['spanlens.thread.run_count'], 3);
  const tool = one(spans, 'execute_tool get_weather', { 'gen_ai.tool.call.id': call.call_id });
  assert.equal(tool.parentSpanId, s1!.spanId);
  assert.equal(tool.attributes['gen_ai.tool.call.arguments'], call.arguments);
  assert.equal(tool.attributes['gen_ai.tool.call.result'], '{"celsius":21}');
  assert.equal(tool.attributes['spanlens.tool.submitted'], true);
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
    assert.equal(span.name, `${kind === 'tool' ? 'invoke_agent' : 'chat'} gpt-4o-mini`, script);
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
    assert.ok(Number(span.attributes['gen_ai.response.time_to_first_chunk']) >= 0);
    const [message] = items(spans, span);
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

it('failed → ERROR with error.type; incomplete → its reason; an HTTP 500 is an error span of the call', async () => {
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
  const http = one(spans, 'openai.responses.create', { 'http.response.status_code': 500 });
  assert.equal(http.status.code, 'ERROR');
  assert.equal(http.attributes['error.type'], 'InternalServerError');
});
