// The Realtime session state machine fed event sequences directly (no socket): the events are typed
// against the `openai` package's own Realtime types (openai 6.49's resources/realtime; the event shapes
// used here are the same in openai 7), client events as the app sends them, server events as the SDK
// parses them, each at a chosen client-clock time. Real sockets: realtime-websocket.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, context, trace } from '@opentelemetry/api';
import type { RealtimeClientEvent, RealtimeServerEvent } from 'openai/resources/realtime/realtime';
import type { RealtimeServerEvent as BetaServerEvent } from 'openai/resources/beta/realtime/realtime';
import { createMetrics, type Metrics } from '../../src/cost/metrics';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { RealtimeSessions } from '../../src/realtime/realtime-sessions';
import type { SessionOwner } from '../../src/realtime/realtime-session';
import { VoiceAgents } from '../../src/agents/voice-agents';
import { now } from '../../src/util/clock';
import type { OpenAIInstrumentationConfig } from '../../src/config';
import { assertWellFormed, childrenOf, one } from '../support/spans';
import { testServices } from './support/services';

const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);
const MODEL = 'gpt-realtime';

function setup(config: OpenAIInstrumentationConfig = {}, scope: 'conversation' | 'request' = 'conversation', metrics?: Metrics, owner?: SessionOwner) {
  const { env, provider, spans } = testServices({ config, metrics, traceScope: scope });
  const sessions = new RealtimeSessions(env);
  const socket = {};
  const session = sessions.opened(socket, { client: { baseURL: 'http://127.0.0.1:4010/v1' }, url: `wss://127.0.0.1:4010/v1/realtime?model=${MODEL}`, ambient: ROOT_CONTEXT, startTime: T0, owner });
  const send = (at: number, e: RealtimeClientEvent) => session.sent(e as unknown as Record<string, unknown>, T0 + at, ROOT_CONTEXT);
  const recv = (at: number, e: RealtimeServerEvent) => session.received(e as unknown as Record<string, unknown>, T0 + at);
  return { sessions, socket, session, send, recv, spans, provider, env };
}

type Setup = ReturnType<typeof setup>;
let n = 0;
const eid = () => `event_${++n}`;

function sessionCreated(s: Setup, at: number, extra: object = {}): void {
  s.recv(at, {
    type: 'session.created',
    event_id: eid(),
    session: {
      type: 'realtime',
      id: 'sess_1',
      model: MODEL,
      output_modalities: ['audio'],
      instructions: 'Be brief.',
      audio: {
        input: { format: { type: 'audio/pcm', rate: 24000 }, turn_detection: { type: 'server_vad' }, transcription: { model: 'gpt-4o-mini-transcribe' } },
        output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'marin' },
      },
      tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }],
      ...extra,
    } as RealtimeServerEvent extends infer E ? (E extends { type: 'session.created'; session: infer S } ? S : never) : never,
  });
}

const usage = {
  input_tokens: 1000,
  output_tokens: 500,
  total_tokens: 1500,
  input_token_details: { text_tokens: 200, audio_tokens: 800, cached_tokens: 0 },
  output_token_details: { text_tokens: 100, audio_tokens: 400 },
};

/** A response with one assistant message, created at `at`, done at `at + 100`. */
function textResponse(s: Setup, at: number, id: string, text: string, opts: { audio?: boolean; status?: 'completed' | 'cancelled'; reason?: 'client_cancelled' } = {}): void {
  s.recv(at, { type: 'response.created', event_id: eid(), response: { id, object: 'realtime.response', status: 'in_progress', output: [], conversation_id: 'conv_1' } });
  const item = { id: `item_${id}`, type: 'message' as const, role: 'assistant' as const, object: 'realtime.item' as const, status: 'in_progress' as const, content: [] };
  s.recv(at + 10, { type: 'response.output_item.added', event_id: eid(), response_id: id, output_index: 0, item });
  for (let i = 0; i < 3; i++) {
    if (opts.audio) {
      s.recv(at + 20 + i, { type: 'response.output_audio.delta', event_id: eid(), response_id: id, item_id: item.id, output_index: 0, content_index: 0, delta: Buffer.alloc(4800).toString('base64') });
      s.recv(at + 20 + i, { type: 'response.output_audio_transcript.delta', event_id: eid(), response_id: id, item_id: item.id, output_index: 0, content_index: 0, delta: 'x' });
    } else s.recv(at + 20 + i, { type: 'response.output_text.delta', event_id: eid(), response_id: id, item_id: item.id, output_index: 0, content_index: 0, delta: 'x' });
  }
  const part = opts.audio ? { type: 'output_audio' as const, transcript: text } : { type: 'output_text' as const, text };
  const done = { ...item, status: 'completed' as const, content: [part] };
  s.recv(at + 90, { type: 'response.output_item.done', event_id: eid(), response_id: id, output_index: 0, item: done });
  s.recv(at + 100, {
    type: 'response.done',
    event_id: eid(),
    response: {
      id,
      object: 'realtime.response',
      status: opts.status ?? 'completed',
      status_details: opts.reason ? { type: 'cancelled', reason: opts.reason } : undefined,
      output: [done],
      usage,
      output_modalities: [opts.audio ? 'audio' : 'text'],
      conversation_id: 'conv_1',
    },
  });
}

