// Realtime sessions over real sockets: openai 7's `OpenAIRealtimeWS` (the copy @openai/agents-openai
// depends on; the root devDependency is openai 6, whose `realtime/ws` and `beta/realtime/ws` are checked
// too) against the emulator's Realtime endpoint on loopback, with OpenAIInstrumentation on. The SDK always
// builds a `wss:` URL; the `ws` package's `createConnection` option hands it a plain TCP connection to the
// emulator (the upgrade and every frame are real, only TLS is skipped). Each scenario runs with and without
// the instrumentation and the app must see the same events in the same order.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { childrenOf, one } from '../support/spans';
import { API_KEY, faultOnce, startTracing, waitFor, type SpanJSON, type Tracing, withAndWithout } from './support/tracing';

type Event = { type: string; [key: string]: unknown };
interface RealtimeSocket {
  url: URL;
  socket: { on(name: 'open' | 'close', listener: (code?: number) => void): void };
  send(event: object): void;
  close(props?: { code: number; reason: string }): void;
  on(name: string, listener: (...args: never[]) => void): void;
}
type RealtimeClass = new (props: object, client: object) => RealtimeSocket;

let t: Tracing;
let client7: object;
let client6: object;
let RealtimeWS7: RealtimeClass;
let RealtimeWS6: RealtimeClass;
let BetaRealtimeWS6: RealtimeClass;
/** The stream fault the emulator applies to the next /v1/realtime response. */
const realtimeFault = faultOnce('/v1/realtime');

before(async () => {
  t = await startTracing({}, { fault: realtimeFault.fault });
  // Required after enable() so the module hooks see them, as an app's would.
  const load7 = createRequire(createRequire(__filename).resolve('@openai/agents-openai'));
  RealtimeWS7 = (load7('openai/realtime/ws') as { OpenAIRealtimeWS: RealtimeClass }).OpenAIRealtimeWS;
  const { OpenAI } = load7('openai') as { OpenAI: new (o: object) => object };
  client7 = new OpenAI({ apiKey: API_KEY, baseURL: t.emulator.baseURL, maxRetries: 0 });
  const load6 = createRequire(__filename);
  RealtimeWS6 = (load6('openai/realtime/ws') as { OpenAIRealtimeWS: RealtimeClass }).OpenAIRealtimeWS;
  BetaRealtimeWS6 = (load6('openai/beta/realtime/ws') as { OpenAIRealtimeWS: RealtimeClass }).OpenAIRealtimeWS;
  client6 = t.client;
});
after(() => t.close());

const MODEL = 'gpt-realtime';

/** A session whose every event is logged in arrival order, as the app's listeners get them. */
async function open(Cls: RealtimeClass = RealtimeWS7, client: object = client7, connection: object = { model: MODEL }) {
  const port = Number(new URL(t.emulator.baseURL).port);
  const rt = new Cls({ ...connection, options: { createConnection: () => net.connect(port, '127.0.0.1') } }, client);
  const log: Event[] = [];
  const errors: string[] = [];
  rt.on('event', (e: Event) => void log.push(e));
  rt.on('error', (err: Error) => void errors.push(err.message)); // without a listener the SDK rejects
  const closed = new Promise<number | undefined>((resolve) => rt.socket.on('close', resolve));
  await new Promise<void>((resolve) => rt.socket.on('open', () => resolve()));
  await waitFor(() => log.some((e) => e.type === 'session.created') || undefined, 5000, 'session.created');
  const until = (type: string, count = 1) => waitFor(() => log.filter((e) => e.type === type).length >= count || undefined, 10_000, `${count} × ${type}`);
  const close = async () => {
    rt.close();
    await closed;
  };
  return { rt, log, errors, until, close };
}
type Session = Awaited<ReturnType<typeof open>>;

/** The session configured, one typed question answered, the socket closed: what the app saw. */
async function askOnce(s: Session, text: string, session: object): Promise<Event[]> {
  s.rt.send({ type: 'session.update', session });
  await s.until('session.updated');
  s.rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] } });
  s.rt.send({ type: 'response.create' });
  await s.until('response.done');
  await s.close();
  return s.log;
}

