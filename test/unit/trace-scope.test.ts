// traceScope: where a thread's, a conversation's and a response chain's operations go. 'conversation'
// (default): their own trace, the app's span as a `caller` link. 'request': the app's current trace (a child
// of its active span, or a new trace's root), with a `conversation` link to the thread's / conversation's
// derived root (a chain's first response) and the ids still on attributes.
import assert from 'node:assert/strict';
import { after, before, beforeEach, it } from 'node:test';
import { trace } from '@opentelemetry/api';
import type { Run } from 'openai/resources/beta/threads/runs/runs';
import { conversationTraceId, threadRootSpanId, threadTraceId } from '../../src/index';
import { conversationKey } from '../../src/trace/trace-ids';
import { all, assertWellFormed, childrenOf, inTrace, one } from '../support/spans';
import { startTracing, type SpanJSON, type Tracing } from './support/tracing';

const MODEL = 'gpt-4o-mini';
const weather = {
  type: 'function' as const,
  name: 'get_weather',
  strict: true,
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
};
const TERMINAL = ['completed', 'failed', 'cancelled', 'expired', 'incomplete'];

let t: Tracing;
before(async () => {
  t = await startTracing({}, { seed: 19 });
});
after(() => t.close());
beforeEach(() => t.reset());

/**
 * Runs `fn` inside an active app span ('handle request'), as a web handler would. It ends 2 ms after `fn`:
 * the SDK anchors a span's clock to Date.now() at its start (up to 1 ms off performance time), so a child
 * ending just before the app span could otherwise show as ending after it.
 */
async function inAppSpan<T>(fn: () => Promise<T>): Promise<T> {
  return trace.getTracer('unit-app').startActiveSpan('handle request', async (span) => {
    try {
      return await fn();
    } finally {
      await new Promise((r) => setTimeout(r, 2));
      span.end();
    }
  });
}

/** A thread with two runs: the first calls a function (answered), the second answers. */
async function threadWithTwoRuns(): Promise<{ threadId: string; runs: string[] }> {
  const api = t.client.beta;
  const assistant = await api.assistants.create({ name: 'Scope agent', model: MODEL, tools: [{ type: 'function', function: { name: 'get_weather', parameters: weather.parameters } }] });
  const thread = await api.threads.create();
  const runs: string[] = [];
  for (const script of ['function', 'answer']) {
    await api.threads.messages.create(thread.id, { role: 'user', content: `Turn ${runs.length + 1}` });
    let run: Run = await api.threads.runs.create(thread.id, { assistant_id: assistant.id, metadata: { script } });
    while (!TERMINAL.includes(run.status)) {
      if (run.status === 'requires_action') {
        const tool_outputs = run.required_action!.submit_tool_outputs.tool_calls.map((c) => ({ tool_call_id: c.id, output: '{"celsius":21}' }));
        run = await api.threads.runs.submitToolOutputs(run.id, { thread_id: thread.id, tool_outputs });
      } else run = await api.threads.runs.retrieve(run.id, { thread_id: thread.id });
    }
    assert.equal(run.status, 'completed');
    runs.push(run.id);
  }
  return { threadId: thread.id, runs };
}

async function conversationWithTwoResponses(): Promise<{ conversationId: string; responses: string[] }> {
  const conv = await t.client.conversations.create({ items: [{ type: 'message', role: 'user', content: 'Hi.' }] });
  const r1 = await t.client.responses.create({ model: MODEL, conversation: conv.id, input: 'Which city in France?' });
  const r2 = await t.client.responses.create({ model: MODEL, conversation: conv.id, input: 'And in Italy?' });
  return { conversationId: conv.id, responses: [r1.id, r2.id] };
}

/** r1 calls a function, r2 sends its output (previous_response_id), r3 continues r2. */
async function chainOfThree(): Promise<{ responses: string[]; callId: string }> {
  const r1 = await t.client.responses.create({ model: MODEL, input: 'Weather in Paris?', tools: [weather] });
  const call = r1.output.find((o) => o.type === 'function_call');
  assert.ok(call && call.type === 'function_call');
  const output = { type: 'function_call_output' as const, call_id: call.call_id, output: '{"celsius":21}' };
  const r2 = await t.client.responses.create({ model: MODEL, previous_response_id: r1.id, tools: [weather], input: [output] });
  const r3 = await t.client.responses.create({ model: MODEL, previous_response_id: r2.id, input: 'Tomorrow?' });
  return { responses: [r1.id, r2.id, r3.id], callId: call.call_id };
}

