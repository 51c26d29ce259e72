// Responses over WebSocket: the real `ResponsesWS` of openai 7 (the copy @openai/agents-openai depends on;
// the root devDependency is openai 6) over a real socket to the emulator, with OpenAIInstrumentation on.
// Each `response.create` sent on the socket must give the span the same request gives over HTTP streaming,
// and the app must see the same events in the same order with and without the instrumentation.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import type { EmulatorFault } from '../../src/testing/index';
import { knownSocket } from '../../src/hook/responses-socket';
import { conversationTraceId } from '../../src/index';
import { assertWellFormed, childrenOf, inTrace, one } from '../support/spans';
import { API_KEY, startTracing, waitFor, withAndWithout, type SpanJSON, type Tracing } from './support/tracing';

type Event = { type: string; [key: string]: unknown };
interface SocketLike {
  send(event: object): void;
  close(props?: { code: number; reason: string }): void;
  on(name: string, listener: (...args: never[]) => void): void;
}
type SocketClass = new (client: object, options?: object) => SocketLike;
interface Client {
  responses: { create(body: object): Promise<AsyncIterable<Event>> };
}

let t: Tracing;
let ResponsesWS: SocketClass;
let client: Client;
/** The stream fault the emulator applies to the next response (a closure: one emulator per file). */
let nextFault: EmulatorFault | null = null;

before(async () => {
  t = await startTracing({}, { fault: (r) => (r.stream ? nextFault : null) });
  // openai 7, required after enable() so the module hooks see it, as an app's would.
  const load = createRequire(createRequire(__filename).resolve('@openai/agents-openai'));
  ResponsesWS = (load('openai/resources/responses/ws') as { ResponsesWS: SocketClass }).ResponsesWS;
  const { OpenAI } = load('openai') as { OpenAI: new (o: object) => Client };
  client = new OpenAI({ apiKey: API_KEY, baseURL: t.emulator.baseURL, maxRetries: 0 });
});
after(() => t.close());

/** A socket whose every event (and close) is logged in arrival order, as the app's listeners get them. */
function open(options?: object): { ws: SocketLike; log: Event[]; closed: Promise<number> } {
  const ws = new ResponsesWS(client, options);
  const log: Event[] = [];
  ws.on('event', (e: Event) => void log.push(e));
  ws.on('error', () => undefined); // error events also come as 'event'; without a listener the SDK rejects
  const closed = new Promise<number>((resolve) => ws.on('close', (code: number) => resolve(code)));
  return { ws, log, closed };
}

/** Sends one create and waits for its terminal (or error) event. */
async function create(s: { ws: SocketLike; log: Event[] }, body: object): Promise<Event[]> {
  const from = s.log.length;
  s.ws.send({ type: 'response.create', ...body });
  const end = await waitFor(() => s.log.slice(from).findIndex((e) => e.type === 'error' || /^response\.(completed|failed|incomplete)$/.test(e.type)) + 1 || undefined, 5000, 'the response to end');
  return s.log.slice(from, from + end);
}

const responseId = (events: Event[]) => (events.find((e) => e.type === 'response.created')?.response as { id: string }).id;
const chatSpan = (spans: SpanJSON[], id: string) => one(spans, /^chat /, { 'gen_ai.response.id': id });

test('a text response over a socket is the same chat span as over HTTP', async () => {
  t.reset();
  const body = { model: 'gpt-4o-mini', input: 'Say hello', metadata: { script: 'answer' } };
  const s = open();
  const events = await create(s, body);
  s.ws.close();
  await s.closed;
  assert.equal(events.at(-1)?.type, 'response.completed');
  const viaHttp: Event[] = [];
  for await (const e of await client.responses.create({ ...body, stream: true })) viaHttp.push(e);
  const spans = await t.spans();
  const ws = chatSpan(spans, responseId(events));
  const http = chatSpan(spans, responseId(viaHttp));
  assert.equal(ws.name, 'chat gpt-4o-mini');
  assert.equal(ws.status.code, 'UNSET');
  assert.equal(ws.attributes['gen_ai.request.stream'], true);
  assert.ok(Number(ws.attributes['gen_ai.usage.output_tokens']) > 0);
  assert.equal(typeof ws.attributes['gen_ai.response.time_to_first_chunk'], 'number');
  // Same attributes but for what differs per request or per transport.
  const perCall = new Set(['gen_ai.response.id', 'gen_ai.response.time_to_first_chunk', 'spanlens.user_message.ids', 'spanlens.request.id', 'http.response.status_code']);
  const comparable = (span: SpanJSON) => Object.fromEntries(Object.entries(span.attributes).filter(([k]) => !perCall.has(k)));
  assert.deepEqual(comparable(ws), comparable(http));
  // Its message item, as over HTTP.
  const items = childrenOf(spans, ws).map((c) => c.name);
  assert.deepEqual(
    items,
    childrenOf(spans, http).map((c) => c.name),
  );
  assert.deepEqual(items, ['message']);
  assert.equal(childrenOf(spans, ws)[0]?.attributes['spanlens.message.delta.count'], events.filter((e) => e.type === 'response.output_text.delta').length);
  assert.deepEqual(t.diag, [], 'no warning or internal error');
});