/** Runs `act` from the app's own listener when the `n`th event of `type` arrives (once). */
function onNth(s: Session, type: string, n: number, act: () => void): void {
  let seen = 0;
  s.rt.on('event', (e: Event) => {
    if (e.type === type && ++seen === n) act();
  });
}

/** 100 ms chunks of 24 kHz PCM16: a loud tone (speech) or silence, base64 as the API takes them. */
function pcm(ms: number, loud: boolean): string[] {
  const chunks: string[] = [];
  for (let done = 0; done < ms; done += 100) {
    const buf = Buffer.alloc(4800);
    if (loud) for (let i = 0; i < 2400; i++) buf.writeInt16LE(Math.round(8000 * Math.sin(i / 5)), i * 2);
    chunks.push(buf.toString('base64'));
  }
  return chunks;
}

/** Events with what differs per run taken out (ids, the emulator's counters). */
function normalised(events: Event[]): string {
  return JSON.stringify(events)
    .replace(/"(event|item|resp|sess|conv)_[0-9a-f]+"/g, '"$1_*"')
    .replace(/"call_[A-Za-z0-9]+"/g, '"call_*"');
}

/** Runs a scenario traced, then with the instrumentation disabled: the same events, and its spans. */
const bothWays = (scenario: () => Promise<Event[]>): Promise<SpanJSON[]> =>
  withAndWithout(t, scenario, (events) => {
    assert.ok(events.length >= 3);
    return normalised(events);
  });

const session = (spans: SpanJSON[]) => one(spans, `realtime ${MODEL}`);

