// Responses API + Conversations, chat completions and embeddings through the real SDK against the
// emulator, in every matrix cell (issue 8). Each flow runs with and without the instrumentation on fresh
// same-seed emulators: what the app sees must be identical; the trace must tell what happened.
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, it } from 'node:test';
import type { Emulator } from '../src/testing/index';
import { conversationTraceId } from '../src/trace/trace-ids';
import { REDACTING_CONFIG, forEachCell, runCell, spreadCells, type CellRun, type ScenarioResult } from './harness/run-cell';
import { all, assertWellFormed, childrenOf, contentValues, inTrace, one, type SpanJSON } from './support/spans';
import { emulatorPerRun } from './support/emulators';

const MODULE = path.resolve(__dirname, 'scenarios/responses.mjs');
const FLOWS = ['plain', 'parse', 'resume', 'conversation', 'chain', 'tools', 'stream', 'stream-function', 'stream-break', 'background', 'failures', 'chat', 'embeddings', 'abandoned'];
const scenarios = FLOWS.map((flow) => ({ name: flow, module: MODULE, args: { flow } }));
const fresh = emulatorPerRun({ seed: 23, pollAfterMs: 1, eventDelayMs: 1, chunking: 'split' });

const responseSpan = (spans: SpanJSON[], id: string) => one(spans, /^chat /, { 'gen_ai.response.id': id, 'spanlens.kind': 'agent_step' });
const items = (spans: SpanJSON[], parent: SpanJSON) => childrenOf(spans, parent).sort((a, b) => a.startMs - b.startMs);

