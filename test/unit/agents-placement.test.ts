// Where an agent run's tree lives, and what its root adds up: real `@openai/agents` runs (0.20, its own
// openai 7) over HTTP against the emulator. A run that belongs to a conversation (conversationId, a
// previousResponseId chain, the SDK's groupId) lives in that conversation's trace, as threads do; else under
// the app's span; else in a trace of its own (the SDK's trace id). traceScope 'request' keeps every run in
// the app's trace, the conversation on attributes and a link. The root carries the run's usage and cost:
// the sum of its model calls (our Responses spans).
//
// The run's options reach the bridge through Runner.run's wrapper (runner.ts), as in an app.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { trace } from '@opentelemetry/api';
import { conversationKey, groupKey } from '../../src/trace/trace-ids';
import { checkSpans, summarize } from '../support/conformance';
import { assertWellFormed, childrenOf } from '../support/spans';
import { cityTool, startAgents, type AgentsSDK, type Zod } from './support/agents';
import type { SpanJSON, Tracing } from './support/tracing';

type RunOptions = { conversationId?: string; previousResponseId?: string; session?: InstanceType<AgentsSDK['OpenAIConversationsSession']> };

let t: Tracing;
let sdk: AgentsSDK;
let z: Zod;

before(async () => {
  ({ t, sdk, z } = await startAgents());
});

after(async () => {
  await t.close();
});

function agent() {
  const getWeather = cityTool({ sdk, z }, 'get_weather', (city) => `Sunny in ${city}`);
  return new sdk.Agent({ name: 'Weather agent', model: 'gpt-4.1-mini', instructions: 'Use the tool.', tools: [getWeather] });
}

function run(input: string, options: RunOptions = {}, runner?: InstanceType<AgentsSDK['Runner']>) {
  return runner ? runner.run(agent(), input, options) : sdk.run(agent(), input, options);
}

/** The run roots (in start order) and every span. */
async function roots(): Promise<{ all: SpanJSON[]; roots: SpanJSON[] }> {
  const all = await t.spans();
  // The app's span is timed by the OTel SDK's Date.now()-anchored clock, ours by performance.timeOrigin:
  // a run ending as the app span ends may read a fraction of a ms past it; the run's own tree is checked.
  assertWellFormed(all.filter((s) => s.name !== 'handle request'));
  const found = all.filter((s) => s.name === 'invoke_agent Weather agent').sort((a, b) => a.startMs - b.startMs);
  return { all, roots: found };
}

const chatsUnder = (all: SpanJSON[], root: SpanJSON) => childrenOf(all, root).filter((s) => s.name.startsWith('chat '));
const linkOf = (s: SpanJSON, kind: string) => s.links.find((l) => l.attributes['spanlens.link'] === kind);

/** Inside an app span: returns its context. */
async function inAppSpan(work: () => Promise<unknown>) {
  return trace.getTracer('agents-placement-test').startActiveSpan('handle request', async (span) => {
    try {
      await work();
      return span.spanContext();
    } finally {
      span.end();
    }
  });
}

it("conversationId: the run lives in the conversation's trace (caller link to the app span); the root names the conversation", async () => {
  t.configure({});
  t.reset();
  const conv = await t.client.conversations.create({});
  const app = await inAppSpan(() => run('What is the weather in Berlin?', { conversationId: conv.id }));
  await run('And in Paris?', { conversationId: conv.id });
  const {
    all,
    roots: [first, second],
  } = await roots();
  const key = conversationKey(conv.id);
  for (const root of [first!, second!]) {
    assert.equal(root.traceId, key.traceId, "the conversation's trace");
    assert.equal(root.parentSpanId, undefined, 'a root of the conversation trace');
    assert.equal(root.attributes['gen_ai.conversation.id'], conv.id);
    assert.equal(chatsUnder(all, root).length, 2, 'its model calls under it');
  }
  assert.equal(linkOf(first!, 'caller')?.spanId, app.spanId, "the app's span is a caller link");
  assert.equal(linkOf(second!, 'caller'), undefined);
});

it("an OpenAIConversationsSession: the run lives in its conversation's trace", async () => {
  t.configure({});
  t.reset();
  const conv = await t.client.conversations.create({});
  const session = new sdk.OpenAIConversationsSession({ conversationId: conv.id });
  await run('What is the weather in Berlin?', { session });
  const {
    all,
    roots: [root],
  } = await roots();
  assert.equal(root!.traceId, conversationKey(conv.id).traceId);
  assert.equal(root!.attributes['gen_ai.conversation.id'], conv.id);
  assert.equal(chatsUnder(all, root!).length, 2);
});

it('an OpenAIConversationsSession that creates its conversation in its first run: that run is placed in it too (streamed or not)', async () => {
  t.configure({});
  t.reset();
  // The SDK reads the session's history (which creates the conversation) in Runner.run, before the run's
  // trace starts: the conversation id is known when the root is placed.
  const session = new sdk.OpenAIConversationsSession();
  assert.equal(session.sessionId, undefined, 'no conversation yet');
  await run('What is the weather in Berlin?', { session });
  const conversationId = session.sessionId;
  assert.match(String(conversationId), /^conv_/);
  await run('And in Paris?', { session });
  const streamed = new sdk.OpenAIConversationsSession();
  const stream = await sdk.run(agent(), 'And in Rome?', { session: streamed, stream: true });
  await stream.completed;
  const {
    all,
    roots: [first, second, third],
  } = await roots();
  for (const root of [first!, second!]) {
    assert.equal(root.traceId, conversationKey(conversationId!).traceId, "the conversation's trace, from the first run on");
    assert.equal(root.attributes['gen_ai.conversation.id'], conversationId);
    assert.equal(chatsUnder(all, root).length, 2);
  }
  assert.equal(third!.traceId, conversationKey(streamed.sessionId!).traceId, 'a streamed first run too');
  const create = all.find((s) => s.name === 'openai.conversations.create' && s.attributes['gen_ai.conversation.id'] === conversationId);
  assert.equal(create?.traceId, first!.traceId, "the session's conversations.create call is in the same trace");
});

