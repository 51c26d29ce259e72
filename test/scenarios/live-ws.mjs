// A Live API session through openai's LiveWS (openai >= 7.14: `openai/resources/live/ws`), loaded as the app
// loads the SDK (require, or import by its bare subpath from the app's dir), over a real socket to the
// emulator (the SDK turns the http: base URL into ws:). Starts a session with a Responses delegation, sends
// audio, asks for a response (a delegation), closes the session. Returns what the app saw (event types, ids,
// texts), so a run without the instrumentation must return exactly the same.
const MODEL = 'gpt-live-1';

export default async function liveOverWebSocket(ctx) {
  const { LiveWS } = (await ctx.loadAppModule('openai/resources/live/ws')).mod;
  const { client } = ctx.makeClient({ maxRetries: 0 });
  const ws = new LiveWS(client);
  const seen = [];
  const events = [];
  const waiters = [];
  ws.on('error', (err) => seen.push(`error-listener:${err?.constructor?.name}`));
  ws.on('event', (e) => {
    seen.push(e.type === 'response.event' ? `response.event:${e.event.type}` : e.type);
    events.push(e);
    const i = waiters.findIndex((w) => w.type === e.type);
    if (i >= 0) waiters.splice(i, 1)[0].resolve(e);
  });
  const next = (type) => new Promise((resolve) => waiters.push({ type, resolve }));
  const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  const started = next('session.started');
  ws.send({ type: 'session.start', session: { model: MODEL, audio: { output: { voice: 'cedar' } }, delegation: { type: 'responses', responses: { model: 'gpt-5-mini' } } } });
  const session = (await started).session;
  const silence = Buffer.alloc(4800).toString('base64');
  for (let i = 0; i < 2; i++) ws.send({ type: 'session.input_audio.append', audio: silence });
  const delegated = next('session.delegation.created');
  const usage = next('session.usage.updated');
  ws.send({ type: 'response.create' });
  const delegation = (await delegated).delegation;
  const seconds = (await usage).usage.seconds;
  const ended = next('session.closed');
  ws.send({ type: 'session.close' });
  const reason = (await ended).reason;
  const code = await closed;
  const said = events
    .filter((e) => e.type === 'session.output_transcript.delta')
    .map((e) => e.delta)
    .join('');
  return { session: session.id, delegation: delegation.id, responseId: delegation.response_id, seconds, reason, code, said, seen };
}
