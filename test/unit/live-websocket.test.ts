// The Live API over a real socket: openai 7's `LiveWS` (>= 7.14; the copy @openai/agents-openai depends on,
// the root devDependency is openai 6, which has no Live API) against the emulator's `/v1/live/sessions` on
// loopback, with OpenAIInstrumentation on. A Live session is a trace: the session span `live {model}`, each
// delegation's nested Responses stream a `chat {model}` child with usage and cost (the one Responses state
// machine), the session's audio time priced per minute. Each scenario runs with and without the
// instrumentation and the app must see the same events in the same order.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { childrenOf, one } from '../support/spans';
import { API_KEY, faultOnce, startTracing, waitFor, type SpanJSON, type Tracing, withAndWithout } from './support/tracing';

type Event = { type: string; [key: string]: unknown };
interface LiveSocket {
  send(event: object): void;
  close(props?: { code: number; reason: string }): void;
  on(name: string, listener: (...args: never[]) => void): void;
}
type LiveClass = new (client: object, options?: object) => LiveSocket;

let t: Tracing;
let client: object;
let LiveWS: LiveClass;
let SidebandWS: new (client: object, parameters: { session_id: string }) => LiveSocket;
let ForksWS: new (client: object, parameters: { session_id: string }) => LiveSocket;
/** The `ws` package's client, as a browser's own connection would be (not the SDK: not traced). */
let RawWebSocket: new (url: string) => { on(name: string, l: (data: unknown) => void): void; send(text: string): void; close(): void };
/** The Decisions model: $0.10 / $0.50 per 1M input / output tokens (genai-prices' data). */
const DECIDER = 'gpt-6-luna';
/** The stream fault the emulator applies to the next /v1/live/sessions response (taken once). */
const liveFault = faultOnce('/v1/live/sessions');

before(async () => {
  t = await startTracing({}, { fault: liveFault.fault });
  // Required after enable() so the module hooks see it, as an app's would.
  const load = createRequire(createRequire(__filename).resolve('@openai/agents-openai'));
  LiveWS = (load('openai/resources/live/ws') as { LiveWS: LiveClass }).LiveWS;
  SidebandWS = (load('openai/resources/live/sideband/ws') as { SidebandWS: typeof SidebandWS }).SidebandWS;
  ForksWS = (load('openai/resources/live/forks/ws') as { ForksWS: typeof ForksWS }).ForksWS;
  RawWebSocket = (createRequire(__filename)('ws') as { WebSocket: typeof RawWebSocket }).WebSocket;
  const { OpenAI } = load('openai') as { OpenAI: new (o: object) => object };
  client = new OpenAI({ apiKey: API_KEY, baseURL: t.emulator.baseURL, maxRetries: 0 });
});
after(() => t.close());

const MODEL = 'gpt-live-1';
const BACKEND = 'gpt-5-mini';
const START = { type: 'session.start', session: { model: MODEL, instructions: 'Be brief.', audio: { output: { voice: 'cedar' } }, delegation: { type: 'responses', responses: { model: BACKEND } } } };

/** A session whose every event (and close) is logged in arrival order, as the app's listeners get them (`fork`: of that stored session). */
function open(fork?: string) {
  const ws = fork ? new ForksWS(client, { session_id: fork }) : new LiveWS(client);
  const log: Event[] = [];
  ws.on('event', (e: Event) => void log.push(e));
  ws.on('error', () => undefined); // error events also come as 'event'; without a listener the SDK rejects
  const closed = new Promise<number>((resolve) => ws.on('close', (code: number) => resolve(code)));
  const until = (type: string, count = 1) => waitFor(() => log.filter((e) => e.type === type).length >= count || undefined, 10_000, `${count} × ${type}`);
  return { ws, log, closed, until };
}

/** 100 ms of 24 kHz PCM16 silence, base64. */
const chunk = Buffer.alloc(4800).toString('base64');