describe('Realtime over WebSocket (openai 7 OpenAIRealtimeWS)', () => {
  it('a text session: the session span and one chat span per response, with usage and cost', async () => {
    const spans = await bothWays(async () => {
      const s = await open();
      return askOnce(s, 'Hello?', { type: 'realtime', output_modalities: ['text'], instructions: 'Be brief.' });
    });
    const root = session(spans);
    assert.equal(root.parentSpanId, undefined);
    assert.match(String(root.attributes['spanlens.realtime.session_id']), /^sess_/);
    assert.deepEqual(root.attributes['spanlens.realtime.output_modalities'], ['text']);
    assert.equal(root.attributes['spanlens.realtime.turn_detection'], 'server_vad');
    assert.equal(root.attributes['spanlens.realtime.close_code'], 1000);
    assert.equal(root.attributes['spanlens.realtime.end_reason'], undefined);
    assert.equal(root.attributes['server.address'], '127.0.0.1');
    const chat = one(spans, `chat ${MODEL}`);
    assert.equal(chat.parentSpanId, root.spanId);
    assert.equal(chat.status.code, 'UNSET');
    assert.equal(chat.attributes['spanlens.realtime.response.trigger'], 'response.create');
    assert.ok(Number(chat.attributes['gen_ai.usage.output_tokens']) > 0);
    assert.ok(Number(chat.attributes['spanlens.cost.usd']) > 0);
    assert.equal(chat.attributes['spanlens.cost.priced_as'], 'gpt-realtime');
    assert.equal(typeof chat.attributes['gen_ai.response.time_to_first_chunk'], 'number');
    assert.match(String(chat.attributes['gen_ai.output.messages']), /Hello\?/);
    assert.deepEqual(JSON.parse(String(chat.attributes['gen_ai.input.messages'])), [{ role: 'user', parts: [{ type: 'text', content: 'Hello?' }] }]);
    assert.equal(root.attributes['spanlens.session.cost.usd'], chat.attributes['spanlens.cost.usd']);
    assert.deepEqual(
      childrenOf(spans, chat).map((x) => x.name),
      ['message'],
    );
  });

  it('an audio session with server VAD turns and input transcription', async () => {
    const spans = await bothWays(async () => {
      const s = await open();
      s.rt.send({
        type: 'session.update',
        session: { type: 'realtime', audio: { input: { transcription: { model: 'gpt-4o-mini-transcribe' }, turn_detection: { type: 'server_vad', silence_duration_ms: 200 } } } },
      });
      await s.until('session.updated');
      for (let turn = 1; turn <= 2; turn++) {
        for (const chunk of [...pcm(300, true), ...pcm(300, false)]) s.rt.send({ type: 'input_audio_buffer.append', audio: chunk });
        await s.until('response.done', turn);
      }
      await s.close();
      return s.log;
    });
    const root = session(spans);
    assert.equal(root.attributes['spanlens.realtime.transcription_model'], 'gpt-4o-mini-transcribe');
    assert.equal(root.attributes['spanlens.realtime.input_audio.bytes'], 12 * 4800);
    assert.equal(root.attributes['spanlens.realtime.input_audio.duration_ms'], 1200);
    const chats = spans.filter((x) => x.name === `chat ${MODEL}`);
    assert.equal(chats.length, 2);
    for (const chat of chats) {
      assert.equal(chat.parentSpanId, root.spanId);
      assert.equal(chat.attributes['spanlens.realtime.response.trigger'], 'turn_detection');
      assert.ok(Number(chat.attributes['spanlens.realtime.output_audio.bytes']) > 0);
      assert.ok(Number(chat.attributes['spanlens.usage.audio_output_tokens']) > 0);
      assert.equal(typeof chat.attributes['spanlens.realtime.time_to_first_audio'], 'number');
    }
    // Each spoken turn is a user message its response answers.
    assert.ok(chats.every((chat) => chat.attributes['spanlens.user_message.count'] === 1));
    assert.equal(root.attributes['spanlens.session.user_message_count'], 2);
    const transcriptions = spans.filter((x) => x.name === 'transcription gpt-4o-mini-transcribe');
    assert.equal(transcriptions.length, 2);
    assert.ok(transcriptions.every((x) => x.parentSpanId === root.spanId && /ms of speech/.test(String(x.attributes['spanlens.transcription.text']))));
    for (const span of spans) for (const v of Object.values(span.attributes)) assert.ok(String(v).length < 5000, `no audio on ${span.name}`);
  });

  it('a sideband socket by call id: the session names the call it controls, and its model once told', async () => {
    const spans = await bothWays(async () => {
      const s = await open(RealtimeWS7, client7, { callID: 'rtc_u1_9f8e7d' });
      assert.equal(s.rt.url.searchParams.get('call_id'), 'rtc_u1_9f8e7d');
      assert.equal(s.rt.url.searchParams.get('model'), null);
      return askOnce(s, 'Transfer me?', { type: 'realtime', output_modalities: ['text'] });
    });
    // No model in the URL: `realtime` until session.created names gpt-realtime.
    const root = session(spans);
    assert.equal(root.parentSpanId, undefined);
    assert.equal(root.attributes['spanlens.realtime.call_id'], 'rtc_u1_9f8e7d');
    assert.equal(root.attributes['gen_ai.request.model'], undefined);
    assert.equal(root.attributes['gen_ai.response.model'], MODEL);
    assert.equal(root.attributes['spanlens.realtime.session_type'], 'realtime');
    assert.equal(root.attributes['spanlens.realtime.close_code'], 1000);
    const chat = one(spans, `chat ${MODEL}`);
    assert.equal(chat.parentSpanId, root.spanId);
    assert.equal(chat.attributes['gen_ai.request.model'], MODEL);
    assert.ok(Number(chat.attributes['spanlens.cost.usd']) > 0);
    assert.equal(root.attributes['spanlens.session.cost.usd'], chat.attributes['spanlens.cost.usd']);
    assert.equal(spans.filter((x) => x.name.startsWith('realtime')).length, 1);
  });

  it('a transcription session (intent: transcription): server VAD turns transcribed, no responses', async () => {
    const TRANSCRIBE = 'gpt-4o-mini-transcribe';
    const spans = await bothWays(async () => {
      const s = await open(RealtimeWS7, client7, { intent: 'transcription' });
      assert.equal(s.rt.url.searchParams.get('intent'), 'transcription');
      const created = s.log.find((e) => e.type === 'session.created')!.session as { type: string; audio: { input: object } };
      assert.equal(created.type, 'transcription');
      s.rt.send({
        type: 'session.update',
        session: { type: 'transcription', audio: { input: { transcription: { model: TRANSCRIBE }, turn_detection: { type: 'server_vad', silence_duration_ms: 200 } } } },
      });
      await s.until('session.updated');
      for (let turn = 1; turn <= 2; turn++) {
        for (const chunk of [...pcm(300, true), ...pcm(300, false)]) s.rt.send({ type: 'input_audio_buffer.append', audio: chunk });
        await s.until('conversation.item.input_audio_transcription.completed', turn);
      }
      // Nothing answers: the emulator's session has no model to respond with.
      assert.ok(!s.log.some((e) => e.type.startsWith('response.')));
      assert.equal(s.log.filter((e) => e.type === 'input_audio_buffer.speech_stopped').length, 2);
      assert.ok(s.log.some((e) => e.type === 'conversation.item.input_audio_transcription.delta'));
      await s.close();
      return s.log;
    });
    const root = one(spans, 'realtime transcription');
    assert.equal(root.parentSpanId, undefined);
    assert.equal(root.attributes['spanlens.realtime.session_type'], 'transcription');
    assert.equal(root.attributes['spanlens.realtime.transcription_model'], TRANSCRIBE);
    assert.equal(root.attributes['spanlens.realtime.turn_detection'], 'server_vad');
    assert.equal(root.attributes['gen_ai.request.model'], undefined);
    assert.equal(root.attributes['gen_ai.response.model'], undefined);
    assert.equal(root.attributes['spanlens.realtime.input_audio.duration_ms'], 1200);
    assert.equal(root.attributes['spanlens.session.response_count'], 0);
    assert.equal(spans.filter((x) => x.name.startsWith('chat')).length, 0);
    const transcriptions = spans.filter((x) => x.name === `transcription ${TRANSCRIBE}`);
    assert.equal(transcriptions.length, 2);
    let total = 0;
    for (const x of transcriptions) {
      assert.equal(x.parentSpanId, root.spanId);
      assert.equal(x.attributes['gen_ai.operation.name'], undefined); // not a member of its closed enum
      assert.equal(x.attributes['spanlens.subtype'], 'transcription');
      assert.equal(x.attributes['gen_ai.request.model'], TRANSCRIBE);
      assert.ok(Number(x.attributes['gen_ai.usage.input_tokens']) > 0);
      assert.ok(Number(x.attributes['spanlens.usage.audio_input_tokens']) > 0);
      assert.match(String(x.attributes['spanlens.transcription.text']), /ms of speech/);
      assert.ok(Number(x.attributes['spanlens.cost.usd']) > 0);
      total += Number(x.attributes['spanlens.cost.usd']);
    }
    assert.ok(Math.abs(Number(root.attributes['spanlens.session.cost.usd']) - total) < 1e-9);
    assert.equal(spans.length, 3);
  });

  it('a function call round trip: the call under its response, the app tool work until its output', async () => {
    const spans = await bothWays(async () => {
      const s = await open();
      const tools = [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }];
      s.rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'], tools } });
      await s.until('session.updated');
      s.rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Weather in Paris?' }] } });
      s.rt.send({ type: 'response.create' });
      await s.until('response.done');
      const call = (s.log.find((e) => e.type === 'response.done')?.response as { output: { call_id: string }[] }).output[0]!;
      s.rt.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: call.call_id, output: '{"temp":21}' } });
      s.rt.send({ type: 'response.create' });
      await s.until('response.done', 2);
      await s.close();
      return s.log;
    });
    const root = session(spans);
    const [first, second] = spans.filter((x) => x.name === `chat ${MODEL}`).sort((a, b) => a.startMs - b.startMs);
    assert.deepEqual(first!.attributes['gen_ai.response.finish_reasons'], ['tool_calls']);
    const callItem = childrenOf(spans, first!)[0]!;
    assert.equal(callItem.name, 'execute_tool get_weather');
    assert.match(String(callItem.attributes['gen_ai.tool.call.arguments']), /city/);
    const work = childrenOf(spans, root).find((x) => x.name === 'execute_tool get_weather')!;
    assert.equal(work.attributes['gen_ai.tool.call.id'], callItem.attributes['gen_ai.tool.call.id']);
    assert.equal(work.attributes['gen_ai.tool.call.result'], '{"temp":21}');
    assert.ok(work.startMs >= first!.endMs && work.endMs <= second!.startMs + 1);
    assert.deepEqual(second!.attributes['gen_ai.response.finish_reasons'], ['stop']);
    // Cost per user message, as for a thread's runs: the question is answered by the first response; the
    // second (after the tool output) answers none, and the session's running figure spreads both over it.
    const cost = (x: SpanJSON) => Number(x.attributes['spanlens.cost.usd']);
    assert.equal(first!.attributes['spanlens.user_message.count'], 1);
    assert.equal(first!.attributes['spanlens.cost_per_user_message.usd'], cost(first!));
    assert.match(String((first!.attributes['spanlens.user_message.ids'] as string[])[0]), /^item_/);
    assert.equal(second!.attributes['spanlens.user_message.count'], 0);
    assert.equal(second!.attributes['spanlens.thread.run_count'], 2);
    assert.ok(Math.abs(Number(second!.attributes['spanlens.thread.cost_per_user_message.usd']) - (cost(first!) + cost(second!))) < 1e-9);
    assert.equal(root.attributes['spanlens.session.user_message_count'], 1);
    assert.equal(root.attributes['spanlens.thread.cost_per_user_message.usd'], second!.attributes['spanlens.thread.cost_per_user_message.usd']);
  });

  it('error events: one answering a response.create fails that response, another marks the session', async () => {
    const spans = await bothWays(async () => {
      const s = await open();
      s.rt.send({ type: 'response.create', event_id: 'evt_bad_create', response: { max_output_tokens: 0 } });
      s.rt.send({ type: 'no.such.event', event_id: 'evt_unknown' });
      s.rt.send({ type: 'conversation.item.truncate', event_id: 'evt_bad_cut', item_id: 'item_nope', content_index: 0, audio_end_ms: 10 });
      await s.until('error', 3);
      await s.close();
      assert.equal(s.errors.length, 3);
      return s.log;
    });
    const root = session(spans);
    const failed = one(spans, `chat ${MODEL}`);
    assert.equal(failed.parentSpanId, root.spanId);
    assert.equal(failed.status.code, 'ERROR');
    assert.equal(failed.attributes['error.type'], 'invalid_value');
    assert.equal(root.status.code, 'ERROR');
    assert.equal(root.attributes['spanlens.realtime.error.count'], 3);
    assert.equal(root.attributes['spanlens.realtime.truncate.count'], 1, 'the app sent it, though the server refused it');
    assert.equal(root.events.find((e) => e.name === 'openai.realtime.error')?.attributes['spanlens.realtime.event_id'], 'evt_unknown');
  });

  it('a cancelled response', async () => {
    const spans = await bothWays(async () => {
      const s = await open();
      s.rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
      // Cancelled from the app's listener of the third delta, while the response surely runs.
      onNth(s, 'response.output_text.delta', 3, () => s.rt.send({ type: 'response.cancel' }));
      s.rt.send({ type: 'response.create', response: { metadata: { script: 'long' } } });
      await s.until('response.done');
      await s.close();
      // How far the text got before the cancel landed differs per run: compare the event types, deltas aside.
      return s.log.filter((e) => e.type !== 'response.output_text.delta').map((e) => ({ type: e.type }));
    });
    const chat = one(spans, `chat ${MODEL}`);
    assert.equal(chat.status.code, 'UNSET');
    assert.equal(chat.attributes['spanlens.response.status'], 'cancelled');
    assert.equal(chat.attributes['spanlens.realtime.response.status_reason'], 'client_cancelled');
    assert.equal(chat.attributes['spanlens.realtime.cancel_requested'], true);
  });

  it('the user speaks over an answer: turn detection cancels it (turn_detected), the app cuts its audio (truncate)', async () => {
    const deltas = new Set(['response.output_audio.delta', 'response.output_audio_transcript.delta']);
    const answerItems: string[] = []; // one per run: the traced run's first
    const spans = await bothWays(async () => {
      const s = await open();
      // The app asks for each answer itself (create_response: false), so the first one can be a long one.
      s.rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['audio'], audio: { input: { turn_detection: { type: 'server_vad', create_response: false } } } } });
      await s.until('session.updated');
      for (const chunk of [...pcm(300, true), ...pcm(600, false)]) s.rt.send({ type: 'input_audio_buffer.append', audio: chunk });
      await s.until('input_audio_buffer.committed');
      // The user speaks from the app's listener of the second audio delta, while the answer surely runs.
      onNth(s, 'response.output_audio.delta', 2, () => {
        for (const chunk of pcm(300, true)) s.rt.send({ type: 'input_audio_buffer.append', audio: chunk });
      });
      s.rt.send({ type: 'response.create', response: { metadata: { script: 'long' } } });
      await s.until('response.done');
      // Playback stopped 100 ms into the answer: the app cuts the item there, as voice apps do.
      const answerItem = (s.log.find((e) => e.type === 'response.done')?.response as { output: { id: string }[] }).output[0]!.id;
      answerItems.push(answerItem);
      s.rt.send({ type: 'conversation.item.truncate', item_id: answerItem, content_index: 0, audio_end_ms: 100 });
      await s.until('conversation.item.truncated');
      for (const chunk of pcm(600, false)) s.rt.send({ type: 'input_audio_buffer.append', audio: chunk });
      await s.until('input_audio_buffer.committed', 2);
      s.rt.send({ type: 'response.create' });
      await s.until('response.done', 2);
      await s.close();
      // How far the first answer got before the user spoke differs per run: compare the events, deltas aside.
      return s.log.filter((e) => !deltas.has(e.type)).map((e) => ({ type: e.type, status: (e.response as { status?: string } | undefined)?.status }));
    });
    const root = session(spans);
    const [interrupted, next] = spans.filter((x) => x.name === `chat ${MODEL}`).sort((a, b) => a.startMs - b.startMs);
    assert.equal(interrupted!.status.code, 'UNSET', 'an interruption is not an error');
    assert.equal(interrupted!.attributes['spanlens.response.status'], 'cancelled');
    assert.equal(interrupted!.attributes['spanlens.realtime.response.status_reason'], 'turn_detected');
    assert.ok(Number(interrupted!.attributes['spanlens.realtime.output_audio.bytes']) > 0);
    assert.equal(next!.attributes['spanlens.response.status'], 'completed');
    assert.equal(root.attributes['spanlens.realtime.interruption.count'], 1);
    assert.equal(root.attributes['spanlens.realtime.truncate.count'], 1);
    const cut = root.events.find((e) => e.name === 'openai.realtime.item.truncate');
    assert.deepEqual(cut?.attributes, { 'openai.item.id': answerItems[0], 'spanlens.realtime.audio_end_ms': 100 });
  });

  it('a session left open at shutdown ends marked, with its open response', async () => {
    t.reset();
    const s = await open();
    // Shut down from the app's listener of the first delta, so the response is surely still running then
    // (polling for the delta can come after a fast response's end on a busy machine).
    const disabled = new Promise<void>((resolve) =>
      onNth(s, 'response.output_text.delta', 1, () => {
        t.instrumentation.disable(); // what the provider's shutdown does too: open work ends, marked
        resolve();
      }),
    );
    s.rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
    s.rt.send({ type: 'response.create', response: { metadata: { script: 'long' } } });
    await disabled;
    try {
      const spans = await t.spans();
      assert.equal(session(spans).attributes['spanlens.realtime.end_reason'], 'shutdown');
      assert.equal(one(spans, `chat ${MODEL}`).attributes['spanlens.response.end_reason'], 'shutdown');
      await s.until('response.done');
      await s.close();
      assert.equal((await t.spans()).length, spans.length, 'nothing more after shutdown');
    } finally {
      t.instrumentation.enable();
    }
  });
});