it("traceScope 'request': a conversation's run stays in the app's trace, the conversation on attributes and a link", async () => {
  t.configure({ traceScope: 'request' });
  try {
    t.reset();
    const conv = await t.client.conversations.create({});
    const app = await inAppSpan(() => run('What is the weather in Berlin?', { conversationId: conv.id }));
    const {
      all,
      roots: [root],
    } = await roots();
    assert.equal(root!.traceId, app.traceId);
    assert.equal(root!.parentSpanId, app.spanId);
    assert.equal(root!.attributes['gen_ai.conversation.id'], conv.id);
    assert.equal(linkOf(root!, 'conversation')?.traceId, conversationKey(conv.id).traceId);
    assert.equal(chatsUnder(all, root!).length, 2);

    // No app span: a trace of its own (the SDK's trace id), still linked to the conversation.
    t.reset();
    await run('And in Paris?', { conversationId: conv.id });
    const {
      roots: [own],
    } = await roots();
    assert.equal(own!.traceId, String(own!.attributes['spanlens.agents.trace_id']).slice('trace_'.length));
    assert.equal(linkOf(own!, 'conversation')?.traceId, conversationKey(conv.id).traceId);
  } finally {
    t.configure({});
  }
});

it("previousResponseId: the second run joins the first's trace (the chain's)", async () => {
  t.configure({});
  t.reset();
  const first = await run('What is the weather in Berlin?');
  assert.ok(first.lastResponseId);
  await run('And in Paris?', { previousResponseId: first.lastResponseId });
  const {
    all,
    roots: [r1, r2],
  } = await roots();
  assert.equal(r2!.traceId, r1!.traceId, "the chain's trace");
  assert.equal(r2!.attributes['spanlens.response.previous_id'], first.lastResponseId);
  assert.equal(chatsUnder(all, r2!).length, 2);

  // traceScope 'request' with no app span: its own trace.
  t.configure({ traceScope: 'request' });
  try {
    t.reset();
    const again = await run('Berlin?');
    await run('Paris?', { previousResponseId: again.lastResponseId });
    const {
      roots: [a, b],
    } = await roots();
    assert.notEqual(b!.traceId, a!.traceId);
    assert.equal(linkOf(b!, 'conversation')?.traceId, a!.traceId);
  } finally {
    t.configure({});
  }
});

it("groupId: runs of one group share the group's trace; without a conversation, the app's span, else the SDK's trace id", async () => {
  t.configure({});
  t.reset();
  const runner = new sdk.Runner({ groupId: 'chat-42' });
  await run('Berlin?', {}, runner);
  await inAppSpan(() => run('Paris?', {}, runner));
  const { roots: grouped } = await roots();
  assert.equal(grouped.length, 2);
  for (const root of grouped) {
    assert.equal(root.traceId, groupKey('chat-42').traceId);
    assert.equal(root.attributes['spanlens.agents.group_id'], 'chat-42');
  }

  t.reset();
  const app = await inAppSpan(() => run('Rome?'));
  await run('Oslo?');
  const {
    roots: [inApp, alone],
  } = await roots();
  assert.equal(inApp!.parentSpanId, app.spanId);
  assert.equal(alone!.parentSpanId, undefined);
  assert.equal(alone!.traceId, String(alone!.attributes['spanlens.agents.trace_id']).slice('trace_'.length));
});

it("the root carries the run's usage and cost: the sum of its model calls; each user message counted once in the conversation", async () => {
  t.configure({});
  t.reset();
  const conv = await t.client.conversations.create({});
  await run('What is the weather in Berlin?', { conversationId: conv.id });
  await run('And in Paris?', { conversationId: conv.id });
  const { all, roots: found } = await roots();
  const sum = (spans: SpanJSON[], name: string) => spans.reduce((n, s) => n + Number(s.attributes[name] ?? 0), 0);
  let conversationCost = 0;
  for (const root of found) {
    const chats = chatsUnder(all, root);
    assert.equal(chats.length, 2);
    assert.equal(root.attributes['spanlens.agent.model_calls'], 2);
    for (const name of ['gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens']) {
      assert.ok(sum(chats, name) > 0, name);
      assert.equal(root.attributes[name], sum(chats, name), `${name} on the root = Σ its chat spans`);
    }
    for (const name of ['spanlens.cost.usd', 'spanlens.cost.input_usd', 'spanlens.cost.output_usd']) {
      assert.ok(Math.abs(Number(root.attributes[name]) - sum(chats, name)) < 1e-9, `${name} on the root = Σ its chat spans`);
    }
    assert.equal(sum(chats, 'spanlens.user_message.count'), 1, 'the user message is counted once (by the first model call)');
    conversationCost += sum(chats, 'spanlens.cost.usd');
  }
  const violations = checkSpans(all, { model: 'gpt-4.1-mini', api: 'responses', agentName: 'Weather agent' });
  assert.equal(violations.length, 0, summarize(violations));
  const last = all
    .filter((s) => s.name.startsWith('chat '))
    .sort((a, b) => a.startMs - b.startMs)
    .at(-1)!;
  assert.equal(last.attributes['spanlens.thread.run_count'], 4, "every agent-managed call counts in the conversation's ledger");
  assert.ok(Math.abs(Number(last.attributes['spanlens.thread.cost.usd']) - conversationCost) < 1e-9);
});