const ours = (spans: SpanJSON[]) => spans.filter((s) => s.name !== 'handle request');
const topLevel = (spans: SpanJSON[]) => {
  const ids = new Set(spans.map((s) => s.spanId));
  return spans.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId));
};
const callerLink = (app: SpanJSON) => ({ traceId: app.traceId, spanId: app.spanId, attributes: { 'spanlens.link': 'caller' } });
const conversationLink = (traceId: string, spanId: string) => ({ traceId, spanId, attributes: { 'spanlens.link': 'conversation' } });
const threadLink = (threadId: string) => conversationLink(threadTraceId(threadId), threadRootSpanId(threadId));
const convLink = (conversationId: string) => conversationLink(conversationTraceId(conversationId), conversationKey(conversationId).fallbackParentSpanId);

it("conversation scope (default): a thread's calls and runs are roots of the thread's trace, the app span a link", async () => {
  const { threadId, runs } = await inAppSpan(threadWithTwoRuns);
  const spans = await t.spans();
  assertWellFormed(spans);
  const app = one(spans, 'handle request');
  assert.deepEqual(
    inTrace(spans, app.traceId)
      .map((s) => s.name)
      .sort(),
    ['create_agent Scope agent', 'handle request'],
    'nothing of the thread in the request trace',
  );
  const thread = inTrace(spans, threadTraceId(threadId));
  for (const s of topLevel(thread)) {
    assert.equal(s.parentSpanId, undefined, `${s.name} is a root`);
    assert.deepEqual(s.links, [callerLink(app)], `${s.name} links the app span`);
    assert.equal(s.attributes['openai.thread.id'], threadId);
  }
  for (const id of runs) one(thread, /^invoke_agent /, { 'openai.run.id': id });
  assert.ok(all(thread, /^chat /).length >= 3, 'step spans stay under their runs');
});

it("request scope: a thread's calls and runs are children of the app span, the thread on attributes and a link", async () => {
  t.configure({ traceScope: 'request' });
  try {
    const { threadId, runs } = await inAppSpan(threadWithTwoRuns);
    const spans = await t.spans();
    assertWellFormed(spans);
    const app = one(spans, 'handle request');
    assert.deepEqual(inTrace(spans, threadTraceId(threadId)), [], "no span in the thread's own trace");
    assert.equal(inTrace(spans, app.traceId).length, spans.length, "every span in the app's trace");
    const children = childrenOf(spans, app);
    assert.deepEqual(topLevel(ours(spans)), children, 'every top-level span is a child of the app span');
    for (const s of children.filter((c) => c.name !== 'create_agent Scope agent')) {
      assert.equal(s.attributes['openai.thread.id'], threadId, `${s.name} names the thread`);
      assert.equal(s.attributes['gen_ai.conversation.id'], threadId);
      assert.deepEqual(s.links, [threadLink(threadId)], `${s.name} links the thread's root`);
    }
    one(children, 'openai.threads.create');
    for (const id of runs) {
      const run = one(children, /^invoke_agent /, { 'openai.run.id': id });
      assert.ok(childrenOf(spans, run).length > 0, 'step spans follow their run');
    }
  } finally {
    t.configure({});
  }
});

it('conversation scope: a conversation is one trace of roots; request scope: both responses under the app span', async () => {
  const before = await inAppSpan(conversationWithTwoResponses);
  let spans = await t.spans();
  let app = one(spans, 'handle request');
  const convTrace = inTrace(spans, conversationTraceId(before.conversationId));
  assert.equal(convTrace.filter((s) => s.parentSpanId === undefined).length, 3, 'create call and two responses are roots');
  for (const s of convTrace.filter((x) => x.parentSpanId === undefined)) assert.deepEqual(s.links, [callerLink(app)]);

  t.reset();
  t.configure({ traceScope: 'request' });
  try {
    const { conversationId, responses } = await inAppSpan(conversationWithTwoResponses);
    spans = await t.spans();
    assertWellFormed(spans);
    app = one(spans, 'handle request');
    assert.deepEqual(inTrace(spans, conversationTraceId(conversationId)), []);
    assert.equal(inTrace(spans, app.traceId).length, spans.length);
    const children = childrenOf(spans, app);
    assert.deepEqual(children.map((s) => s.name).sort(), ['chat gpt-4o-mini', 'chat gpt-4o-mini', 'openai.conversations.create']);
    for (const s of children) {
      assert.equal(s.attributes['gen_ai.conversation.id'], conversationId);
      assert.deepEqual(s.links, [convLink(conversationId)]);
    }
    for (const id of responses) one(children, /^chat /, { 'gen_ai.response.id': id });
  } finally {
    t.configure({});
  }
});