/** Events with what differs per run taken out (ids, times). */
function normalised(events: Event[]): string {
  return JSON.stringify(events)
    .replace(/"([a-z]+)_[0-9a-f]{8,}"/g, '"$1_*"')
    .replace(/"([a-z]+)_[A-Za-z0-9]{16,}"/g, '"$1_*"')
    .replace(/'([a-z]+)_[0-9a-f]{8,}'/g, "'$1_*'")
    .replace(/"(created_at|expires_at|completed_at)":\d+/g, '"$1":0')
    .replace(/"obfuscation":"[^"]*"/g, '"obfuscation":"*"');
}

/** Runs a scenario traced, then with the instrumentation disabled: the same events, and its spans. */
const bothWays = (scenario: () => Promise<Event[]>): Promise<SpanJSON[]> =>
  withAndWithout(t, scenario, (events) => {
    assert.ok(events.length >= 2);
    return normalised(events);
  });

/** The scripted turn: audio in, then a delegated response, then the spoken answer. */
async function turn(s: ReturnType<typeof open>): Promise<void> {
  for (let i = 0; i < 3; i++) s.ws.send({ type: 'session.input_audio.append', audio: chunk });
  s.ws.send({ type: 'response.create' });
  await s.until('session.usage.updated');
}

const session = (spans: SpanJSON[]) => one(spans, `live ${MODEL}`);