forEachCell((cell) => {
  let traced: CellRun;
  let baseline: CellRun;
  let emulator: Emulator;
  before(async () => {
    baseline = await runCell(cell, { scenarios, baseURL: (await fresh()).baseURL, instrument: false });
    emulator = await fresh();
    traced = await runCell(cell, { scenarios, baseURL: emulator.baseURL });
  });
  const r = (name: string): ScenarioResult => traced.scenarios[name]!;

  it('differential: every flow gives the app the same results and errors with and without the instrumentation', () => {
    for (const name of FLOWS) {
      const a = traced.scenarios[name]!;
      const b = baseline.scenarios[name]!;
      assert.equal(a.error, undefined, `${name}: ${JSON.stringify(a.error)}`);
      // (the abandoned flow's drop time is when, not what, the app saw)
      const seen = (x: ScenarioResult) => (x.result?.droppedAt ? { ...x.result, droppedAt: 0 } : x.result);
      assert.deepEqual(seen(a), seen(b), `${name}: the app saw something else with the instrumentation`);
      assert.deepEqual(a.unhandled, b.unhandled, name);
      assert.deepEqual(
        a.diag.filter((d) => d.level === 'ERROR'),
        [],
        name,
      );
      assertWellFormed(a.spans);
    }
  });

  it('metrics: token usage, duration and cost per response, chat call and embeddings call, by operation', () => {
    const metric = (name: string) => traced.metrics.find((m) => m.name === name && m.scope === '@spanlens/instrumentation-openai')!;
    const ops = (name: string) => new Set(metric(name).points.map((p) => p.attributes['gen_ai.operation.name']));
    // A response is an inference operation (chat) whatever its output; no Assistants runs in these flows.
    assert.ok(!ops('gen_ai.client.operation.duration').has('invoke_agent'));
    for (const op of ['chat', 'embeddings']) {
      assert.ok(ops('gen_ai.client.operation.duration').has(op), `duration for ${op}`);
      assert.ok(ops('gen_ai.client.token.usage').has(op), `tokens for ${op}`);
    }
    const embeddingInput = metric('gen_ai.client.token.usage').points.find((p) => p.attributes['gen_ai.operation.name'] === 'embeddings' && p.attributes['gen_ai.token.type'] === 'input')!;
    const e = r('embeddings').result;
    assert.ok((embeddingInput.value as { sum: number }).sum >= e.a.usage.prompt_tokens);
    const keys = new Set(traced.metrics.flatMap((m) => m.points.flatMap((p) => Object.keys(p.attributes))));
    for (const k of keys) assert.ok(!/conversation|response\.id|thread|run\.id/.test(k), `high-cardinality metric attribute ${k}`);
  });

  it('plain response: a chat span in the app trace with usage, cost, parameters and one message item', () => {
    const res = r('plain').result;
    const span = responseSpan(r('plain').spans, res.id);
    assert.equal(span.name, 'chat gpt-4o-mini');
    assert.equal(span.kind, 'CLIENT');
    assert.equal(span.attributes['spanlens.kind'], 'agent_step');
    assert.equal(span.attributes['gen_ai.usage.input_tokens'], res.usage.input_tokens);
    assert.equal(span.attributes['gen_ai.usage.output_tokens'], res.usage.output_tokens);
    assert.equal(span.attributes['gen_ai.request.temperature'], 0.2);
    assert.equal(span.attributes['gen_ai.request.max_tokens'], 200);
    assert.deepEqual(span.attributes['gen_ai.response.finish_reasons'], ['stop']);
    assert.ok(Number(span.attributes['spanlens.cost.usd']) > 0);
    assert.match(String(span.attributes['gen_ai.input.messages']), /capital of France/);
    const [message] = items(r('plain').spans, span);
    assert.equal(message!.name, 'message');
    assert.equal(message!.attributes['spanlens.item.timing'], 'estimated');
    assert.ok(String(message!.attributes['gen_ai.output.messages']).includes(JSON.stringify(res.text).slice(1, 20)));
  });

  it('conversation: one trace (conversationTraceId), the create call and both responses are roots; user messages counted', () => {
    const { conversationId, responses } = r('conversation').result;
    const trace = inTrace(r('conversation').spans, conversationTraceId(conversationId));
    const create = one(trace, 'openai.conversations.create', { 'spanlens.conversation.created': true });
    assert.equal(create.parentSpanId, undefined);
    const [s1, s2] = responses.map((x: { id: string }) => responseSpan(trace, x.id));
    for (const s of [s1!, s2!]) {
      assert.equal(s.parentSpanId, undefined);
      assert.equal(s.attributes['openai.conversation.id'], undefined, 'gen_ai.conversation.id only');
      assert.equal(s.attributes['gen_ai.conversation.id'], conversationId);
    }
    // The first response answers the seeded item and its own input; the second the added item and its input.
    assert.equal(s1!.attributes['spanlens.user_message.count'], 2);
    assert.equal(s2!.attributes['spanlens.user_message.count'], 2);
    assert.deepEqual(s2!.attributes['spanlens.user_message.texts'], ['I like museums.', 'And in Italy?']);
    one(trace, 'openai.conversations.items.create', { 'gen_ai.conversation.id': conversationId });
    assert.equal(s2!.attributes['spanlens.thread.run_count'], 2);
    const total = Number(s1!.attributes['spanlens.cost.usd']) + Number(s2!.attributes['spanlens.cost.usd']);
    assert.ok(Math.abs(Number(s2!.attributes['spanlens.thread.cost.usd']) - total) < 1e-9);
    assert.ok(all(trace, 'openai.conversations.items.list').length >= 1, 'the app’s item listing is in the conversation trace');
  });

  it('chain: previous_response_id joins the first response’s trace; the app’s tool work is a span of its own, linked to the call', () => {
    const { responses, call } = r('chain').result;
    const spans = r('chain').spans;
    const [s1, s2, s3] = responses.map((x: { id: string }) => responseSpan(spans, x.id));
    assert.equal(s2!.traceId, s1!.traceId);
    assert.equal(s3!.traceId, s1!.traceId);
    assert.equal(s1!.name, 'chat gpt-4o-mini');
    assert.deepEqual(s1!.attributes['gen_ai.response.finish_reasons'], ['tool_calls']);
    assert.equal(s2!.attributes['spanlens.response.previous_id'], s1!.attributes['gen_ai.response.id']);
    assert.equal(s1!.attributes['gen_ai.conversation.id'], undefined);
    assert.equal(s3!.attributes['gen_ai.conversation.id'], s1!.attributes['gen_ai.response.id'], 'the chain’s id: its first response’s');
    const item = one(childrenOf(spans, s1!), 'execute_tool get_weather', { 'gen_ai.tool.call.id': call.id });
    assert.equal(item.attributes['gen_ai.tool.call.arguments'], call.arguments);
    assert.equal(item.attributes['gen_ai.tool.call.result'], undefined);
    const work = one(spans, 'execute_tool get_weather', { 'gen_ai.tool.call.id': call.id, 'gen_ai.tool.call.result': JSON.stringify({ celsius: 21 }) });
    assert.equal(work.traceId, s1!.traceId);
    assert.equal(work.attributes['gen_ai.tool.call.arguments'], call.arguments);
    assert.deepEqual(work.links, [], 'tied to the call by gen_ai.tool.call.id, not a same-trace link');
    assert.ok(work.startMs >= s1!.endMs - 1 && work.endMs <= s2!.startMs + 1, 'from the response’s completion to the output’s submission');
    assert.equal(s3!.attributes['spanlens.thread.run_count'], 3);
  });

  it('tool items: each output item is a child span in the run-step vocabulary; tool fees are costed', () => {
    const res = r('tools').result;
    const spans = r('tools').spans;
    const expect: Record<string, [string, string, string]> = {
      code: ['execute_tool code_interpreter', 'tool', 'code'],
      file_search: ['execute_tool file_search', 'tool', 'retrieval'],
      web_search: ['execute_tool web_search', 'tool', 'web_search'],
      reasoning: ['reasoning', 'llm', 'reasoning'],
      image: ['execute_tool image_generation', 'tool', 'image'],
    };
    for (const [script, [name, kind, subtype]] of Object.entries(expect)) {
      const span = responseSpan(spans, res[script].id);
      const item = one(items(spans, span), name);
      assert.equal(item.attributes['spanlens.kind'], kind, script);
      assert.equal(item.attributes['spanlens.subtype'], subtype, script);
      assert.equal(span.name, 'chat gpt-4o-mini', script);
      assert.equal(item.kind, 'INTERNAL', script);
      assert.deepEqual(
        items(spans, span).map((s) => s.attributes['spanlens.item.type']),
        res[script].types,
        script,
      );
    }
    const mcp = responseSpan(spans, res.mcp.id);
    const mcpCall = items(spans, mcp).find((s) => s.attributes['spanlens.item.type'] === 'mcp_call')!;
    assert.equal(mcpCall.attributes['spanlens.subtype'], 'mcp');
    assert.equal(mcpCall.attributes['spanlens.mcp.server_label'], 'docs');
    const code = one(spans, 'execute_tool code_interpreter');
    assert.ok(code.attributes['spanlens.code.input']);
    assert.ok(code.attributes['openai.container.id']);
    const image = one(spans, 'execute_tool image_generation');
    assert.ok(Number(image.attributes['spanlens.image.base64_chars']) > 0);
    for (const s of spans) for (const v of Object.values(s.attributes)) assert.ok(!String(v).includes('iVBORw0KGgo'), 'image bytes never on a span');
    const web = responseSpan(spans, res.web_search.id);
    const fs = responseSpan(spans, res.file_search.id);
    assert.ok(Number(web.attributes['spanlens.cost.tools_usd']) >= 0.01 - 1e-12, 'web search: $10 per 1k calls');
    assert.ok(Number(fs.attributes['spanlens.cost.tools_usd']) >= 0.0025 - 1e-12, 'file search: $2.50 per 1k calls');
    assert.ok(Number(responseSpan(spans, res.code.id).attributes['spanlens.cost.tools_usd']) >= 0.03 - 1e-12, 'one container');
    const reasoning = responseSpan(spans, res.reasoning.id);
    assert.ok(Number(reasoning.attributes['gen_ai.usage.reasoning.output_tokens']) > 0);
  });

  it('streams: items timed by the client clock, deltas counted, time to first chunk; the helper’s final response is the span’s', () => {
    const res = r('stream').result;
    const spans = r('stream').spans;
    const responses = all(spans, /^chat /, { 'spanlens.kind': 'agent_step' });
    assert.equal(responses.length, 2);
    for (const span of responses) {
      assert.ok(Number(span.attributes['gen_ai.response.time_to_first_chunk']) >= 0);
      assert.equal(span.attributes['gen_ai.request.stream'], true);
      assert.equal(span.attributes['spanlens.response.status'], 'completed');
      const [message] = items(spans, span);
      assert.equal(message!.attributes['spanlens.item.timing'], undefined);
      assert.ok(Number(message!.attributes['spanlens.message.delta.count']) > 0);
    }
    assert.equal(Number(one(items(spans, responseSpan(spans, res.final.id)), 'message').attributes['spanlens.message.delta.count']), res.deltas);
    const fn = r('stream-function');
    const first = responseSpan(fn.spans, fn.result.first.id);
    assert.equal(responseSpan(fn.spans, fn.result.answer.id).traceId, first.traceId);
    assert.equal(one(childrenOf(fn.spans, first), 'execute_tool get_weather').attributes['gen_ai.tool.call.result'], undefined);
    one(fn.spans, 'execute_tool get_weather', { 'gen_ai.tool.call.result': '{"celsius":25}' });
  });

  it('parse: the structured answer is the message item’s output', () => {
    const res = r('parse').result;
    const span = responseSpan(r('parse').spans, res.id);
    assert.equal(span.name, 'chat gpt-4o-mini');
    assert.ok(String(one(items(r('parse').spans, span), 'message').attributes['gen_ai.output.messages']).includes(res.parsed.name));
  });

  it('a background stream left early and resumed with retrieve(stream): one span, ended by the resumed stream', () => {
    const res = r('resume').result;
    const span = responseSpan(r('resume').spans, res.final.id);
    assert.equal(span.attributes['spanlens.response.status'], 'completed');
    assert.equal(span.attributes['spanlens.response.end_reason'], undefined);
    assert.equal(span.attributes['spanlens.response.background'], true);
    assert.equal(all(r('resume').spans, /^chat /, { 'spanlens.kind': 'agent_step' }).length, 1);
  });

  it('a stream the app breaks off ends its response span, marked stream_aborted', () => {
    const spans = r('stream-break').spans;
    const span = one(spans, /^chat /, { 'spanlens.kind': 'agent_step' });
    assert.equal(span.attributes['spanlens.response.end_reason'], 'stream_aborted');
  });

  it('background: one span across the app’s polls (events), a cancel ends it cancelled', () => {
    const res = r('background').result;
    const spans = r('background').spans;
    const span = responseSpan(spans, res.final.id);
    const polls = span.events.filter((e) => e.name === 'openai.response.poll');
    assert.equal(polls.length, res.statuses.length - 1);
    assert.equal(span.attributes['spanlens.response.background'], true);
    assert.equal(span.attributes['spanlens.response.poll_count'], res.statuses.length - 1);
    const cancelled = responseSpan(spans, res.cancelled.id);
    assert.equal(cancelled.attributes['spanlens.response.status'], 'cancelled');
    assert.ok(cancelled.events.some((e) => e.name === 'openai.response.cancel'));
    assert.deepEqual(cancelled.attributes['gen_ai.response.finish_reasons'], ['cancelled']);
  });

  it('failures: failed → ERROR with error.type; incomplete → reason; HTTP errors and cut streams are truthful spans', () => {
    const res = r('failures').result;
    const spans = r('failures').spans;
    const failed = all(spans, /^chat /, { 'spanlens.response.status': 'failed' });
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.status.code, 'ERROR');
    assert.ok(failed[0]!.attributes['error.type']);
    const incomplete = one(spans, /^chat /, { 'spanlens.response.status': 'incomplete' });
    assert.equal(incomplete.attributes['spanlens.run.incomplete_reason'], 'max_output_tokens');
    assert.deepEqual(incomplete.attributes['gen_ai.response.finish_reasons'], ['length']);
    assert.equal(res['status 500'].name, 'InternalServerError');
    const http500 = one(spans, /^chat /, { 'http.response.status_code': 500 });
    assert.equal(http500.status.code, 'ERROR');
    assert.equal(http500.attributes['error.type'], 'InternalServerError');
    // The SDK retried the 429 once (two requests), still 429: one span for the call, not one per attempt.
    assert.equal(res['status 429 then retried'].name, 'RateLimitError');
    assert.equal(emulator.requests.filter((q) => q.fault === 'status:429').length, 2);
    assert.equal(all(spans, /^chat /, { 'http.response.status_code': 429 }).length, 1);
    assert.equal(res['reset before headers'].name, 'APIConnectionError');
    assert.equal(one(spans, /^chat /, { 'error.type': 'APIConnectionError' }).status.code, 'ERROR');
    const truncated = one(spans, /^chat /, { 'spanlens.response.end_reason': 'stream_truncated' });
    assert.equal(truncated.attributes['spanlens.response.status'], 'in_progress');
    const chatErrors = all(spans, 'chat gpt-4o-mini', { 'spanlens.stream.end_reason': 'error' });
    assert.equal(chatErrors.length, 3, 'the cut chat stream, the one with a malformed chunk, the one with an error chunk');
    for (const s of chatErrors) assert.equal(s.status.code, 'ERROR');
    assert.equal(res['stream malformed event'].name, 'SyntaxError');
    assert.ok(all(spans, /^chat /, { 'error.type': 'SyntaxError' }).length >= 2, 'malformed stream data is the span’s error');
    assert.equal(res['embeddings 503'].name, 'InternalServerError');
    assert.equal(one(spans, 'embeddings text-embedding-3-small', { 'http.response.status_code': 503 }).status.code, 'ERROR');
    const cut = all(spans, /^chat /, { 'spanlens.response.end_reason': 'stream_error' });
    assert.ok(cut.length >= 1, 'the cut or error-event stream ends its span as an error');
    for (const s of cut) assert.equal(s.status.code, 'ERROR');
  });

  it('without ThreadTraceIdGenerator a chain still is one trace: each later response a child of the one it continues', async () => {
    const run = await runCell(cell, { scenarios: scenarios.filter((x) => x.name === 'chain' || x.name === 'conversation'), baseURL: emulator.baseURL, idGenerator: false });
    const chain = run.scenarios.chain!;
    const [s1, s2, s3] = chain.result.responses.map((x: { id: string }) => responseSpan(chain.spans, x.id));
    assert.equal(s2!.traceId, s1!.traceId);
    assert.equal(s2!.parentSpanId, s1!.spanId);
    assert.equal(s3!.parentSpanId, s1!.spanId, 'the chain continues under the response that started the trace');
    const conv = run.scenarios.conversation!;
    for (const x of conv.result.responses) assert.equal(responseSpan(conv.spans, x.id).traceId, conversationTraceId(conv.result.conversationId));
  });

  it('chat completions: GenAI chat spans in the app trace (plain, streamed with usage, runTools calls, parse)', () => {
    const res = r('chat').result;
    const spans = all(r('chat').spans, 'chat gpt-4o-mini', { 'spanlens.kind': 'llm', 'gen_ai.operation.name': 'chat' });
    assert.ok(spans.length >= 6, `plain + stream + 2 runTools calls + stream() + parse, got ${spans.length}`);
    one(spans, 'chat gpt-4o-mini', { 'gen_ai.response.id': res.helper.id, 'gen_ai.request.stream': true });
    const plain = one(spans, 'chat gpt-4o-mini', { 'gen_ai.response.id': res.plain.id });
    assert.equal(plain.attributes['gen_ai.usage.input_tokens'], res.plain.usage.prompt_tokens);
    assert.equal(plain.attributes['gen_ai.request.seed'], 7);
    assert.ok(Number(plain.attributes['spanlens.cost.usd']) > 0);
    const streamed = spans.find((s) => s.attributes['gen_ai.request.stream'] === true && s.attributes['gen_ai.response.id'] !== res.helper.id)!;
    assert.ok(Number(streamed.attributes['gen_ai.usage.output_tokens']) > 0, 'usage from the include_usage chunk');
    assert.ok(Number(streamed.attributes['gen_ai.response.time_to_first_chunk']) >= 0);
    assert.match(String(streamed.attributes['gen_ai.output.messages']), new RegExp(res.chunks.filter((c: string) => c && c !== 'usage')[0]!.slice(0, 3)));
    const toolCall = spans.find((s) => JSON.stringify(s.attributes['gen_ai.response.finish_reasons']) === '["tool_calls"]');
    assert.ok(toolCall, 'runTools: the call that asked for the tool');
    assert.match(String(toolCall!.attributes['gen_ai.output.messages']), /get_weather/);
    const parse = spans.find((s) => s.attributes['gen_ai.output.type'] === 'json');
    assert.ok(parse, 'parse: json output type');
  });

  it('a stream the app drops unfinished ends its span once collected: chat never read, a response left mid-way', () => {
    const { result, spans } = r('abandoned');
    const chat = one(spans, 'chat gpt-4o-mini', { 'gen_ai.request.stream': true, 'openai.api.type': 'chat_completions' });
    assert.equal(chat.status.code, 'UNSET', 'the app dropped it: not an error');
    assert.equal(chat.attributes['http.response.status_code'], 200);
    const response = responseSpan(spans, result.responseId);
    assert.equal(response.attributes['spanlens.response.end_reason'], 'stream_abandoned');
    // Ended at the last event seen (the response's headers for the chat), not when the collector ran.
    assert.ok(response.endMs <= result.droppedAt + 1, `ended ${response.endMs - result.droppedAt} ms after the drop`);
    // openai 7 aborts a collected stream's request itself (its own FinalizationRegistry); when that comes
    // first, the unread chat stream ends 'aborted', then.
    if (chat.attributes['spanlens.stream.end_reason'] === 'abandoned') assert.ok(chat.endMs <= result.droppedAt + 1);
    else assert.equal(chat.attributes['spanlens.stream.end_reason'], cell.openai >= 7 ? 'aborted' : 'abandoned');
  });

  it('embeddings: one span per call with dimensions, input tokens and cost', () => {
    const res = r('embeddings').result;
    const spans = all(r('embeddings').spans, 'embeddings text-embedding-3-small', { 'gen_ai.operation.name': 'embeddings' });
    assert.equal(spans.length, 2);
    assert.equal(spans[0]!.attributes['gen_ai.usage.input_tokens'], res.a.usage.prompt_tokens);
    assert.equal(spans[0]!.attributes['gen_ai.embeddings.dimension.count'], res.a.dims);
    assert.equal(spans[1]!.attributes['gen_ai.embeddings.dimension.count'], 8);
    assert.ok(Number(spans[0]!.attributes['spanlens.cost.usd']) > 0);
  });
});