it('previous_response_id chain: conversation scope joins the first response’s trace; request scope stays under the app span', async () => {
  await inAppSpan(chainOfThree);
  let spans = await t.spans();
  let app = one(spans, 'handle request');
  const byId = (s: SpanJSON[], id: string) => one(s, /^chat /, { 'gen_ai.response.id': id });
  const before = all(spans, /^chat /, { 'spanlens.kind': 'agent_step' });
  assert.equal(before.length, 3);
  const first = before.find((s) => s.parentSpanId === app.spanId)!;
  for (const s of before.filter((x) => x !== first)) {
    assert.equal(s.traceId, first.traceId);
    assert.equal(s.parentSpanId, undefined, 'a root of the chain’s trace (ThreadTraceIdGenerator)');
    assert.deepEqual(s.links, [callerLink(app)]);
  }

  t.reset();
  t.configure({ traceScope: 'request' });
  try {
    const { responses, callId } = await inAppSpan(chainOfThree);
    spans = await t.spans();
    assertWellFormed(spans);
    app = one(spans, 'handle request');
    assert.equal(inTrace(spans, app.traceId).length, spans.length);
    const [s1, s2, s3] = responses.map((id) => byId(spans, id));
    for (const s of [s1!, s2!, s3!]) assert.equal(s.parentSpanId, app.spanId);
    assert.deepEqual(s1!.links, [], 'the first response is a plain child');
    for (const s of [s2!, s3!]) {
      assert.equal(s.attributes['gen_ai.conversation.id'], responses[0]);
      assert.deepEqual(s.links, [conversationLink(s1!.traceId, s1!.spanId)], 'links the chain’s first response');
    }
    // The app's tool work: under the app span (the request that sent the output), linked to the chain.
    one(childrenOf(spans, s1!), 'execute_tool get_weather', { 'gen_ai.tool.call.id': callId });
    const work = one(spans, 'execute_tool get_weather', { 'gen_ai.tool.call.id': callId, 'gen_ai.tool.call.result': '{"celsius":21}' });
    assert.equal(work.parentSpanId, app.spanId);
    assert.deepEqual(work.links, [conversationLink(s1!.traceId, s1!.spanId)]);
  } finally {
    t.configure({});
  }
});

it('no app span: conversation scope puts everything in the derived traces; request scope makes each operation a trace of its own', async () => {
  const thread = await threadWithTwoRuns();
  const conv = await conversationWithTwoResponses();
  let spans = await t.spans();
  const about = (s: SpanJSON) => s.attributes['gen_ai.conversation.id'] !== undefined;
  assert.equal(
    topLevel(spans)
      .filter((s) => !about(s))
      .map((s) => s.name)
      .join(),
    'create_agent Scope agent',
    'only the assistant is no thread call',
  );
  for (const s of topLevel(spans).filter(about)) {
    assert.ok([threadTraceId(thread.threadId), conversationTraceId(conv.conversationId)].includes(s.traceId), `${s.name} in a derived trace`);
    assert.equal(s.parentSpanId, undefined);
    assert.deepEqual(s.links, [], 'no app span: no caller link');
  }

  t.reset();
  t.configure({ traceScope: 'request' });
  try {
    const { threadId, runs } = await threadWithTwoRuns();
    const { conversationId } = await conversationWithTwoResponses();
    spans = await t.spans();
    assertWellFormed(spans);
    assert.deepEqual(inTrace(spans, threadTraceId(threadId)), []);
    assert.deepEqual(inTrace(spans, conversationTraceId(conversationId)), []);
    const roots = spans.filter((s) => s.parentSpanId === undefined && about(s));
    assert.equal(new Set(roots.map((s) => s.traceId)).size, roots.length, 'each operation is a trace of its own');
    for (const s of roots) {
      const link = s.attributes['openai.thread.id'] === threadId ? threadLink(threadId) : convLink(conversationId);
      assert.deepEqual(s.links, [link], `${s.name} links its thread or conversation`);
    }
    for (const id of runs) assert.ok(childrenOf(spans, one(roots, /^invoke_agent /, { 'openai.run.id': id })).length > 0);
  } finally {
    t.configure({});
  }
});