describe('Realtime faults and recovery (openai 7)', () => {
  it('a response that fails on the server is ERROR with its status_details.error', async () => {
    const spans = await bothWays(async () => {
      realtimeFault.arm('error-event:3');
      const s = await open();
      s.rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
      s.rt.send({ type: 'response.create' });
      await s.until('response.done');
      await s.close();
      return s.log;
    });
    const chat = one(spans, `chat ${MODEL}`);
    assert.equal(chat.status.code, 'ERROR');
    assert.equal(chat.attributes['error.type'], 'server_error');
    assert.equal(chat.attributes['spanlens.response.status'], 'failed');
  });

  it('a reconnect (the SDK recovery): the lost connection ends its response failed, the next one is a session of the same trace', async () => {
    t.reset();
    realtimeFault.arm('cut-after:3');
    const port = Number(new URL(t.emulator.baseURL).port);
    const rt = new RealtimeWS7({ model: MODEL, reconnect: true, reconnectInitialDelay: 10, options: { createConnection: () => net.connect(port, '127.0.0.1') } }, client7);
    const log: Event[] = [];
    const lifecycle: string[] = [];
    rt.on('event', (e: Event) => void log.push(e));
    rt.on('error', () => undefined);
    rt.on('reconnecting', () => void lifecycle.push('reconnecting'));
    rt.on('reconnected', () => void lifecycle.push('reconnected'));
    const closed = new Promise<void>((resolve) => rt.on('close', () => resolve()));
    const until = (type: string, count = 1) => waitFor(() => log.filter((e) => e.type === type).length >= count || undefined, 10_000, `${count} × ${type}`);
    await until('session.created');
    rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
    rt.send({ type: 'response.create' });
    await until('session.created', 2); // the recovery's new connection
    rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
    rt.send({ type: 'response.create' });
    await until('response.done');
    rt.close();
    await closed;
    assert.deepEqual(lifecycle, ['reconnecting', 'reconnected']);
    const spans = await t.spans();
    const sessions = spans.filter((x) => x.name === `realtime ${MODEL}`).sort((a, b) => a.startMs - b.startMs);
    assert.equal(sessions.length, 2);
    const [first, second] = sessions as [SpanJSON, SpanJSON];
    assert.equal(first.attributes['spanlens.realtime.end_reason'], 'server_closed');
    assert.equal(second.traceId, first.traceId);
    assert.equal(second.attributes['spanlens.realtime.connection'], 2);
    assert.equal(second.attributes['spanlens.realtime.end_reason'], undefined);
    const [lost, answered] = spans.filter((x) => x.name === `chat ${MODEL}`).sort((a, b) => a.startMs - b.startMs) as [SpanJSON, SpanJSON];
    assert.equal(lost.parentSpanId, first.spanId);
    assert.equal(lost.attributes['error.type'], 'websocket_closed');
    assert.equal(answered.parentSpanId, second.spanId);
    assert.equal(answered.status.code, 'UNSET');
  });
});