test('a function call answered with previous_response_id: the chain in one trace, the tool work its span', async () => {
  t.reset();
  const tools = [{ type: 'function', name: 'get_weather', description: 'Weather of a city.', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }];
  const s = open();
  const first = await create(s, { model: 'gpt-4o-mini', input: 'Weather in Paris?', tools });
  const done = first.find((e) => e.type === 'response.output_item.done' && (e.item as { type: string }).type === 'function_call');
  const call = done?.item as { call_id: string; name: string } | undefined;
  assert.ok(call, 'a function call');
  const second = await create(s, { model: 'gpt-4o-mini', previous_response_id: responseId(first), tools, input: [{ type: 'function_call_output', call_id: call.call_id, output: 'Sunny, 21°C' }] });
  assert.equal(second.at(-1)?.type, 'response.completed');
  s.ws.close();
  await s.closed;
  const spans = await t.spans();
  const a = chatSpan(spans, responseId(first));
  const b = chatSpan(spans, responseId(second));
  assert.equal(b.traceId, a.traceId, 'the continuation joins the trace of the response it continues');
  assert.equal(a.attributes['gen_ai.response.finish_reasons']?.toString(), 'tool_calls');
  assert.equal(b.attributes['gen_ai.conversation.id'], responseId(first));
  assert.equal(b.attributes['spanlens.response.previous_id'], responseId(first));
  const item = one(childrenOf(spans, a), 'execute_tool get_weather');
  assert.equal(item.attributes['gen_ai.tool.call.id'], call.call_id);
  const work = one(
    spans.filter((x) => x !== item),
    'execute_tool get_weather',
    { 'gen_ai.tool.call.id': call.call_id },
  );
  assert.equal(work.traceId, a.traceId);
  assert.equal(work.attributes['gen_ai.tool.call.result'], 'Sunny, 21°C');
});

test("responses of a conversation over a socket join the conversation's trace, as over HTTP: user messages counted, costs summed", async () => {
  t.reset();
  const http = client as Client & { conversations: { create(body: object): Promise<{ id: string }>; items: { create(id: string, body: object): Promise<unknown> } } };
  const conv = await http.conversations.create({ items: [{ type: 'message', role: 'user', content: 'Hi, I plan a trip.' }] });
  const s = open();
  const first = await create(s, { model: 'gpt-4o-mini', conversation: conv.id, input: 'Which city should I visit in France?' });
  await http.conversations.items.create(conv.id, { items: [{ type: 'message', role: 'user', content: 'I like museums.' }] });
  const second = await create(s, { model: 'gpt-4o-mini', conversation: conv.id, input: [{ role: 'user', content: 'And in Italy?' }] });
  s.ws.close();
  await s.closed;
  const trace = inTrace(await t.spans(), conversationTraceId(conv.id));
  assertWellFormed(trace);
  one(trace, 'openai.conversations.create', { 'spanlens.conversation.created': true });
  const [a, b] = [chatSpan(trace, responseId(first)), chatSpan(trace, responseId(second))];
  for (const x of [a, b]) {
    assert.equal(x.parentSpanId, undefined, 'a root of the conversation trace');
    assert.equal(x.attributes['gen_ai.conversation.id'], conv.id);
  }
  assert.equal(b.attributes['spanlens.user_message.count'], 2);
  assert.deepEqual(b.attributes['spanlens.user_message.texts'], ['I like museums.', 'And in Italy?']);
  assert.equal(b.attributes['spanlens.thread.run_count'], 2);
  const total = Number(a.attributes['spanlens.cost.usd']) + Number(b.attributes['spanlens.cost.usd']);
  assert.ok(Math.abs(Number(b.attributes['spanlens.thread.cost.usd']) - total) < 1e-12);
});