/** A committed user turn (`commitAt`) and its transcription (`doneAt`): `usage` as the transcription model reports it. */
function transcribe(s: Setup, commitAt: number, doneAt: number, itemId: string, previous: string | null, transcript: string, usage: object): void {
  s.recv(commitAt, { type: 'input_audio_buffer.committed', event_id: eid(), item_id: itemId, previous_item_id: previous });
  s.recv(doneAt, { type: 'conversation.item.input_audio_transcription.completed', event_id: eid(), item_id: itemId, content_index: 0, transcript, usage } as RealtimeServerEvent);
}

const TRANSCRIPTION_TOKENS = { type: 'tokens', input_tokens: 20, output_tokens: 6, total_tokens: 26, input_token_details: { audio_tokens: 20, text_tokens: 0 } };

describe('Realtime session state machine', () => {
  it('a text turn: the session span, a chat span with usage, cost, first chunk, transcript and its message item', () => {
    const s = setup();
    sessionCreated(s, 5, { output_modalities: ['text'] });
    s.send(100, { type: 'response.create', response: { output_modalities: ['text'] } });
    textResponse(s, 150, 'resp_1', 'Hello there');
    s.sessions.closed(s.socket, 1000, true);
    const spans = s.spans();
    const root = one(spans, `realtime ${MODEL}`);
    assert.equal(root.parentSpanId, undefined);
    assert.equal(root.kind, 'CLIENT');
    assert.equal(root.startMs, T0);
    assert.equal(root.attributes['spanlens.realtime.session_id'], 'sess_1');
    assert.deepEqual(root.attributes['spanlens.realtime.output_modalities'], ['text']);
    assert.equal(root.attributes['spanlens.realtime.voice'], 'marin');
    assert.equal(root.attributes['spanlens.realtime.turn_detection'], 'server_vad');
    assert.deepEqual(root.attributes['spanlens.realtime.tools'], ['get_weather']);
    assert.equal(root.attributes['spanlens.realtime.close_code'], 1000);
    assert.equal(root.attributes['spanlens.session.response_count'], 1);
    assert.equal(root.attributes['server.port'], 4010);
    assert.match(String(root.attributes['gen_ai.system_instructions']), /Be brief/);
    const chat = one(spans, `chat ${MODEL}`);
    assert.equal(chat.parentSpanId, root.spanId);
    assert.equal(chat.startMs, T0 + 100); // from the response.create the app sent
    assert.equal(chat.endMs, T0 + 250);
    assert.equal(chat.attributes['gen_ai.operation.name'], 'chat');
    assert.equal(chat.attributes['gen_ai.response.id'], 'resp_1');
    assert.equal(chat.attributes['gen_ai.conversation.id'], 'conv_1');
    assert.equal(chat.attributes['spanlens.realtime.response.trigger'], 'response.create');
    assert.equal(chat.attributes['gen_ai.usage.input_tokens'], 1000);
    assert.equal(chat.attributes['gen_ai.usage.output_tokens'], 500);
    // Usage by modality, as the response reported it.
    assert.deepEqual(
      [200, 800, 100, 400],
      ['text_input', 'audio_input', 'text_output', 'audio_output'].map((k) => chat.attributes[`spanlens.usage.${k}_tokens`]),
    );
    // 200 text in at $4 + 800 audio in at $32 + 100 text out at $16 + 400 audio out at $64, per 1M.
    assert.equal(chat.attributes['spanlens.cost.usd'], 0.0536);
    assert.equal(root.attributes['spanlens.session.cost.usd'], 0.0536);
    assert.equal(chat.attributes['gen_ai.response.time_to_first_chunk'], 0.07);
    assert.equal(chat.attributes['spanlens.realtime.time_to_first_text'], 0.07);
    assert.equal(chat.attributes['spanlens.realtime.text_delta.count'], 3);
    assert.deepEqual(chat.attributes['gen_ai.response.finish_reasons'], ['stop']);
    assert.deepEqual(JSON.parse(String(chat.attributes['gen_ai.output.messages'])), [{ role: 'assistant', parts: [{ type: 'text', content: 'Hello there' }], finish_reason: 'stop' }]);
    const [item] = childrenOf(spans, chat);
    assert.equal(item?.name, 'message');
    assert.equal(item?.startMs, T0 + 160);
    assert.equal(item?.endMs, T0 + 240);
    assert.equal(item?.attributes['spanlens.message.delta.count'], 3);
  });

  it('an audio turn started by server VAD: from the end of speech, audio sizes and durations, no bytes on any span', () => {
    const s = setup();
    sessionCreated(s, 5);
    for (let i = 0; i < 10; i++) s.send(10 + i, { type: 'input_audio_buffer.append', audio: Buffer.alloc(4800).toString('base64') }); // 10 × 100 ms of 24 kHz PCM16
    s.recv(20, { type: 'input_audio_buffer.speech_started', event_id: eid(), audio_start_ms: 0, item_id: 'item_u1' });
    s.recv(400, { type: 'input_audio_buffer.speech_stopped', event_id: eid(), audio_end_ms: 1000, item_id: 'item_u1' });
    s.recv(410, { type: 'input_audio_buffer.committed', event_id: eid(), item_id: 'item_u1', previous_item_id: null });
    textResponse(s, 450, 'resp_v', 'Sunny.', { audio: true });
    s.sessions.closed(s.socket, 1000, true);
    const spans = s.spans();
    const root = one(spans, `realtime ${MODEL}`);
    const chat = one(spans, `chat ${MODEL}`);
    assert.equal(chat.startMs, T0 + 400);
    assert.equal(chat.attributes['spanlens.realtime.response.trigger'], 'turn_detection');
    assert.equal(chat.attributes['spanlens.realtime.output_audio.bytes'], 3 * 4800);
    assert.equal(chat.attributes['spanlens.realtime.output_audio.duration_ms'], 300);
    assert.equal(chat.attributes['spanlens.realtime.time_to_first_audio'], 0.07);
    assert.deepEqual(JSON.parse(String(chat.attributes['gen_ai.output.messages']))[0].parts, [{ type: 'text', content: 'Sunny.' }]);
    assert.equal(root.attributes['spanlens.realtime.input_audio.bytes'], 48000);
    assert.equal(root.attributes['spanlens.realtime.input_audio.duration_ms'], 1000);
    for (const span of spans) for (const v of Object.values(span.attributes)) assert.ok(!String(v).includes('AAAAAAAA'), `audio bytes on ${span.name}`);
  });

  it('a function call round trip: the call item under the response, the app tool work from the response end to its output', () => {
    const s = setup();
    sessionCreated(s, 5);
    s.send(100, { type: 'response.create' });
    s.recv(110, { type: 'response.created', event_id: eid(), response: { id: 'resp_f', status: 'in_progress', output: [] } });
    const call = { id: 'item_f', type: 'function_call' as const, call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' as const };
    s.recv(120, { type: 'response.output_item.added', event_id: eid(), response_id: 'resp_f', output_index: 0, item: { ...call, arguments: '', status: 'in_progress' } });
    s.recv(130, { type: 'response.function_call_arguments.delta', event_id: eid(), response_id: 'resp_f', item_id: 'item_f', output_index: 0, call_id: 'call_1', delta: '{"city":"Paris"}' });
    s.recv(140, { type: 'response.output_item.done', event_id: eid(), response_id: 'resp_f', output_index: 0, item: call });
    s.recv(150, { type: 'response.done', event_id: eid(), response: { id: 'resp_f', status: 'completed', output: [call], usage } });
    s.send(400, { type: 'conversation.item.create', item: { type: 'function_call_output', call_id: 'call_1', output: '{"temp":21}' } });
    s.send(410, { type: 'response.create' });
    s.recv(420, { type: 'response.created', event_id: eid(), response: { id: 'resp_g', status: 'in_progress', output: [] } });
    s.sessions.closed(s.socket, 1000, true);
    const spans = s.spans();
    const root = one(spans, `realtime ${MODEL}`);
    const chat = one(spans, `chat ${MODEL}`, { 'gen_ai.response.id': 'resp_f' });
    assert.deepEqual(chat.attributes['gen_ai.response.finish_reasons'], ['tool_calls']);
    const [callSpan, work] = [one(spans, 'execute_tool get_weather', { 'openai.item.id': 'item_f' }), spans.find((x) => x.name === 'execute_tool get_weather' && x.parentSpanId === root.spanId)];
    assert.equal(callSpan.parentSpanId, chat.spanId);
    assert.equal(callSpan.attributes['gen_ai.tool.call.arguments'], '{"city":"Paris"}');
    assert.ok(work, 'the tool work span under the session');
    assert.equal(work.startMs, T0 + 150);
    assert.equal(work.endMs, T0 + 400);
    assert.equal(work.attributes['gen_ai.tool.call.id'], 'call_1');
    assert.equal(work.attributes['gen_ai.tool.call.result'], '{"temp":21}');
    // The next response's input: the tool's output the app sent.
    const next = one(spans, `chat ${MODEL}`, { 'gen_ai.response.id': 'resp_g' });
    assert.deepEqual(JSON.parse(String(next.attributes['gen_ai.input.messages'])), [{ role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: '{"temp":21}' }] }]);
  });

  it('input audio transcription is its own span with model, usage, cost and text; a failed one is marked', () => {
    const s = setup();
    sessionCreated(s, 5);
    transcribe(s, 410, 600, 'item_u1', null, 'What is the weather?', TRANSCRIPTION_TOKENS);
    s.recv(700, { type: 'input_audio_buffer.committed', event_id: eid(), item_id: 'item_u2', previous_item_id: 'item_u1' });
    s.recv(800, {
      type: 'conversation.item.input_audio_transcription.failed',
      event_id: eid(),
      item_id: 'item_u2',
      content_index: 0,
      error: { code: 'audio_unintelligible', message: 'could not transcribe' },
    });
    s.sessions.closed(s.socket, 1000, true);
    const spans = s.spans();
    const root = one(spans, `realtime ${MODEL}`);
    const ok = one(spans, 'transcription gpt-4o-mini-transcribe', { 'openai.item.id': 'item_u1' });
    assert.equal(ok.parentSpanId, root.spanId);
    assert.equal(ok.startMs, T0 + 410);
    assert.equal(ok.endMs, T0 + 600);
    assert.equal(ok.attributes['gen_ai.request.model'], 'gpt-4o-mini-transcribe');
    assert.equal(ok.attributes['gen_ai.usage.input_tokens'], 20);
    assert.equal(ok.attributes['spanlens.transcription.text'], 'What is the weather?');
    assert.equal(typeof ok.attributes['spanlens.cost.usd'], 'number');
    const bad = one(spans, 'transcription gpt-4o-mini-transcribe', { 'openai.item.id': 'item_u2' });
    assert.equal(bad.status.code, 'ERROR');
    assert.equal(bad.attributes['error.type'], 'audio_unintelligible');
  });

  it("a transcription's cost is the session's and the cost metric's: by tokens (gpt-4o-mini-transcribe) or by audio time (whisper-1)", async () => {
    const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000 });
    const meters = new MeterProvider({ readers: [reader] });
    const s = setup({}, 'conversation', createMetrics(meters.getMeter('test')));
    sessionCreated(s, 5);
    // gpt-4o-mini-transcribe (genai-prices 0.1.8): audio in $3, text out $5 per 1M: 20 x 3 + 6 x 5 = 90 nano-dollars x 1,000.
    transcribe(s, 410, 600, 'item_u1', null, 'Hi', TRANSCRIPTION_TOKENS);
    // The app switches transcription to whisper-1: billed per started second at $0.006 per minute.
    s.recv(700, { type: 'session.updated', event_id: eid(), session: { type: 'realtime', audio: { input: { transcription: { model: 'whisper-1' } } } } });
    transcribe(s, 710, 900, 'item_u2', 'item_u1', 'Bye', { type: 'duration', seconds: 2.4 });
    s.sessions.closed(s.socket, 1000, true);
    const spans = s.spans();
    const byTokens = one(spans, 'transcription gpt-4o-mini-transcribe');
    const byTime = one(spans, 'transcription whisper-1');
    assert.equal(byTokens.attributes['spanlens.cost.usd'], 0.00009);
    assert.equal(byTokens.attributes['spanlens.usage.audio_input_tokens'], 20);
    // 3 started seconds x $0.006 / 60 = $0.0003
    assert.equal(byTime.attributes['spanlens.usage.audio_seconds'], 2.4);
    assert.equal(byTime.attributes['spanlens.cost.usd'], 0.0003);
    assert.equal(one(spans, `realtime ${MODEL}`).attributes['spanlens.session.cost.usd'], 0.00039);
    const { resourceMetrics } = await reader.collect();
    const metrics = resourceMetrics.scopeMetrics.flatMap((sm) => sm.metrics);
    const cost = metrics.find((m) => m.descriptor.name === 'spanlens.cost')!.dataPoints as { attributes: Record<string, unknown>; value: number }[];
    assert.deepEqual(cost.map((p) => [p.attributes['gen_ai.operation.name'], p.attributes['gen_ai.request.model'], p.value]).sort(), [
      ['generate_content', 'gpt-4o-mini-transcribe', 0.00009],
      ['generate_content', 'whisper-1', 0.0003],
    ]);
    const durations = metrics.find((m) => m.descriptor.name === 'gen_ai.client.operation.duration')!.dataPoints as { attributes: Record<string, unknown>; value: { sum: number } }[];
    assert.deepEqual(durations.map((p) => [p.attributes['gen_ai.request.model'], p.value.sum]).sort(), [
      ['gpt-4o-mini-transcribe', 0.19],
      ['whisper-1', 0.19],
    ]);
    await meters.shutdown();
  });

  it('an error event answering a response.create is that response failed; any other marks the session', () => {
    const s = setup();
    sessionCreated(s, 5);
    s.send(100, { type: 'response.create', event_id: 'evt_bad', response: { max_output_tokens: 5 } });
    s.recv(120, { type: 'error', event_id: eid(), error: { type: 'invalid_request_error', code: 'invalid_value', message: 'bad', event_id: 'evt_bad', param: null } });
    s.recv(130, { type: 'error', event_id: eid(), error: { type: 'invalid_request_error', code: 'unknown_event', message: 'what' } });
    s.sessions.closed(s.socket, 1000, true);
    const spans = s.spans();
    const root = one(spans, `realtime ${MODEL}`);
    const failed = one(spans, `chat ${MODEL}`);
    assert.equal(failed.parentSpanId, root.spanId);
    assert.equal(failed.status.code, 'ERROR');
    assert.equal(failed.attributes['error.type'], 'invalid_value');
    assert.equal(failed.endMs, T0 + 120);
    assert.equal(root.status.code, 'ERROR');
    assert.equal(root.attributes['error.type'], 'unknown_event');
    assert.equal(root.events.filter((e) => e.name === 'openai.realtime.error').length, 1);
    assert.equal(root.attributes['spanlens.realtime.error.count'], 2);
  });

  it('a cancelled response is marked cancelled, not failed', () => {
    const s = setup();
    sessionCreated(s, 5);
    s.send(100, { type: 'response.create' });
    s.recv(110, { type: 'response.created', event_id: eid(), response: { id: 'resp_c', status: 'in_progress', output: [] } });
    s.send(130, { type: 'response.cancel', response_id: 'resp_c' });
    s.recv(140, { type: 'response.done', event_id: eid(), response: { id: 'resp_c', status: 'cancelled', status_details: { type: 'cancelled', reason: 'client_cancelled' }, output: [], usage } });
    s.sessions.closed(s.socket, 1000, true);
    const chat = one(s.spans(), `chat ${MODEL}`);
    assert.equal(chat.status.code, 'UNSET');
    assert.equal(chat.attributes['spanlens.response.status'], 'cancelled');
    assert.deepEqual(chat.attributes['gen_ai.response.finish_reasons'], ['cancelled']);
    assert.equal(chat.attributes['spanlens.realtime.response.status_reason'], 'client_cancelled');
    assert.equal(chat.attributes['spanlens.realtime.cancel_requested'], true);
    assert.equal(chat.events[0]?.name, 'openai.realtime.response.cancel');
  });

  it('a session open at shutdown ends marked, its open response too; a server close fails the open response', () => {
    const s = setup();
    sessionCreated(s, 5);
    s.send(100, { type: 'response.create' });
    s.recv(110, { type: 'response.created', event_id: eid(), response: { id: 'resp_o', status: 'in_progress', output: [] } });
    s.sessions.endAll('shutdown');
    const spans = s.spans();
    assert.equal(one(spans, `realtime ${MODEL}`).attributes['spanlens.realtime.end_reason'], 'shutdown');
    assert.equal(one(spans, `chat ${MODEL}`).attributes['spanlens.response.end_reason'], 'shutdown');
    assert.equal(s.sessions.of(s.socket), undefined);

    const t = setup();
    t.send(100, { type: 'response.create' });
    t.recv(110, { type: 'response.created', event_id: eid(), response: { id: 'resp_x', status: 'in_progress', output: [] } });
    t.sessions.closed(t.socket, 1011, false);
    const chat = one(t.spans(), `chat ${MODEL}`);
    assert.equal(chat.status.code, 'ERROR');
    assert.equal(chat.attributes['error.type'], 'websocket_closed');
    assert.equal(one(t.spans(), `realtime ${MODEL}`).attributes['spanlens.realtime.end_reason'], 'server_closed');
  });

  it('placement: its own trace with the app span as a caller link; traceScope request keeps it in the app trace', () => {
    for (const scope of ['conversation', 'request'] as const) {
      const s = setup({}, scope);
      const app = s.provider.getTracer('app').startSpan('app request');
      const ctx = trace.setSpan(context.active(), app);
      const session = s.sessions.opened({}, { url: `wss://h/v1/realtime?model=${MODEL}`, ambient: ctx });
      session.closed(1000, true);
      app.end();
      const spans = s.spans();
      const root = one(spans, `realtime ${MODEL}`); // the setup's own session is still open
      const appSpan = one(spans, 'app request');
      if (scope === 'request') {
        assert.equal(root.parentSpanId, appSpan.spanId);
        assert.equal(root.traceId, appSpan.traceId);
      } else {
        assert.equal(root.parentSpanId, undefined);
        assert.notEqual(root.traceId, appSpan.traceId);
        assert.deepEqual(
          root.links.map((l) => [l.spanId, l.attributes['spanlens.link']]),
          [[appSpan.spanId, 'caller']],
        );
      }
    }
  });

  it('no content with capture off; a session of 10,000 responses keeps nothing per answered response', () => {
    const s = setup({ captureContent: false });
    sessionCreated(s, 5);
    for (let i = 0; i < 10_000; i++) {
      s.send(10 + i, { type: 'response.create' });
      textResponse(s, 10 + i, `resp_${i}`, 'secret text');
    }
    const state = s.session as unknown as { open: { size: number }; creates: unknown[]; transcriptions: { size: number } };
    assert.equal(state.open.size, 0);
    assert.equal(state.creates.length, 0);
    s.sessions.closed(s.socket, 1000, true);
    const spans = s.spans();
    assert.equal(one(spans, `realtime ${MODEL}`).attributes['spanlens.session.response_count'], 10_000);
    for (const span of spans) for (const v of Object.values(span.attributes)) assert.ok(!String(v).includes('secret'), `content on ${span.name}`);
  });

  it('the beta protocol (openai 4–7 beta/realtime): its session shape, text and audio deltas and item parts', () => {
    const s = setup();
    const recv = (at: number, e: BetaServerEvent) => s.session.received(e as unknown as Record<string, unknown>, T0 + at);
    recv(5, {
      type: 'session.created',
      event_id: eid(),
      session: {
        id: 'sess_b',
        model: 'gpt-4o-realtime-preview',
        modalities: ['text', 'audio'],
        voice: 'verse',
        turn_detection: { type: 'server_vad' },
        input_audio_transcription: { model: 'whisper-1' },
        output_audio_format: 'pcm16',
        tools: [],
      },
    });
    s.send(100, { type: 'response.create' });
    recv(110, { type: 'response.created', event_id: eid(), response: { id: 'resp_b', object: 'realtime.response', status: 'in_progress', output: [] } });
    recv(120, { type: 'response.audio.delta', event_id: eid(), response_id: 'resp_b', item_id: 'item_b', output_index: 0, content_index: 0, delta: Buffer.alloc(4800).toString('base64') });
    recv(130, { type: 'response.audio_transcript.delta', event_id: eid(), response_id: 'resp_b', item_id: 'item_b', output_index: 0, content_index: 0, delta: 'Hi' });
    const item = {
      id: 'item_b',
      type: 'message' as const,
      role: 'assistant' as const,
      object: 'realtime.item' as const,
      status: 'completed' as const,
      content: [{ type: 'audio' as const, transcript: 'Hi there' }],
    };
    recv(150, { type: 'response.done', event_id: eid(), response: { id: 'resp_b', object: 'realtime.response', status: 'completed', output: [item], usage } });
    s.sessions.closed(s.socket, 1000, true);
    const spans = s.spans();
    const root = one(spans, `realtime ${MODEL}`);
    assert.deepEqual(root.attributes['spanlens.realtime.output_modalities'], ['text', 'audio']);
    assert.equal(root.attributes['spanlens.realtime.voice'], 'verse');
    assert.equal(root.attributes['spanlens.realtime.turn_detection'], 'server_vad');
    assert.equal(root.attributes['spanlens.realtime.transcription_model'], 'whisper-1');
    const chat = one(spans, `chat ${MODEL}`);
    assert.equal(chat.attributes['spanlens.realtime.output_audio.duration_ms'], 100);
    assert.equal(chat.attributes['spanlens.realtime.time_to_first_audio'], 0.02);
    assert.equal(chat.attributes['spanlens.realtime.time_to_first_text'], 0.03);
    assert.deepEqual(JSON.parse(String(chat.attributes['gen_ai.output.messages']))[0].parts, [{ type: 'text', content: 'Hi there' }]);
  });

  it('connection kinds: a sideband socket (call_id) is `realtime` until its session names a model; a beta transcription session by its own events', () => {
    const { env, spans } = testServices({});
    const sessions = new RealtimeSessions(env);
    const base = 'wss://127.0.0.1:4010/v1/realtime';
    const sideband = sessions.opened({}, { url: `${base}?call_id=rtc_42`, ambient: ROOT_CONTEXT, startTime: T0 });
    const unnamed = sessions.opened({}, { url: `${base}?call_id=rtc_43`, ambient: ROOT_CONTEXT, startTime: T0 });
    sideband.received({ type: 'session.created', event_id: eid(), session: { type: 'realtime', id: 'sess_s', model: MODEL } }, T0 + 5);
    const transcription = sessions.opened({}, { url: `${base}?intent=transcription`, ambient: ROOT_CONTEXT, startTime: T0 });
    const beta = (at: number, e: BetaServerEvent) => transcription.received(e as unknown as Record<string, unknown>, T0 + at);
    transcription.sent({ type: 'transcription_session.update', session: { input_audio_transcription: { model: 'whisper-1' } } }, T0 + 5, ROOT_CONTEXT);
    beta(10, {
      type: 'transcription_session.updated',
      event_id: eid(),
      session: { client_secret: { value: 'ek_x', expires_at: 0 }, input_audio_transcription: { model: 'whisper-1' }, turn_detection: { type: 'server_vad' } },
    });
    beta(100, { type: 'input_audio_buffer.committed', event_id: eid(), item_id: 'item_t', previous_item_id: null as unknown as string });
    transcription.received(
      { type: 'conversation.item.input_audio_transcription.completed', event_id: eid(), item_id: 'item_t', content_index: 0, transcript: 'Hello', usage: { type: 'duration', seconds: 30 } },
      T0 + 400,
    );
    for (const s of [sideband, unnamed, transcription]) s.closed(1000, true, T0 + 500);
    const all = spans();
    assertWellFormed(all);
    const named = one(all, `realtime ${MODEL}`);
    assert.equal(named.attributes['spanlens.realtime.call_id'], 'rtc_42');
    assert.equal(named.attributes['gen_ai.request.model'], undefined);
    assert.equal(one(all, 'realtime').attributes['spanlens.realtime.call_id'], 'rtc_43');
    const root = one(all, 'realtime transcription');
    assert.equal(root.attributes['spanlens.realtime.session_type'], 'transcription');
    assert.equal(root.attributes['spanlens.realtime.transcription_model'], 'whisper-1');
    assert.equal(JSON.stringify(root.attributes).includes('ek_x'), false);
    const x = one(childrenOf(all, root), 'transcription whisper-1');
    assert.equal(x.attributes['spanlens.usage.audio_seconds'], 30);
    assert.ok(Number(x.attributes['spanlens.cost.usd']) > 0);
    assert.equal(root.attributes['spanlens.session.cost.usd'], x.attributes['spanlens.cost.usd']);
  });

  it('metrics: duration, tokens, cost and first-chunk / per-chunk times of each response, with the server and model', async () => {
    const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
    const meters = new MeterProvider({ readers: [reader] });
    const s = setup({}, 'conversation', createMetrics(meters.getMeter('test')));
    sessionCreated(s, 5);
    s.send(100, { type: 'response.create' });
    textResponse(s, 150, 'resp_m', 'Hi');
    s.sessions.closed(s.socket, 1000, true);
    const { resourceMetrics } = await reader.collect();
    const metrics = new Map(resourceMetrics.scopeMetrics.flatMap((sm) => sm.metrics).map((m) => [m.descriptor.name, m]));
    const point = (name: string) => metrics.get(name)?.dataPoints[0] as { attributes: Record<string, unknown>; value: { count?: number; sum?: number } | number } | undefined;
    const duration = point('gen_ai.client.operation.duration');
    assert.deepEqual(duration?.attributes, { 'gen_ai.provider.name': 'openai', 'server.address': '127.0.0.1', 'server.port': 4010, 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': MODEL });
    assert.equal((duration?.value as { sum: number }).sum, 0.15);
    assert.equal((point('gen_ai.client.operation.time_to_first_chunk')?.value as { sum: number }).sum, 0.07);
    assert.equal((point('gen_ai.client.operation.time_per_output_chunk')?.value as { count: number }).count, 2);
    assert.equal(metrics.get('gen_ai.client.token.usage')?.dataPoints.length, 2);
    assert.equal(point('spanlens.cost')?.value, 0.0536);
    await meters.shutdown();
  });

  it('junk events (nulls, wrong types, unknown ids, out of order) neither throw nor leave a span open', () => {
    const s = setup();
    const junk: unknown[] = [
      { type: 'response.done' },
      { type: 'response.done', response: null },
      { type: 'response.created', response: { id: 42 } },
      { type: 'response.output_text.delta', response_id: 'resp_unknown', delta: null },
      { type: 'response.output_item.done', response_id: 'resp_unknown', item: 'x' },
      { type: 'session.updated', session: { audio: null, tools: 'x', output_modalities: [1, null] } },
      { type: 'conversation.item.input_audio_transcription.completed', usage: { type: 'tokens', input_tokens: 'x' } },
      { type: 'error', error: null },
      { type: 'error' },
      { type: 'input_audio_buffer.committed' },
      { type: 'response.created', response: { id: 'resp_j' } },
      { type: 'response.output_audio.delta', response_id: 'resp_j', delta: 12 },
      { type: 'response.done', response: { id: 'resp_j', status: 'failed', output: [null, { type: 'message', content: [null, { text: 5 }] }], usage: 'none' } },
    ];
    for (const [i, e] of junk.entries()) s.session.received(e as Record<string, unknown>, T0 + i);
    for (const e of [
      { type: 'response.cancel' },
      { type: 'conversation.item.create', item: { type: 'function_call_output' } },
      { type: 'input_audio_buffer.append', audio: null },
      { type: 'session.update', session: 'x' },
    ])
      s.session.sent(e as Record<string, unknown>, T0 + 50, ROOT_CONTEXT);
    s.sessions.closed(s.socket, undefined, false);
    const spans = s.spans();
    assert.equal(one(spans, `realtime ${MODEL}`).attributes['spanlens.realtime.end_reason'], 'server_closed');
    assert.equal(one(spans, `chat ${MODEL}`).status.code, 'ERROR');
  });

  it('a voice agent handed off while its response still runs ends with that response, not before (agents/voice-agents.ts owning the session)', () => {
    const greeter = { name: 'Greeter', tools: [], handoffs: [{ agentName: 'Expert' }] };
    const expert = { name: 'Expert', tools: [{ name: 'lookup' }], handoffs: [] };
    let current: object = greeter;
    const voice = new VoiceAgents(() => current);
    // The agent layer times its own spans by the clock: feed the session at the clock's times too.
    const s = setup({}, 'conversation', undefined, voice);
    voice.connected(s.session, s.env);
    const at = () => now() - T0;
    s.send(at(), { type: 'response.create' });
    s.recv(at(), { type: 'response.created', event_id: eid(), response: { id: 'resp_a', status: 'in_progress', output: [] } });
    voice.event('agent_start', [{}, greeter]);
    const call = { id: 'item_h', type: 'function_call' as const, call_id: 'call_h', name: 'transfer_to_Expert', arguments: '{}', status: 'completed' as const };
    s.recv(at(), { type: 'response.output_item.done', event_id: eid(), response_id: 'resp_a', output_index: 0, item: call });
    // The SDK acts on the call at once (0.3.x), before the response is done.
    voice.event('agent_handoff', [{}, greeter, expert]);
    current = expert;
    s.recv(at(), { type: 'response.done', event_id: eid(), response: { id: 'resp_a', status: 'completed', output: [call], usage } });
    voice.event('agent_end', [{}, greeter, '']);
    s.send(at(), { type: 'response.create' });
    s.recv(at(), { type: 'response.created', event_id: eid(), response: { id: 'resp_b', status: 'in_progress', output: [] } });
    voice.event('agent_start', [{}, expert]);
    s.recv(at(), { type: 'response.done', event_id: eid(), response: { id: 'resp_b', status: 'completed', output: [], usage } });
    s.sessions.closed(s.socket, 1000, true);
    const spans = s.spans();
    assertWellFormed(spans);
    const root = one(spans, `realtime ${MODEL}`);
    const [g, e] = [one(spans, 'invoke_agent Greeter'), one(spans, 'invoke_agent Expert')];
    const first = one(spans, `chat ${MODEL}`, { 'gen_ai.response.id': 'resp_a' });
    assert.equal(first.parentSpanId, g.spanId);
    assert.equal(g.endMs, first.endMs, 'the handed-off agent ends with its response');
    assert.equal(one(spans, 'handoff Greeter → Expert').parentSpanId, g.spanId);
    assert.deepEqual(g.attributes['spanlens.agent.handoffs'], ['Expert']);
    assert.equal(one(spans, `chat ${MODEL}`, { 'gen_ai.response.id': 'resp_b' }).parentSpanId, e.spanId);
    assert.deepEqual(e.attributes['spanlens.agent.tools'], ['lookup']);
    assert.deepEqual([g.parentSpanId, e.parentSpanId], [root.spanId, root.spanId]);
    assert.equal(spans.filter((x) => x.name.startsWith('execute_tool')).length, 0, "no call item or tool work span: a voice agent's tools are the SDK's tool events");
  });
});