describe('the other Realtime socket classes', () => {
  it('openai 7 OpenAIRealtimeWebSocket (the runtime WebSocket class), on a WebSocket that speaks plain ws:', async () => {
    // The class uses the global WebSocket (Node 22 has one; Node 20 does not) and refuses non-wss URLs:
    // the global here is the `ws` package's browser-compatible WebSocket, connecting without TLS.
    const WS = (createRequire(__filename)('ws') as { WebSocket: new (url: string, protocols?: string[]) => object }).WebSocket;
    const g = globalThis as { WebSocket?: unknown };
    const previous = g.WebSocket;
    g.WebSocket = class extends WS {
      constructor(url: string | URL, protocols?: string[]) {
        super(String(url).replace(/^wss:/, 'ws:'), protocols);
      }
    };
    try {
      const load7 = createRequire(createRequire(__filename).resolve('@openai/agents-openai'));
      const Browser = (load7('openai/realtime/websocket') as { OpenAIRealtimeWebSocket: RealtimeClass }).OpenAIRealtimeWebSocket;
      const spans = await bothWays(async () => {
        const s = await open(Browser, client7);
        s.rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
        s.rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hi' }] } });
        s.rt.send({ type: 'response.create' });
        await s.until('response.done');
        await s.close();
        return s.log;
      });
      const root = session(spans);
      assert.equal(root.attributes['spanlens.realtime.close_code'], 1000);
      assert.equal(one(spans, `chat ${MODEL}`).parentSpanId, root.spanId);
    } finally {
      g.WebSocket = previous;
    }
  });

  it('openai 6: realtime/ws and beta/realtime/ws are traced the same way', async () => {
    for (const Cls of [RealtimeWS6, BetaRealtimeWS6]) {
      t.reset();
      const s: Session = await open(Cls, client6);
      s.rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
      s.rt.send({ type: 'response.create' });
      await s.until('response.done');
      await s.close();
      const spans = await t.spans();
      assert.equal(one(spans, `chat ${MODEL}`).parentSpanId, session(spans).spanId);
    }
  });
});
