// openai 7's other two ways of opening a Realtime socket, over real sockets to the emulator (as
// realtime-ws.mjs): a sideband control connection to an existing call (`callID`: `?call_id=`) answering
// one typed turn, and a transcription session (`intent: 'transcription'`) transcribing one spoken turn
// that server VAD ends (24 kHz PCM16: 300 ms of a tone, 300 ms of silence). Returns what the app saw.
import net from 'node:net';

/** Opens a socket with `connection`, logging the events; `next(type)` waits for the next one of a type. */
async function open(OpenAIRealtimeWS, client, port, connection) {
  const rt = new OpenAIRealtimeWS({ ...connection, options: { createConnection: () => net.connect(port, '127.0.0.1') } }, client);
  const seen = [];
  const waiters = [];
  rt.on('error', (err) => seen.push(`error-listener:${err?.constructor?.name}`));
  rt.on('event', (e) => {
    seen.push(e.type);
    const i = waiters.findIndex((w) => w.type === e.type);
    if (i >= 0) waiters.splice(i, 1)[0].resolve(e);
  });
  const next = (type) => new Promise((resolve) => waiters.push({ type, resolve }));
  const closed = new Promise((resolve) => rt.socket.on('close', (code) => resolve(code)));
  const created = next('session.created');
  await new Promise((resolve) => rt.socket.on('open', resolve));
  const session = (await created).session;
  const close = () => (rt.close(), closed);
  return { rt, seen, next, session, close };
}

function pcm(ms, loud) {
  const chunks = [];
  for (let done = 0; done < ms; done += 100) {
    const buf = Buffer.alloc(4800);
    if (loud) for (let i = 0; i < 2400; i++) buf.writeInt16LE(Math.round(8000 * Math.sin(i / 5)), i * 2);
    chunks.push(buf.toString('base64'));
  }
  return chunks;
}

export default async function realtimeIntents(ctx) {
  const { OpenAIRealtimeWS } = (await ctx.loadAppModule('openai/realtime/ws')).mod;
  const { client } = ctx.makeClient({ maxRetries: 0 });
  const port = Number(new URL(ctx.baseURL).port);

  const side = await open(OpenAIRealtimeWS, client, port, { callID: 'rtc_cell_1' });
  let updated = side.next('session.updated');
  side.rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
  await updated;
  side.rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Who is calling?' }] } });
  const done = side.next('response.done');
  side.rt.send({ type: 'response.create' });
  const response = (await done).response;
  const sideCode = await side.close();

  const tr = await open(OpenAIRealtimeWS, client, port, { intent: 'transcription' });
  updated = tr.next('session.updated');
  tr.rt.send({
    type: 'session.update',
    session: { type: 'transcription', audio: { input: { transcription: { model: 'gpt-4o-mini-transcribe' }, turn_detection: { type: 'server_vad', silence_duration_ms: 200 } } } },
  });
  await updated;
  const completed = tr.next('conversation.item.input_audio_transcription.completed');
  for (const chunk of [...pcm(300, true), ...pcm(300, false)]) tr.rt.send({ type: 'input_audio_buffer.append', audio: chunk });
  const transcribed = await completed;
  const trCode = await tr.close();

  return {
    sideband: { session: side.session.id, response: response.id, code: sideCode, seen: side.seen },
    transcription: { type: tr.session.type, session: tr.session.id, item: transcribed.item_id, transcript: transcribed.transcript, code: trCode, seen: tr.seen },
  };
}