test('an error event: a create the API rejects is a failed call; one that fails mid-stream fails its span', async () => {
  t.reset();
  const s = open();
  const rejected = await create(s, { model: 'gpt-4o-mini', input: 'Hi', previous_response_id: 'resp_unknown' });
  assert.deepEqual(
    rejected.map((e) => e.type),
    ['error'],
  );
  nextFault = 'error-event:4';
  let broken: Event[];
  try {
    broken = await create(s, { model: 'gpt-4o-mini', input: 'Say hello', metadata: { script: 'answer' } });
  } finally {
    nextFault = null;
  }
  assert.equal(broken.at(-1)?.type, 'error');
  // The socket stays usable after both.
  const fine = await create(s, { model: 'gpt-4o-mini', input: 'Say hello', metadata: { script: 'answer' } });
  s.ws.close();
  await s.closed;
  const spans = await t.spans();
  const failedCall = one(spans, 'chat gpt-4o-mini', { 'error.type': 'previous_response_not_found' });
  assert.equal(failedCall.attributes['gen_ai.response.id'], undefined, 'a create the API rejected: the chat call it was, with no response');
  assert.equal(failedCall.status.code, 'ERROR');
  assert.equal(failedCall.attributes['error.type'], 'previous_response_not_found');
  assert.equal(failedCall.attributes['http.response.status_code'], 400);
  const mid = chatSpan(spans, responseId(broken));
  assert.equal(mid.status.code, 'ERROR');
  assert.equal(mid.attributes['spanlens.response.end_reason'], 'stream_error');
  assert.equal(chatSpan(spans, responseId(fine)).status.code, 'UNSET');
});

test('a socket closed mid-response ends the span: aborted when the app closed it, failed when the connection broke', async () => {
  t.reset();
  // The app closes after the first delta.
  const s = open();
  s.ws.on('event', (e: Event) => {
    if (e.type === 'response.output_text.delta') s.ws.close();
  });
  s.ws.send({ type: 'response.create', model: 'gpt-4o-mini', input: 'Say hello', metadata: { script: 'answer' } });
  await s.closed;
  // The connection breaks after four events.
  nextFault = 'cut-after:4';
  const c = open();
  try {
    c.ws.send({ type: 'response.create', model: 'gpt-4o-mini', input: 'Say hello', metadata: { script: 'answer' } });
    assert.notEqual(await c.closed, 1000);
  } finally {
    nextFault = null;
  }
  const spans = await t.spans();
  const aborted = chatSpan(spans, responseId(s.log));
  assert.equal(aborted.attributes['spanlens.response.end_reason'], 'stream_aborted');
  assert.equal(aborted.status.code, 'UNSET');
  const cut = chatSpan(spans, responseId(c.log));
  assert.equal(cut.attributes['spanlens.response.end_reason'], 'stream_error');
  assert.equal(cut.status.code, 'ERROR');
  assert.equal(cut.attributes['error.type'], 'websocket_closed');
  assert.equal(c.log.length, 4);
});

test('a reconnect mid-response: the response it lost fails, the next one on the new connection is traced', async () => {
  t.reset();
  const s = open({ reconnect: { onReconnecting: () => undefined, initialDelay: 1, maxDelay: 1 } });
  const reconnected = new Promise<void>((resolve) => s.ws.on('reconnected', () => resolve()));
  nextFault = 'cut-after:4';
  try {
    s.ws.send({ type: 'response.create', model: 'gpt-4o-mini', input: 'Say hello', metadata: { script: 'answer' } });
    await waitFor(() => s.log.length >= 1 || undefined, 5000, 'the first event');
  } finally {
    nextFault = null;
  }
  await reconnected;
  const lost = s.log.slice();
  assert.equal(lost.length, 4);
  const next = await create(s, { model: 'gpt-4o-mini', input: 'Say hello again', metadata: { script: 'answer' } });
  s.ws.close();
  await s.closed;
  const spans = await t.spans();
  const failed = chatSpan(spans, responseId(lost));
  assert.equal(failed.status.code, 'ERROR');
  assert.equal(failed.attributes['error.type'], 'websocket_closed');
  assert.equal(failed.attributes['spanlens.response.end_reason'], 'stream_error');
  const ok = chatSpan(spans, responseId(next));
  assert.equal(ok.status.code, 'UNSET');
  assert.equal(ok.attributes['spanlens.response.status'], 'completed');
});

