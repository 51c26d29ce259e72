// A Realtime session through openai's OpenAIRealtimeWS (openai 5–7: `openai/realtime/ws`; openai 4: only
// `openai/beta/realtime/ws`), loaded as the app loads the SDK (require, or import by its bare subpath from the
// app's dir), over a real socket to the emulator: the SDK builds a wss: URL, and the `ws` package's
// createConnection option hands it a plain TCP connection (no TLS on loopback). A text turn that calls a
// function, the function's output, the answer, then an error event and a close. Returns what the app saw
// (event types, ids, texts), so a run without the instrumentation must return exactly the same.
import net from 'node:net';

const MODEL = 'gpt-realtime';
const weather = { type: 'function', name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };

export default async function realtimeOverWebSocket(ctx) {
  const subpath = ctx.major >= 5 ? 'openai/realtime/ws' : 'openai/beta/realtime/ws';
  const { OpenAIRealtimeWS } = (await ctx.loadAppModule(subpath)).mod;
  const { client } = ctx.makeClient({ maxRetries: 0 });
  const port = Number(new URL(ctx.baseURL).port);
  const rt = new OpenAIRealtimeWS({ model: MODEL, options: { createConnection: () => net.connect(port, '127.0.0.1') } }, client);
  const seen = [];
  const events = [];
  const waiters = [];
  rt.on('error', (err) => seen.push(`error-listener:${err?.constructor?.name}`));
  rt.on('event', (e) => {
    seen.push(e.type);
    events.push(e);
    const i = waiters.findIndex((w) => w.type === e.type);
    if (i >= 0) waiters.splice(i, 1)[0].resolve(e);
  });
  const next = (type) => new Promise((resolve) => waiters.push({ type, resolve }));
  const closed = new Promise((resolve) => rt.socket.on('close', (code) => resolve(code)));
  await new Promise((resolve) => rt.socket.on('open', resolve));
  const updated = next('session.updated');
  rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'], instructions: 'Answer briefly.', tools: [weather] } });
  await updated;
  rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Weather in Paris?' }] } });
  let done = next('response.done');
  rt.send({ type: 'response.create' });
  const asked = (await done).response;
  const call = asked.output.find((o) => o.type === 'function_call');
  rt.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: call.call_id, output: 'Sunny, 21°C' } });
  done = next('response.done');
  rt.send({ type: 'response.create' });
  const answered = (await done).response;
  const failed = next('error');
  rt.send({ type: 'response.create', event_id: 'evt_bad_create', response: { max_output_tokens: 0 } });
  const error = (await failed).error;
  rt.close();
  const code = await closed;
  const text = (r) => r.output.flatMap((o) => (o.type === 'message' ? o.content.map((c) => c.text ?? c.transcript) : [])).join('');
  return { ids: [asked.id, answered.id], session: events[0]?.session?.id, callId: call.call_id, text: text(answered), error: error.code, code, seen };
}
