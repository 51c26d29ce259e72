// A voice agent app (`@openai/agents-realtime`'s RealtimeSession, installed with the cell's `@openai/agents`,
// loaded as the cell's module format loads it) against the emulator's Realtime socket on loopback: the
// greeter hands off to an expert, which calls its lookup tool, then answers (scripted by `[emulator:…]`
// markers in their instructions). The tool does its own work in an app span: a chat completion. Returns what the app saw — its session events in order and its history,
// ids taken out — so a run without the instrumentation must return exactly the same. The SDK acts on a
// function call at its output_item.done, so whether that work or response.done reaches the app first is
// decided by how the socket's frames arrive: the response events and the work events are each kept in order.
const MODEL = 'gpt-realtime';
const EVENTS = ['agent_start', 'agent_end', 'agent_handoff', 'agent_tool_start', 'agent_tool_end', 'error'];

export default async function voiceAgents(ctx) {
  const { mod: rt } = await ctx.loadAppModule('@openai/agents-realtime');
  const { client } = ctx.makeClient({ maxRetries: 0 });
  const lookup = rt.tool({
    name: 'lookup',
    description: 'Looks a question up.',
    parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'], additionalProperties: false },
    strict: true,
    execute: async ({ q }) =>
      ctx.tracer.startActiveSpan('app.lookup', async (span) => {
        try {
          const done = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: q }] });
          return `found ${q} (${done.choices.length})`;
        } finally {
          span.end();
        }
      }),
  });
  const expert = new rt.RealtimeAgent({ name: 'Expert', instructions: 'An expert. [emulator:call=lookup]', tools: [lookup] });
  const greeter = new rt.RealtimeAgent({ name: 'Greeter', instructions: 'Greets. [emulator:handoff=Expert]', handoffs: [expert] });
  const session = new rt.RealtimeSession(greeter, { model: MODEL, config: { outputModalities: ['text'] }, workflowName: 'Voice cell' });
  const seen = [];
  for (const name of EVENTS) session.on(name, (...args) => seen.push([name, ...args.slice(1).map((a) => a?.name ?? (typeof a === 'string' ? a : a?.error?.message))].join(' ')));
  const history = await talk(ctx, session, seen, 'I need an expert.', 3);
  const response = (s) => s.startsWith('agent_start') || s.startsWith('agent_end');
  // agent_end names the agent current at response.done in 0.3.x: the handoff's race decides which one.
  const responses = seen.filter(response).map((s) => (s.startsWith('agent_end') ? s.replace(/^agent_end \S+/, 'agent_end') : s));
  return { responses, work: seen.filter((s) => !response(s)), history };
}

/**
 * Connects the session to the emulator, sends `message`, waits for `ends` agent_end events among what the
 * app `seen`, closes and waits for the close; the history, ids taken out.
 */
export async function talk(ctx, session, seen, message, ends) {
  const port = Number(new URL(ctx.baseURL).port);
  await session.connect({ apiKey: 'sk-test', url: `ws://127.0.0.1:${port}/v1/realtime?model=${MODEL}` });
  session.sendMessage(message);
  const until = Date.now() + 10_000;
  while (seen.filter((s) => s.startsWith('agent_end')).length < ends) {
    if (Date.now() > until) throw new Error(`timed out: ${JSON.stringify(seen)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  session.close();
  // Older transports (0.3.x) only start the socket's closing handshake in close(): wait for it to end.
  while (session.transport.status !== 'disconnected') {
    if (Date.now() > until) throw new Error('timed out waiting for the close');
    await new Promise((r) => setTimeout(r, 20));
  }
  // An MCP call's history status depends on frame arrival, traced or not: the SDK retrieves the call at its
  // `response.mcp_call.in_progress` and marks what comes back in_progress, so a retrieved answer landing after
  // the item's `conversation.item.done` leaves it in_progress, one landing before ends completed.
  return JSON.stringify(session.history)
    .replace(/"(event|item|resp|sess|conv|mcp)_[0-9a-f]+"/g, '"$1_*"')
    .replace(/"call_[A-Za-z0-9]+"/g, '"call_*"')
    .replace(/("type":"mcp_call","status":)"(in_progress|completed)"/g, '$1"*"');
}