describe('Live API over WebSocket (openai 7 LiveWS)', () => {
  it('a session with a delegation: the session span, the delegated response a chat span under it with usage and cost', async () => {
    const spans = await bothWays(async () => {
      const s = open();
      s.ws.send(START);
      await s.until('session.started');
      await turn(s);
      s.ws.send({ type: 'session.close' });
      await s.until('session.closed');
      assert.equal(await s.closed, 1000);
      return s.log;
    });
    const root = session(spans);
    assert.equal(root.parentSpanId, undefined, 'a session is a trace of its own');
    assert.equal(root.status.code, 'UNSET');
    assert.match(String(root.attributes['spanlens.live.session_id']), /^sess_/);
    assert.equal(root.attributes['gen_ai.response.model'], MODEL);
    assert.equal(root.attributes['spanlens.realtime.voice'], 'cedar');
    assert.equal(root.attributes['spanlens.live.delegation.type'], 'responses');
    assert.equal(root.attributes['spanlens.live.delegation.model'], BACKEND);
    assert.equal(root.attributes['spanlens.live.delegation.count'], 1);
    assert.equal(root.attributes['spanlens.live.close_reason'], 'close_requested');
    assert.equal(root.attributes['spanlens.live.end_reason'], undefined, 'a normal close');
    assert.equal(root.attributes['spanlens.live.input_audio.append.count'], 3);
    assert.equal(root.attributes['spanlens.live.input_audio.bytes'], 3 * 4800);
    assert.ok(Number(root.attributes['spanlens.live.output_audio.delta.count']) > 0);
    // Audio time: 300 ms in plus 100 ms per spoken chunk, the last cumulative figure (never summed).
    const seconds = Number(root.attributes['spanlens.usage.audio_seconds']);
    assert.equal(seconds, 0.3 + Number(root.attributes['spanlens.live.output_audio.delta.count']) * 0.1);
    // $0.05 a minute, billed per started second.
    assert.equal(root.attributes['spanlens.cost.usd'], Math.round((Math.ceil(seconds) * 50_000_000) / 60) / 1e9);
    assert.equal(root.attributes['spanlens.cost.priced_as'], MODEL);
    assert.match(String(root.attributes['spanlens.cost.source']), /^bundled@/);
    // Transcripts (content capture is on in these tests).
    assert.equal(root.attributes['spanlens.live.input_transcript'], 'What is the');
    assert.equal(root.attributes['spanlens.live.input_transcript.delta.count'], 3);
    assert.ok(String(root.attributes['spanlens.live.output_transcript']).length > 0);
    // The delegated response: the chat span the same Responses stream gives over HTTP, under the session.
    const [chat] = childrenOf(spans, root);
    assert.ok(chat);
    assert.equal(chat.name, `chat ${BACKEND}`);
    assert.equal(chat.traceId, root.traceId);
    assert.match(String(chat.attributes['spanlens.live.delegation.id']), /^deleg_/);
    assert.match(String(chat.attributes['gen_ai.response.id']), /^resp_/);
    assert.equal(chat.attributes['gen_ai.request.stream'], true);
    assert.ok(Number(chat.attributes['gen_ai.usage.input_tokens']) > 0);
    assert.ok(Number(chat.attributes['gen_ai.usage.output_tokens']) > 0);
    const chatCost = Number(chat.attributes['spanlens.cost.usd']);
    assert.ok(chatCost > 0);
    // The session's total: its audio time and its delegations' tokens.
    assert.ok(Math.abs(Number(root.attributes['spanlens.session.cost.usd']) - (Number(root.attributes['spanlens.cost.usd']) + chatCost)) < 1e-12);
  });

  it('an error event marks the session (the one error rule)', async () => {
    const spans = await bothWays(async () => {
      const s = open();
      s.ws.send(START);
      await s.until('session.started');
      s.ws.send({ type: 'session.bogus', event_id: 'evt_app_1' });
      await s.until('error');
      s.ws.close();
      await s.closed;
      return s.log;
    });
    const root = session(spans);
    assert.equal(root.status.code, 'ERROR');
    assert.equal(root.attributes['error.type'], 'invalid_event');
    assert.equal(root.attributes['spanlens.live.error.count'], 1);
    const event = root.events.find((e) => e.name === 'openai.live.error');
    assert.equal(event?.attributes?.['spanlens.live.client_event_id'], 'evt_app_1');
  });

  it('the app closes mid-delegation: the open response ends aborted, the session closed normally', async () => {
    t.reset();
    liveFault.arm(null);
    const s = open();
    s.ws.send(START);
    await s.until('session.started');
    // Closed by the app at the delegation's first event (the emulator streams faster than a test can await).
    s.ws.on('event', (e: Event) => {
      if (e.type === 'response.event' && s.log.filter((x) => x.type === 'response.event').length === 1) s.ws.close();
    });
    s.ws.send({ type: 'response.create' });
    await s.closed;
    const spans = await t.spans();
    const root = session(spans);
    assert.equal(root.attributes['spanlens.live.end_reason'], undefined);
    const chat = one(spans, `chat ${BACKEND}`);
    assert.equal(chat.parentSpanId, root.spanId);
    assert.equal(chat.attributes['spanlens.response.end_reason'], 'stream_aborted');
  });

  it('a delegation whose nested stream fails: its chat span is ERROR, the session goes on', async () => {
    const spans = await bothWays(async () => {
      liveFault.arm('error-event:2');
      const s = open();
      s.ws.send(START);
      await s.until('session.started');
      await turn(s);
      s.ws.close();
      await s.closed;
      return s.log;
    });
    const root = session(spans);
    const chat = one(spans, `chat ${BACKEND}`);
    assert.equal(chat.parentSpanId, root.spanId);
    assert.equal(chat.status.code, 'ERROR');
    assert.equal(root.status.code, 'UNSET');
  });

  it('a connection lost mid-delegation: the response fails websocket_closed, the session ends server_closed', async () => {
    t.reset();
    liveFault.arm('cut-after:3');
    const s = open();
    s.ws.send(START);
    await s.until('session.started');
    s.ws.send({ type: 'response.create' });
    await s.closed;
    const spans = await t.spans();
    const root = session(spans);
    assert.equal(root.attributes['spanlens.live.end_reason'], 'server_closed');
    const chat = one(spans, `chat ${BACKEND}`);
    assert.equal(chat.parentSpanId, root.spanId);
    assert.equal(chat.status.code, 'ERROR');
    assert.equal(chat.attributes['error.type'], 'websocket_closed');
  });

  it('a session left open at shutdown ends marked, with its open delegation', async () => {
    t.reset();
    const s = open();
    s.ws.send(START);
    await s.until('session.started');
    // Shut down at the delegation's first event (the emulator streams faster than a test can await):
    // what the provider's shutdown does too, open work ends marked.
    s.ws.on('event', (e: Event) => {
      if (e.type === 'response.event' && s.log.filter((x) => x.type === 'response.event').length === 1) t.instrumentation.disable();
    });
    s.ws.send({ type: 'response.create' });
    await s.until('response.event');
    try {
      const spans = await t.spans();
      assert.equal(session(spans).attributes['spanlens.live.end_reason'], 'shutdown');
      assert.equal(one(spans, `chat ${BACKEND}`).attributes['spanlens.response.end_reason'], 'shutdown');
      await s.until('session.usage.updated');
      s.ws.close();
      await s.closed;
      assert.equal((await t.spans()).length, spans.length, 'nothing more after shutdown');
    } finally {
      t.instrumentation.enable();
    }
  });

  it('a sideband attached to a session another client runs: its own session span, naming the session, with the delegation', async () => {
    const spans = await bothWays(async () => {
      // The primary connection is another client's (a browser's, say): a plain socket, not the SDK.
      const primary = new RawWebSocket(`${t.emulator.baseURL.replace(/^http/, 'ws')}/live/sessions`);
      const heard: Event[] = [];
      primary.on('message', (data) => void heard.push(JSON.parse(String(data)) as Event));
      await new Promise<void>((resolve) => primary.on('open', () => resolve()));
      primary.send(JSON.stringify(START));
      const started = await waitFor(() => heard.find((e) => e.type === 'session.started'), 5000, 'session.started');
      const id = (started.session as { id: string }).id;
      const ws = new SidebandWS(client, { session_id: id });
      const log: Event[] = [];
      ws.on('event', (e: Event) => void log.push(e));
      ws.on('error', () => undefined);
      const closed = new Promise<number>((resolve) => ws.on('close', (code: number) => resolve(code)));
      const until = (type: string) => waitFor(() => log.find((e) => e.type === type), 10_000, type);
      await until('session.started');
      primary.send(JSON.stringify({ type: 'session.input_audio.append', audio: chunk }));
      await until('session.input_transcript.delta');
      ws.send({ type: 'response.create' });
      await until('session.usage.updated');
      ws.send({ type: 'session.close' });
      await until('session.closed');
      assert.equal(await closed, 1000);
      primary.close();
      return log;
    });
    const root = session(spans);
    assert.equal(root.attributes['spanlens.live.connection.type'], 'sideband');
    assert.match(String(root.attributes['spanlens.live.session_id']), /^sess_/);
    assert.equal(root.attributes['spanlens.live.close_reason'], 'close_requested');
    assert.equal(root.attributes['spanlens.live.input_transcript'], 'What');
    assert.equal(root.attributes['spanlens.live.input_audio.append.count'], undefined, "the audio was the other client's");
    assert.ok(Number(root.attributes['spanlens.usage.audio_seconds']) > 0.1);
    assert.ok(Number(root.attributes['spanlens.cost.usd']) > 0);
    const chat = one(spans, `chat ${BACKEND}`);
    assert.equal(chat.parentSpanId, root.spanId);
    assert.ok(Number(chat.attributes['gen_ai.usage.output_tokens']) > 0);
    assert.equal(spans.filter((x) => x.name.startsWith('live ')).length, 1, 'only the SDK socket is traced');
  });

  it('a fork of a stored session: a session span of its own naming the stored session, its delegation on the overridden backend, its own audio time', async () => {
    const FORK_BACKEND = 'gpt-5';
    /** The stored session's id, of each run (the traced one first). */
    const storedIds: string[] = [];
    const spans = await bothWays(async () => {
      const stored = open();
      stored.ws.send({ ...START, session: { ...START.session, store: true } });
      await stored.until('session.started');
      const storedId = (stored.log.find((e) => e.type === 'session.started')!.session as { id: string }).id;
      storedIds.push(storedId);
      await turn(stored);
      stored.ws.send({ type: 'session.close' });
      await stored.until('session.closed');
      assert.equal(await stored.closed, 1000);
      // The fork: overrides only (the model and the conversation are the stored session's).
      const f = open(storedId);
      f.ws.send({ type: 'session.start', session: { delegation: { type: 'responses', responses: { model: FORK_BACKEND } } } });
      await f.until('session.started');
      f.ws.send({ type: 'response.create' });
      await f.until('session.usage.updated');
      f.ws.send({ type: 'session.close' });
      await f.until('session.closed');
      assert.equal(await f.closed, 1000);
      return [...stored.log, ...f.log];
    });
    const storedId = storedIds[0];
    const roots = spans.filter((x) => x.name === `live ${MODEL}`);
    assert.equal(roots.length, 2);
    const [original, fork] = roots.sort((a, b) => (a.attributes['spanlens.live.connection.type'] === 'fork' ? 1 : 0) - (b.attributes['spanlens.live.connection.type'] === 'fork' ? 1 : 0));
    assert.equal(original!.attributes['spanlens.live.session_id'], storedId);
    assert.equal(original!.attributes['spanlens.live.forked_from.session_id'], undefined);
    assert.equal(fork!.parentSpanId, undefined, 'a fork is a session, a trace of its own');
    assert.notEqual(fork!.traceId, original!.traceId);
    assert.equal(fork!.attributes['spanlens.live.connection.type'], 'fork');
    assert.equal(fork!.attributes['spanlens.live.forked_from.session_id'], storedId);
    assert.match(String(fork!.attributes['spanlens.live.session_id']), /^sess_/);
    assert.notEqual(fork!.attributes['spanlens.live.session_id'], storedId, 'the fork is a new session');
    assert.equal(fork!.attributes['gen_ai.response.model'], MODEL, "the stored session's model");
    assert.equal(fork!.attributes['spanlens.live.delegation.model'], FORK_BACKEND);
    assert.equal(fork!.attributes['spanlens.live.close_reason'], 'close_requested');
    assert.equal(fork!.status.code, 'UNSET');
    // Its own audio time: no audio was sent on the fork, only the spoken answer (100 ms a chunk).
    const seconds = Number(fork!.attributes['spanlens.usage.audio_seconds']);
    assert.equal(seconds, Number(fork!.attributes['spanlens.live.output_audio.delta.count']) * 0.1);
    assert.equal(fork!.attributes['spanlens.cost.usd'], Math.round((Math.ceil(seconds) * 50_000_000) / 60) / 1e9);
    const [chat] = childrenOf(spans, fork!);
    assert.equal(chat?.name, `chat ${FORK_BACKEND}`);
    assert.equal(chat.traceId, fork!.traceId);
    assert.match(String(chat.attributes['spanlens.live.delegation.id']), /^deleg_/);
    assert.ok(Number(chat.attributes['gen_ai.usage.input_tokens']) > 0);
    // The conversation is the stored session's: the fork is answered on what the user said there.
    assert.equal(fork!.attributes['spanlens.live.output_transcript'], original!.attributes['spanlens.live.output_transcript']);
    const chatCost = Number(chat.attributes['spanlens.cost.usd']);
    assert.ok(chatCost > 0);
    assert.ok(Math.abs(Number(fork!.attributes['spanlens.session.cost.usd']) - (Number(fork!.attributes['spanlens.cost.usd']) + chatCost)) < 1e-12);
    assert.equal(childrenOf(spans, original!)[0]?.name, `chat ${BACKEND}`);
  });

  it('a fork of a session that was not stored: the error the app sees marks the fork session, ended by the server', async () => {
    const spans = await bothWays(async () => {
      const plain = open();
      plain.ws.send(START);
      await plain.until('session.started');
      const id = (plain.log.find((e) => e.type === 'session.started')!.session as { id: string }).id;
      plain.ws.send({ type: 'session.close' });
      assert.equal(await plain.closed, 1000);
      const f = open(id);
      await f.until('error');
      assert.equal(await f.closed, 1008);
      return [...plain.log, ...f.log];
    });
    const fork = spans.find((x) => x.attributes['spanlens.live.connection.type'] === 'fork');
    assert.ok(fork);
    assert.match(String(fork.attributes['spanlens.live.forked_from.session_id']), /^sess_/);
    assert.equal(fork.status.code, 'ERROR');
    assert.equal(fork.attributes['error.type'], 'session_not_found');
    assert.equal(fork.attributes['spanlens.live.end_reason'], 'server_closed');
    assert.equal(fork.attributes['spanlens.live.close_code'], 1008);
  });

  it("a fork that names a model: refused (the model is the stored session's), the fork session marked by the error", async () => {
    const spans = await bothWays(async () => {
      const stored = open();
      stored.ws.send({ ...START, session: { ...START.session, store: true } });
      await stored.until('session.started');
      const id = (stored.log.find((e) => e.type === 'session.started')!.session as { id: string }).id;
      stored.ws.send({ type: 'session.close' });
      assert.equal(await stored.closed, 1000);
      const f = open(id);
      f.ws.send({ type: 'session.start', event_id: 'evt_fork_1', session: { model: 'gpt-live-2' } });
      await f.until('error');
      f.ws.close();
      await f.closed;
      return [...stored.log, ...f.log];
    });
    const fork = spans.find((x) => x.attributes['spanlens.live.connection.type'] === 'fork');
    assert.ok(fork);
    assert.equal(fork.attributes['error.type'], 'invalid_parameter');
    assert.equal(fork.events.find((e) => e.name === 'openai.live.error')?.attributes?.['spanlens.live.client_event_id'], 'evt_fork_1');
    assert.equal(fork.attributes['spanlens.live.end_reason'], undefined, 'the app closed it');
  });

  describe('delegations in full', () => {
    const WEATHER = { type: 'function', name: 'get_weather', description: 'The weather in a city.', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
    const WITH_TOOLS = { ...START, session: { ...START.session, delegation: { type: 'responses', responses: { model: BACKEND, tools: [WEATHER] } } } };
    const QUESTIONS = [
      { type: 'predicate', name: 'weather', instructions: 'Is the user asking about the weather?' },
      { type: 'choice', name: 'city', instructions: 'Which city?', choices: [{ value: 'Paris' }, { value: 'Rome' }] },
    ];
    /** The whole line heard (7 appends): a client or Decisions session delegates it. */
    const speakLine = (s: ReturnType<typeof open>) => {
      for (let i = 0; i < 7; i++) s.ws.send({ type: 'session.input_audio.append', audio: chunk });
    };
    /** The app closes the session (`session.close`, then the server's close): what it saw. */
    const closeSession = async (s: ReturnType<typeof open>): Promise<Event[]> => {
      s.ws.send({ type: 'session.close' });
      await s.until('session.closed');
      await s.closed;
      return s.log;
    };
    /** The cost of a Decision's usage at the Decisions model's price. */
    const decisionCost = (span: SpanJSON) => Number(span.attributes['gen_ai.usage.input_tokens']) * 0.1e-6 + Number(span.attributes['gen_ai.usage.output_tokens']) * 0.5e-6;

    it("a delegated response calls a function: the call under its chat span, the app's tool work an execute_tool span until its response.item.create, the follow-up the delegation's next chat span", async () => {
      const spans = await bothWays(async () => {
        const s = open();
        s.ws.send(WITH_TOOLS);
        await s.until('session.started');
        for (let i = 0; i < 3; i++) s.ws.send({ type: 'session.input_audio.append', audio: chunk });
        s.ws.send({ type: 'response.create' });
        const done = await waitFor(() => s.log.find((e) => e.type === 'response.event' && (e.event as Event).type === 'response.completed'), 10_000, 'the first response');
        const call = ((done.event as { response: { output: Event[] } }).response.output ?? []).find((o) => o.type === 'function_call');
        assert.ok(call, 'the backend called the function');
        await new Promise((r) => setTimeout(r, 20)); // the app's tool work
        s.ws.send({ type: 'response.item.create', item: { type: 'function_call_output', call_id: call.call_id, output: '{"temp_c":18}' } });
        s.ws.send({ type: 'response.create' });
        await s.until('session.usage.updated');
        return closeSession(s);
      });
      const root = session(spans);
      const chats = childrenOf(spans, root).filter((x) => x.name === `chat ${BACKEND}`);
      assert.equal(chats.length, 2, 'the delegated response and its follow-up');
      const [first, second] = chats as [SpanJSON, SpanJSON];
      assert.equal(first.attributes['spanlens.live.delegation.id'], second.attributes['spanlens.live.delegation.id'], 'the follow-up continues the same delegation');
      assert.deepEqual(first.attributes['gen_ai.response.finish_reasons'], ['tool_calls']);
      const item = childrenOf(spans, first).find((x) => x.attributes['gen_ai.tool.name'] === 'get_weather');
      assert.ok(item, "the function_call item's span under the response");
      const callId = item.attributes['gen_ai.tool.call.id'];
      assert.match(String(callId), /^call_/);
      // The app's tool work: the session's (the response had ended), beside the item span under the response.
      const [tool, ...more] = childrenOf(spans, root).filter((x) => x.name === 'execute_tool get_weather');
      assert.ok(tool && more.length === 0);
      assert.equal(tool.attributes['gen_ai.operation.name'], 'execute_tool');
      assert.equal(tool.attributes['gen_ai.tool.call.id'], callId);
      assert.equal(tool.attributes['gen_ai.tool.call.arguments'], item.attributes['gen_ai.tool.call.arguments']);
      assert.equal(tool.attributes['gen_ai.tool.call.result'], '{"temp_c":18}');
      assert.ok(tool.startMs >= first.endMs - 1 && tool.endMs <= second.startMs + 1, "from the response's end to the output the app sent");
      assert.ok(tool.durationMs >= 15);
      assert.ok(Number(second.attributes['gen_ai.usage.output_tokens']) > 0);
      assert.notEqual(second.attributes['gen_ai.response.finish_reasons']?.toString(), 'tool_calls');
    });

    it("a client delegation: execute_tool delegation from the delegation to the app's commentary naming it, silent context an event on it", async () => {
      const spans = await bothWays(async () => {
        const s = open();
        s.ws.send({ ...START, session: { model: MODEL, delegation: { type: 'client' } } });
        await s.until('session.started');
        speakLine(s);
        const created = await s.until('session.delegation.created').then(() => s.log.find((e) => e.type === 'session.delegation.created')!);
        const id = (created.delegation as { id: string }).id;
        s.ws.send({ type: 'session.thinking.append', delegation_id: id, content: 'Looking it up.' });
        await s.until('session.thinking.appended');
        s.ws.send({ type: 'session.commentary.append', delegation_id: id, content: 'It is sunny in Paris.', event_id: 'evt_reply_1' });
        await s.until('session.usage.updated');
        return closeSession(s);
      });
      const root = session(spans);
      assert.equal(root.attributes['spanlens.live.delegation.type'], 'client');
      const work = one(spans, 'execute_tool delegation');
      assert.equal(work.parentSpanId, root.spanId);
      assert.equal(work.status.code, 'UNSET');
      assert.equal(work.attributes['gen_ai.operation.name'], 'execute_tool');
      assert.equal(work.attributes['gen_ai.tool.type'], 'function');
      assert.match(String(work.attributes['gen_ai.tool.call.id']), /^deleg_/);
      assert.equal(work.attributes['spanlens.live.delegation.id'], work.attributes['gen_ai.tool.call.id']);
      assert.equal(work.attributes['gen_ai.tool.call.result'], 'It is sunny in Paris.');
      assert.equal(work.attributes['spanlens.live.delegation.end_reason'], undefined, 'answered');
      assert.deepEqual(
        work.events.map((e) => [e.name, e.attributes['spanlens.live.delegation.context.type']]),
        [['openai.live.delegation.context', 'thinking']],
      );
      assert.equal(root.attributes['spanlens.live.output_transcript'], 'It is sunny in Paris.');
    });

    it('a client delegation never answered ends with the session, marked', async () => {
      const spans = await bothWays(async () => {
        const s = open();
        s.ws.send({ ...START, session: { model: MODEL } }); // no delegation: the app's
        await s.until('session.started');
        speakLine(s);
        await s.until('session.delegation.created');
        s.ws.close();
        await s.closed;
        return s.log;
      });
      const work = one(spans, 'execute_tool delegation');
      assert.equal(work.parentSpanId, session(spans).spanId);
      assert.equal(work.attributes['spanlens.live.delegation.end_reason'], 'session_closed');
      assert.equal(work.attributes['gen_ai.tool.call.result'], undefined);
    });

    it("Decisions: a delegation, the app's decision.create and a transcript trigger are chat spans with the decision's model, usage and cost, timed from what started them", async () => {
      const trigger = { type: 'decisions', event_type: 'session.input_transcript.delta', decisions: { questions: [{ type: 'predicate', instructions: 'Did the user name a city?' }] } };
      const spans = await bothWays(async () => {
        const s = open();
        s.ws.send({ type: 'session.start', session: { model: MODEL, delegation: { type: 'decisions', decisions: { model: DECIDER, questions: QUESTIONS } }, triggers: [trigger] } });
        await s.until('session.started');
        speakLine(s);
        await s.until('session.usage.updated');
        s.ws.send({ type: 'decision.create', event_id: 'evt_decide_1' });
        await s.until('decision.event', 9);
        return closeSession(s);
      });
      const root = session(spans);
      const decisions = childrenOf(spans, root).filter((x) => x.name === `chat ${DECIDER}`);
      assert.equal(decisions.length, 9, '7 trigger firings, the delegation, the decision.create');
      assert.equal(root.attributes['spanlens.live.decision.count'], 9);
      for (const d of decisions) {
        assert.equal(d.attributes['gen_ai.operation.name'], 'chat');
        assert.equal(d.attributes['spanlens.subtype'], 'decision');
        assert.equal(d.attributes['gen_ai.response.model'], DECIDER);
        assert.ok(Number(d.attributes['gen_ai.usage.input_tokens']) > 0);
        assert.ok(Math.abs(Number(d.attributes['spanlens.cost.usd']) - decisionCost(d)) < 1e-12);
      }
      const delegated = decisions.find((d) => d.attributes['spanlens.live.delegation.id']);
      assert.ok(delegated);
      assert.equal(delegated.attributes['gen_ai.request.model'], DECIDER);
      assert.equal(delegated.attributes['spanlens.decision.answer.count'], 2);
      const answers = JSON.parse(String(delegated.attributes['spanlens.decision.answers'])) as { type: string; name: string }[];
      assert.deepEqual(
        answers.map((a) => [a.type, a.name]),
        [
          ['predicate', 'weather'],
          ['choice', 'city'],
        ],
      );
      const created = one(spans, `chat ${DECIDER}`, { 'spanlens.live.client_event_id': 'evt_decide_1' });
      assert.equal(created.attributes['spanlens.decision.answer.count'], 2);
      const triggered = decisions.filter((d) => d.attributes['spanlens.live.trigger_id']);
      assert.equal(triggered.length, 7);
      assert.ok(triggered.every((d) => d.attributes['spanlens.live.trigger.event_type'] === 'session.input_transcript.delta' && d.attributes['spanlens.decision.answer.count'] === 1));
      // The session's total: its audio time and every decision's tokens.
      const total = Number(root.attributes['spanlens.cost.usd']) + decisions.reduce((n, d) => n + Number(d.attributes['spanlens.cost.usd']), 0);
      assert.ok(Math.abs(Number(root.attributes['spanlens.session.cost.usd']) - total) < 1e-12);
    });

    it("POST /decisions (client.decisions.create): the same chat span, in the app's trace; a refused request is its error", async () => {
      const decisions = (client as { decisions: { create(body: object): Promise<Record<string, unknown>> } }).decisions;
      const spans = await withAndWithout(
        t,
        async () => {
          const answer = await decisions.create({ model: DECIDER, input: 'What is the weather in Paris today?', questions: QUESTIONS });
          const refused = await decisions.create({ model: 'gpt-5', input: 'x', questions: QUESTIONS }).catch((e: { status?: number }) => e.status);
          return { answer, refused };
        },
        (saw) => JSON.stringify(saw),
      );
      const [ok, failed] = spans.filter((x) => x.attributes['spanlens.subtype'] === 'decision').sort((a, b) => a.startMs - b.startMs) as [SpanJSON, SpanJSON];
      assert.equal(ok.name, `chat ${DECIDER}`);
      assert.equal(ok.parentSpanId, undefined);
      assert.equal(ok.attributes['url.template'], '/decisions');
      assert.equal(ok.attributes['gen_ai.response.model'], DECIDER);
      assert.equal(ok.attributes['spanlens.decision.question.count'], 2);
      assert.equal(ok.attributes['spanlens.decision.answer.count'], 2);
      assert.ok(Math.abs(Number(ok.attributes['spanlens.cost.usd']) - decisionCost(ok)) < 1e-12);
      assert.equal(failed.name, 'chat gpt-5');
      assert.equal(failed.status.code, 'ERROR');
      assert.equal(failed.attributes['http.response.status_code'], 400);
      assert.equal(failed.attributes['spanlens.cost.usd'], undefined);
    });
  });
});
