// Responses over WebSocket through openai's ResponsesWS (openai 6.23+), loaded as the app loads the SDK
// (require, or import by its bare subpath from the app's dir): a text response, then a function call
// answered with previous_response_id. Returns what the app saw (event types, response ids, texts), so a run
// without the instrumentation must return exactly the same.

const MODEL = 'gpt-4o-mini';
const weather = { type: 'function', name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
const SUBPATH = 'openai/resources/responses/ws';

async function loadResponsesWS(ctx) {
  return (await ctx.loadAppModule(SUBPATH)).mod;
}

export default async function responsesOverWebSocket(ctx) {
  const { ResponsesWS } = await loadResponsesWS(ctx);
  const { client } = ctx.makeClient({ maxRetries: 0 });
  const ws = new ResponsesWS(client);
  const seen = [];
  const waiters = [];
  ws.on('error', (err) => seen.push(`error-listener:${err?.constructor?.name}`));
  ws.on('event', (e) => {
    seen.push(e.type);
    if (e.type === 'error' || /^response\.(completed|failed|incomplete)$/.test(e.type)) waiters.shift()?.(e);
  });
  const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  const create = (body) =>
    new Promise((resolve) => {
      waiters.push(resolve);
      ws.send({ type: 'response.create', model: MODEL, ...body });
    });
  const first = await create({ input: 'What is the capital of France?', metadata: { script: 'answer' } });
  const asked = await create({ input: 'Weather in Paris?', tools: [weather] });
  const call = asked.response.output.find((o) => o.type === 'function_call');
  const answered = await create({ previous_response_id: asked.response.id, tools: [weather], input: [{ type: 'function_call_output', call_id: call.call_id, output: 'Sunny, 21°C' }] });
  const rejected = await create({ input: 'Hi', previous_response_id: 'resp_unknown' });
  ws.close();
  const code = await closed;
  const text = (r) => r.output.flatMap((o) => (o.type === 'message' ? o.content.map((c) => c.text) : [])).join('');
  return {
    ids: [first.response.id, asked.response.id, answered.response.id],
    callId: call.call_id,
    texts: [text(first.response), text(answered.response)],
    rejected: rejected.error?.code,
    code,
    seen,
  };
}
