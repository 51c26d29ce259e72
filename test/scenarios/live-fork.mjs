// A Live API fork through openai's ForksWS (openai >= 7.14: `openai/resources/live/forks/ws`), loaded as the
// app loads the SDK: a session stored with `store: true` (LiveWS: the user speaks, the session closes), then a
// new session forked from it (its `session.start` carries only overrides: another Responses backend model)
// that asks for a response (a delegation) and closes. Returns what the app saw, so a run without the
// instrumentation must return the same.
const silence = Buffer.alloc(4800).toString('base64');

/** A socket whose events are logged (`seen`) and can be waited for by type. */
function watch(ws, seen, prefix) {
  const waiters = [];
  ws.on('error', (err) => seen.push(`${prefix}error-listener:${err?.constructor?.name}`));
  ws.on('event', (e) => {
    seen.push(`${prefix}${e.type === 'response.event' ? `response.event:${e.event.type}` : e.type}`);
    const i = waiters.findIndex((w) => w.type === e.type);
    if (i >= 0) waiters.splice(i, 1)[0].resolve(e);
  });
  const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  return { next: (type) => new Promise((resolve) => waiters.push({ type, resolve })), closed };
}

export default async function liveFork(ctx) {
  const { LiveWS } = (await ctx.loadAppModule('openai/resources/live/ws')).mod;
  const { ForksWS } = (await ctx.loadAppModule('openai/resources/live/forks/ws')).mod;
  const { client } = ctx.makeClient({ maxRetries: 0 });
  const seen = [];
  const ws = new LiveWS(client);
  const primary = watch(ws, seen, '');
  let started = primary.next('session.started');
  ws.send({ type: 'session.start', session: { model: 'gpt-live-1', store: true, delegation: { type: 'responses', responses: { model: 'gpt-5-mini' } } } });
  const stored = (await started).session.id;
  const heard = primary.next('session.input_transcript.delta');
  ws.send({ type: 'session.input_audio.append', audio: silence });
  await heard;
  let ended = primary.next('session.closed');
  ws.send({ type: 'session.close' });
  await ended;
  await primary.closed;

  const fork = new ForksWS(client, { session_id: stored });
  const forked = watch(fork, seen, 'fork:');
  started = forked.next('session.started');
  fork.send({ type: 'session.start', session: { delegation: { type: 'responses', responses: { model: 'gpt-5' } } } });
  const session = (await started).session;
  const delegated = forked.next('session.delegation.created');
  const usage = forked.next('session.usage.updated');
  fork.send({ type: 'response.create' });
  const delegation = (await delegated).delegation;
  const seconds = (await usage).usage.seconds;
  ended = forked.next('session.closed');
  fork.send({ type: 'session.close' });
  const reason = (await ended).reason;
  const code = await forked.closed;
  return { stored, session: session.id, model: session.model, delegation: delegation.id, responseId: delegation.response_id, seconds, reason, code, seen };
}