// Content policy on the new spans: off removes every text; the redaction hook sees every captured value.
const CONTENT_FLOWS = scenarios.filter((s) => ['conversation', 'chain', 'tools', 'stream', 'stream-function', 'chat'].includes(s.name));

forEachCell((cell) => {
  it('content off: no message text, tool arguments or results, code, queries or summaries on any span', async () => {
    const emulator = await fresh();
    const run = await runCell(cell, { scenarios: CONTENT_FLOWS, baseURL: emulator.baseURL, instrumentationConfig: { captureContent: false } });
    const spans = Object.values(run.scenarios).flatMap((s) => s.spans);
    assert.ok(spans.length > 40, 'spans still emitted');
    assert.deepEqual(contentValues(spans), []);
    const dump = JSON.stringify(spans);
    for (const phrase of ['Which city should I visit', 'I like museums', '"celsius"', 'Count to five', 'Tell me a short story', 'Weather in Oslo'])
      assert.ok(!dump.includes(phrase), `${phrase} leaked`);
    for (const r of Object.values(run.scenarios)) for (const resp of r.result.responses ?? []) if (resp.text) assert.ok(!dump.includes(resp.text.slice(0, 24)), 'answer text leaked');
  });

  it('a function call the app never answers: the response and its call item end with the response, no tool span (toolOutputWaitMs accepted, unused)', async () => {
    const emulator = await fresh();
    const run = await runCell(cell, {
      scenarios: [{ name: 'u', module: MODULE, args: { flow: 'unanswered', waitMs: 300 } }],
      baseURL: emulator.baseURL,
      instrumentationConfig: { toolOutputWaitMs: 50 },
    });
    const u = run.scenarios.u!;
    const span = responseSpan(u.spans, u.result.id);
    assert.deepEqual(span.attributes['gen_ai.response.finish_reasons'], ['tool_calls']);
    const tool = one(u.spans, 'execute_tool get_weather');
    assert.equal(tool.parentSpanId, span.spanId);
    assert.ok(tool.attributes['gen_ai.tool.call.arguments']);
    assert.equal(tool.attributes['gen_ai.tool.call.result'], undefined);
    assert.ok(span.endMs - span.startMs < 300, 'the span ends at the response, not when a wait ran out');
  });

  it('redaction hook and truncation apply to every captured value of the new spans', async () => {
    const emulator = await fresh();
    const run = await runCell(cell, { scenarios: CONTENT_FLOWS, baseURL: emulator.baseURL, ...REDACTING_CONFIG });
    const values = contentValues(Object.values(run.scenarios).flatMap((s) => s.spans));
    assert.ok(values.length >= 20, `content captured (${values.length})`);
    for (const [name, key, value] of values) {
      for (const v of Array.isArray(value) ? value : [value]) {
        assert.ok(String(v).startsWith(`[seen:${key}]`), `${name} ${key} did not pass the hook: ${String(v).slice(0, 80)}`);
        assert.ok(String(v).length <= 64 + 40, `${name} ${key} not truncated`);
      }
    }
  });
}, spreadCells());