/** What the app saw, with the ids and times that differ per run replaced. */
function normalised(events: Event[]): string {
  return JSON.stringify(events)
    .replace(/"(resp|msg|fc|call|rs)_[A-Za-z0-9]+"/g, '"$1_*"')
    .replace(/"(created_at|completed_at)":\d+/g, '"$1":0')
    .replace(/"obfuscation":"[^"]*"/g, '"obfuscation":"*"');
}

test('the app sees the same events in the same order with and without the instrumentation', async () => {
  const tools = [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }];
  const script = async (): Promise<Event[]> => {
    const s = open();
    const first = await create(s, { model: 'gpt-4o-mini', input: 'Weather in Paris?', tools });
    const call = first.find((e) => e.type === 'response.output_item.done')?.item as { call_id: string };
    await create(s, { model: 'gpt-4o-mini', previous_response_id: responseId(first), tools, input: [{ type: 'function_call_output', call_id: call.call_id, output: 'Sunny' }] });
    await create(s, { model: 'gpt-4o-mini', input: 'Hi', previous_response_id: 'resp_unknown' });
    s.ws.close();
    await s.closed;
    return s.log;
  };
  const spans = await withAndWithout(t, script, (events) => {
    assert.ok(events.length > 20);
    return normalised(events);
  });
  assert.equal(spans.filter((x) => x.name === 'chat gpt-4o-mini').length, 3);
});

test('many responses on one socket: every span ends, nothing is left waiting', async () => {
  t.reset();
  const s = open();
  const n = 200;
  for (let i = 0; i < n; i++) s.ws.send({ type: 'response.create', model: 'gpt-4o-mini', input: `Question ${i}`, metadata: { script: 'answer' } });
  // While they are answered, the socket holds only the creates not yet answered to their end.
  const held = knownSocket(s.ws);
  assert.ok(held, 'the socket is observed');
  assert.ok(held.responses.waiting <= n);
  await waitFor(() => s.log.filter((e) => e.type === 'response.completed').length === n || undefined, 20_000, `${n} responses`);
  assert.equal(held.responses.waiting, 0, 'nothing kept of answered responses');
  s.ws.close();
  await s.closed;
  const spans = await t.spans();
  assert.equal(spans.filter((x) => x.name === 'chat gpt-4o-mini').length, n);
  assert.ok(spans.every((x) => x.status.code === 'UNSET' && x.attributes['spanlens.response.end_reason'] === undefined));
});

test('a `for await` consumer of ws.stream() gets the same messages, errors and close with and without the instrumentation', async () => {
  /** Drives a socket only through its async iterator (no `.on` listeners), as the SDK's stream() example does. */
  const script = async (): Promise<string[]> => {
    const ws = new ResponsesWS(client) as SocketLike & { stream(): AsyncIterable<{ type: string; message?: Event; error?: Error; code?: number }> };
    const seen: string[] = [];
    const creates = [
      { type: 'response.create', model: 'gpt-4o-mini', input: 'Hi' },
      { type: 'response.create', model: 'gpt-4o-mini', input: 'Hi', previous_response_id: 'resp_unknown' },
    ];
    ws.send(creates.shift()!);
    for await (const m of ws.stream()) {
      seen.push(m.type === 'message' ? `message ${m.message!.type}` : m.type === 'error' ? `error ${m.error!.message}` : m.type === 'close' ? `close ${m.code}` : m.type);
      const ended = m.type === 'error' || (m.type === 'message' && /^response\.(completed|failed|incomplete)$/.test(m.message!.type));
      if (ended) {
        const next = creates.shift();
        if (next) ws.send(next);
        else ws.close();
      }
    }
    return seen;
  };
  const spans = await withAndWithout(t, script, (seen) => {
    assert.ok(seen.includes('message response.completed') && seen.some((x) => x.startsWith('error ')) && seen.at(-1)?.startsWith('close '), seen.join('\n'));
    return seen.join('\n');
  });
  const chats = spans.filter((x) => x.name === 'chat gpt-4o-mini');
  assert.deepEqual(
    chats.map((x) => x.status.code),
    ['UNSET', 'ERROR'],
    'both creates traced, the rejected one failed',
  );
});
