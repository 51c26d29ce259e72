// An OpenAI Agents SDK app whose tool needs the app's approval (human in the loop), on the cell's
// `@openai/agents` and openai copy, pointed at the emulator: the triage agent hands off to the weather agent,
// whose get_weather has `needsApproval: true`, so the run stops with one interruption; the app approves or
// rejects it on the run's state and runs again from that state. args.flow:
//   'approve'         runner.run() interrupted, approved, resumed with the same RunState object
//   'reject-stream'   both runs streamed (read to their end); the call is rejected
//   'serialized'      the state goes through RunState.toString() / RunState.fromString() (as an app that
//                     keeps it while a human decides, in another process) before it is approved
// Returns `{ app }`: what the app saw of both runs (compared with and without the instrumentation).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { weatherAgents, TOOL_MS } = createRequire(import.meta.url)(path.resolve(here, '../../examples/weather-agents.cjs'));

const QUESTION = 'What is the weather in Berlin?';

export default async function agentsApprovals(ctx) {
  const { mod: sdk } = await ctx.loadAppModule('@openai/agents');
  const client = ctx.makeClient({ maxRetries: 0, defaultHeaders: { [ctx.args.header]: ctx.args.flow } }).client;
  const runner = new sdk.Runner({ modelProvider: new sdk.OpenAIProvider({ openAIClient: client, useResponses: true }) });
  const flow = ctx.args.flow;
  const stream = flow === 'reject-stream';
  const app = approvalApp(sdk);
  const first = await read(await runner.run(app, QUESTION, stream ? { stream: true } : undefined));
  let state = first.result.state;
  if (flow === 'serialized') state = await sdk.RunState.fromString(app, state.toString());
  const pending = state.getInterruptions();
  for (const item of pending) (flow === 'reject-stream' ? state.reject : state.approve).call(state, item);
  const second = await read(await runner.run(app, state, stream ? { stream: true } : undefined));
  return {
    app: {
      first: first.seen,
      second: { ...second.seen, finalOutput: second.result.finalOutput, lastAgent: second.result.lastAgent?.name },
    },
  };
}

/** The triage app of the other agents scenarios, its weather tool asking for approval first. */
function approvalApp(sdk) {
  const triage = weatherAgents(sdk);
  const [weather] = triage.handoffs;
  const [getWeather] = weather.tools;
  const guarded = sdk.tool({
    name: getWeather.name,
    description: getWeather.description,
    parameters: getWeather.parameters,
    strict: true,
    needsApproval: true,
    async execute({ city }) {
      await new Promise((r) => setTimeout(r, TOOL_MS));
      return JSON.stringify({ city, celsius: 21, sky: 'sunny' });
    },
  });
  return triage.clone({ handoffs: [weather.clone({ tools: [guarded] })] });
}

/**
 * A run's result (a stream read to its end) and what the app saw of it: its items, stream events and
 * interruptions (read now: the result reads them from its state, which the resumed run goes on with).
 */
async function read(result) {
  const events = [];
  if (typeof result.completed?.then === 'function') {
    for await (const e of result) if (e.type !== 'raw_model_stream_event') events.push(`${e.type}:${e.name ?? e.agent?.name ?? ''}`);
    await result.completed;
  }
  const interruptions = (result.interruptions ?? []).map((i) => `${i.agent?.name}:${i.rawItem?.name}:${i.rawItem?.callId}`);
  return { result, seen: { events, interruptions, items: result.newItems.map((i) => (i.type === 'tool_call_output_item' ? `${i.type}:${JSON.stringify(i.output)}` : i.type)) } };
}
