// (h) a Realtime session over a real WebSocket on loopback (openai's OpenAIRealtimeWS, the `ws` package, the
// emulator's /v1/realtime in the parent process): the app asks for responses one after another ('long'
// text answers, a few hundred events each) until it has received N server events, and handles each event
// as an app's listener would. Reported per event: the app process's wall and CPU time, flush included.
import { createRequire } from 'node:module';
import net from 'node:net';

const require = createRequire(import.meta.url);

/** One session, opened on the emulator; its event count and a promise of the next response.done. */
async function openSession(emulatorURL) {
  const { OpenAIRealtimeWS } = require('openai/realtime/ws');
  const OpenAI = require('openai').default ?? require('openai');
  const client = new OpenAI({ apiKey: 'bench', baseURL: emulatorURL, maxRetries: 0 });
  const port = Number(new URL(emulatorURL).port);
  // The SDK builds a wss: URL; a plain TCP connection to the emulator skips only TLS (every frame is real).
  const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime', options: { createConnection: () => net.connect(port, '127.0.0.1') } }, client);
  const s = { rt, events: 0, textChars: 0, done: undefined, failed: undefined };
  rt.on('event', (e) => {
    s.events++;
    if (e.type === 'response.output_text.delta') s.textChars += e.delta.length;
    if (e.type === 'response.done') s.done?.();
  });
  rt.on('error', (err) => (s.failed = err));
  await new Promise((resolve, reject) => {
    rt.on('session.created', resolve);
    rt.socket.on('error', reject);
  });
  return s;
}

/** One response on session `s` (a short text answer) to the app's typed question. */
async function ask(s, metadata) {
  const done = new Promise((resolve) => (s.done = resolve));
  s.rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Tell me a long story.' }] } });
  s.rt.send({ type: 'response.create', response: metadata ? { metadata } : {} });
  await done;
  if (s.failed) throw s.failed;
}

/**
 * Soak: `n` responses on one session, the app's heap after GC every `every` responses (the emulator's own
 * conversation grows in the parent process, not here): what a session that lasts hours keeps.
 */
export async function realtimeSoak(n, every, { emulatorURL, flush, gc, heapMB }) {
  const s = await openSession(emulatorURL);
  await flush();
  gc();
  const samples = [{ responses: 0, heapMB: heapMB() }];
  for (let i = 1; i <= n; i++) {
    await ask(s);
    if (i % every === 0) {
      await flush();
      gc();
      samples.push({ responses: i, heapMB: heapMB() });
    }
  }
  s.rt.close();
  return { samples, events: s.events };
}

/** Responses until `n` server events arrived on a fresh session (closed after); `flush` exports the spans. */
export async function realtimeEvents(n, { emulatorURL, flush }) {
  const s = await openSession(emulatorURL);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const first = s.events;
  while (s.events - first < n) await ask(s, { script: 'long' });
  await flush();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const events = s.events - first;
  s.rt.close();
  return { n: events, wallMs: ms / events, cpuMs: (cpu.user + cpu.system) / 1000 / events, textChars: s.textChars };
}
