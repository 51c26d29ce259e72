// A Live API sideband through openai's SidebandWS (openai >= 7.14: `openai/resources/live/sideband/ws`),
// loaded as the app loads the SDK, attached to a session another client runs (a plain `ws` socket, as a
// browser's connection would be: not the SDK, not traced). The sideband asks for a response (a delegation)
// and closes the session. Returns what the app saw, so a run without the instrumentation must return the same.
export default async function liveSideband(ctx) {
  const { SidebandWS } = (await ctx.loadAppModule('openai/resources/live/sideband/ws')).mod;
  const { WebSocket } = (await ctx.loadAppModule('ws')).mod;
  const { client } = ctx.makeClient({ maxRetries: 0 });
  const primary = new WebSocket(`${ctx.baseURL.replace(/^http/, 'ws')}/live/sessions`);
  const heard = [];
  const waiting = [];
  primary.on('message', (data) => {
    const e = JSON.parse(String(data));
    heard.push(e.type);
    const i = waiting.findIndex((w) => w.type === e.type);
    if (i >= 0) waiting.splice(i, 1)[0].resolve(e);
  });
  await new Promise((resolve) => primary.on('open', resolve));
  const started = new Promise((resolve) => waiting.push({ type: 'session.started', resolve }));
  primary.send(JSON.stringify({ type: 'session.start', session: { model: 'gpt-live-1', delegation: { type: 'responses', responses: { model: 'gpt-5-mini' } } } }));
  const id = (await started).session.id;
  const ws = new SidebandWS(client, { session_id: id });
  const seen = [];
  const waiters = [];
  ws.on('error', (err) => seen.push(`error-listener:${err?.constructor?.name}`));
  ws.on('event', (e) => {
    seen.push(e.type === 'response.event' ? `response.event:${e.event.type}` : e.type);
    const i = waiters.findIndex((w) => w.type === e.type);
    if (i >= 0) waiters.splice(i, 1)[0].resolve(e);
  });
  const next = (type) => new Promise((resolve) => waiters.push({ type, resolve }));
  const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  await next('session.started');
  const usage = next('session.usage.updated');
  ws.send({ type: 'response.create' });
  const seconds = (await usage).usage.seconds;
  const ended = next('session.closed');
  ws.send({ type: 'session.close' });
  const reason = (await ended).reason;
  const code = await closed;
  primary.close();
  return { session: id, seconds, reason, code, seen };
}
