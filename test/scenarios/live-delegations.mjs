// The Live API's delegations through openai's LiveWS (openai >= 7.14), as the app loads the SDK, over real
// sockets to the emulator: (1) a Responses delegation whose response calls a function: the app runs it and
// sends the result (`response.item.create`), then `response.create` for the follow-up; (2) a client
// delegation the app answers with `session.commentary.append`; (3) a Decisions delegation, the app's
// `decision.create` and a transcript trigger; then (4) the HTTP Decisions API (`client.decisions.create`).
// Returns what the app saw (event types, ids, texts), so a run without the instrumentation must return the same.
const MODEL = 'gpt-live-1';
const WEATHER = { type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
const QUESTIONS = [{ type: 'predicate', name: 'weather', instructions: 'Is the user asking about the weather?' }];
const silence = Buffer.alloc(4800).toString('base64');

/** One session: `script(ws, next)` drives it after its start; returns the event types seen and the session's id. */
async function talk(LiveWS, client, session, script) {
  const ws = new LiveWS(client);
  const seen = [];
  const waiters = [];
  ws.on('error', (err) => seen.push(`error-listener:${err?.constructor?.name}`));
  ws.on('event', (e) => {
    seen.push(e.type === 'response.event' ? `response.event:${e.event.type}` : e.type === 'decision.event' ? `decision.event:${e.event.decision.answers.length}` : e.type);
    for (const w of waiters.filter((w) => w.match(e))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(e);
    }
  });
  const next = (type, match = () => true) => new Promise((resolve) => waiters.push({ match: (e) => e.type === type && match(e), resolve }));
  const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  const started = next('session.started');
  ws.send({ type: 'session.start', session: { model: MODEL, ...session } });
  const id = (await started).session.id;
  const out = await script(ws, next);
  const ended = next('session.closed');
  ws.send({ type: 'session.close' });
  await ended;
  return { id, code: await closed, seen, ...out };
}

const line = (ws) => {
  for (let i = 0; i < 7; i++) ws.send({ type: 'session.input_audio.append', audio: silence });
};

export default async function liveDelegations(ctx) {
  const { LiveWS } = (await ctx.loadAppModule('openai/resources/live/ws')).mod;
  const { client } = ctx.makeClient({ maxRetries: 0 });
  const tools = await talk(LiveWS, client, { delegation: { type: 'responses', responses: { model: 'gpt-5-mini', tools: [WEATHER] } } }, async (ws, next) => {
    ws.send({ type: 'session.input_audio.append', audio: silence });
    const done = next('response.event', (e) => e.event.type === 'response.completed');
    ws.send({ type: 'response.create' });
    const call = (await done).event.response.output.find((o) => o.type === 'function_call');
    const usage = next('session.usage.updated');
    ws.send({ type: 'response.item.create', item: { type: 'function_call_output', call_id: call.call_id, output: '{"temp_c":18}' } });
    ws.send({ type: 'response.create' });
    await usage;
    return { callId: call.call_id, args: call.arguments };
  });
  const answered = await talk(LiveWS, client, { delegation: { type: 'client' } }, async (ws, next) => {
    const created = next('session.delegation.created');
    line(ws);
    const delegation = (await created).delegation.id;
    const usage = next('session.usage.updated');
    ws.send({ type: 'session.commentary.append', delegation_id: delegation, content: 'It is sunny in Paris.' });
    await usage;
    return { delegation };
  });
  const decided = await talk(
    LiveWS,
    client,
    {
      delegation: { type: 'decisions', decisions: { model: 'gpt-6-luna', questions: QUESTIONS } },
      triggers: [{ type: 'decisions', event_type: 'session.input_transcript.delta', decisions: { questions: QUESTIONS } }],
    },
    async (ws, next) => {
      const usage = next('session.usage.updated');
      line(ws);
      await usage;
      const decision = next('decision.event', (e) => e.delegation_id === null && e.trigger_id === null);
      ws.send({ type: 'decision.create', event_id: 'evt_decide_1' });
      return { usage: (await decision).event.decision.usage };
    },
  );
  const http = await client.decisions.create({ model: 'gpt-6-luna', input: 'What is the weather in Paris today?', questions: QUESTIONS });
  return { tools, answered, decided, http };
}
