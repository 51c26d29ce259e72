// The Agents SDK with `useResponsesWebSocket: true`: its model calls go over its own Responses WebSocket
// transport (ResponsesWebSocketConnection on the global WebSocket; Node 20 has none, so the test gives it
// the `ws` package's, as an app on Node 20 must). The run's tree must be the one the same run gives over HTTP:
// its chat spans under the agent, the tool beside them, with the same attributes.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { all, childrenOf } from '../support/spans';
import { cityTool, outline, runSpans, startAgents, type AgentsTracing } from './support/agents';
import type { SpanJSON } from './support/tracing';

let a: AgentsTracing;
const hadWebSocket = 'WebSocket' in globalThis;

before(async () => {
  a = await startAgents();
  if (!hadWebSocket) (globalThis as { WebSocket?: unknown }).WebSocket = (createRequire(__filename)('ws') as { WebSocket: unknown }).WebSocket;
});
after(async () => {
  if (!hadWebSocket) delete (globalThis as { WebSocket?: unknown }).WebSocket;
  await a.t.close();
});

/** The run's result as the app sees it (the items' types and the output). */
async function weatherResult(name: string, useResponsesWebSocket: boolean): Promise<{ output: unknown; items: string[] }> {
  const { sdk } = a;
  const agent = new sdk.Agent({ name, instructions: 'Answer with the weather. [emulator:call=get_weather]', model: 'gpt-4.1-mini', tools: [cityTool(a, 'get_weather', (c) => `Sunny in ${c}`)] });
  const runner = new sdk.Runner({ modelProvider: new sdk.OpenAIProvider({ useResponsesWebSocket }) });
  const result = await runner.run(agent, 'Weather in Paris?');
  return { output: result.finalOutput, items: result.newItems.map((i) => i.type) };
}

async function weatherRun(name: string, useResponsesWebSocket: boolean): Promise<{ spans: SpanJSON[]; root: SpanJSON; output: unknown }> {
  const { output } = await weatherResult(name, useResponsesWebSocket);
  return { ...(await runSpans(a.t, `invoke_agent ${name}`)), output };
}

/** What the SDK sent over the socket, with the per-run ids replaced. */
const sentFrames = () => JSON.stringify(a.t.emulator.requests.map((r) => r.body)).replace(/"(resp|msg|fc|call|rs)_[A-Za-z0-9]+"/g, '"$1_*"');

test('a run over the Responses WebSocket has the tree and the chat spans the same run has over HTTP', async () => {
  a.t.reset();
  const http = await weatherRun('Weather agent', false);
  assert.equal(
    a.t.emulator.requests.every((r) => r.method === 'POST'),
    true,
  );
  a.t.reset();
  const ws = await weatherRun('Weather agent', true);
  assert.deepEqual(
    a.t.emulator.requests.map((r) => `${r.method} ${r.path}`),
    ['WS /v1/responses', 'WS /v1/responses'],
    'both model calls went over the socket',
  );
  assert.equal(ws.output, http.output);
  assert.deepEqual(outline(ws.spans, ws.root), ['invoke_agent Weather agent', '  chat gpt-4.1-mini', '  execute_tool get_weather', '  chat gpt-4.1-mini', '    message']);
  assert.deepEqual(outline(ws.spans, ws.root), outline(http.spans, http.root));
  const chats = (r: { spans: SpanJSON[]; root: SpanJSON }) => childrenOf(r.spans, r.root).filter((s) => s.name.startsWith('chat '));
  const perCall = new Set([
    'gen_ai.response.id',
    'gen_ai.response.time_to_first_chunk',
    'gen_ai.conversation.id',
    'spanlens.user_message.ids',
    'spanlens.request.id',
    'http.response.status_code',
    'gen_ai.request.stream',
  ]);
  // Call ids are generated per call: the rest of each value must match.
  const comparable = (s: SpanJSON) =>
    Object.fromEntries(
      Object.entries(s.attributes)
        .filter(([k]) => !perCall.has(k))
        .map(([k, v]) => [k, typeof v === 'string' ? v.replace(/call_[A-Za-z0-9]+/g, 'call_*') : v]),
    );
  assert.deepEqual(chats(ws).map(comparable), chats(http).map(comparable));
  for (const chat of chats(ws)) {
    assert.equal(chat.attributes['gen_ai.request.stream'], true, 'over the socket every call streams');
    assert.equal(chat.attributes['server.port'], a.t.emulator.port);
    assert.ok(Number(chat.attributes['gen_ai.usage.input_tokens']) > 0);
  }
  // One model call, one span: no second chat span for the same response anywhere.
  assert.equal(all(await a.t.spans(), /^chat /).length, 2);
  assert.equal(ws.root.attributes['gen_ai.usage.input_tokens'], http.root.attributes['gen_ai.usage.input_tokens']);
  assert.deepEqual(a.t.diag, [], 'no warning or internal error');
});

test('differential: over the socket the SDK sends the same frames and the app gets the same result with and without the instrumentation', async () => {
  a.t.reset();
  const traced = await weatherResult('Weather agent', true);
  const tracedFrames = sentFrames();
  a.t.instrumentation.disable();
  a.t.reset();
  let plain: Awaited<ReturnType<typeof weatherResult>>;
  let plainFrames: string;
  try {
    plain = await weatherResult('Weather agent', true);
    plainFrames = sentFrames();
    assert.equal((await a.t.spans()).length, 0, 'disabled: nothing traced');
  } finally {
    a.t.instrumentation.enable();
  }
  assert.deepEqual(traced, plain);
  assert.deepEqual(traced.items, ['tool_call_item', 'tool_call_output_item', 'message_output_item']);
  assert.equal(tracedFrames, plainFrames);
});
