// An OpenAI Agents SDK app (the real `@openai/agents` installed in the cell's openai dir, on that openai copy,
// loaded as the cell's module format loads it), pointed at the emulator: the triage agent of
// examples/weather-agents.cjs hands off to the weather agent, which calls get_weather (scripted by the
// `[emulator:…]` markers in their instructions). args.flow:
//   'run'         runner.run(): the final output, the last agent, the run's item types
//   'stream'      a streamed run read to its end: every stream event in order, then the final output
//   'tool-throws' the weather tool throws: the SDK hands the model the error text, the run goes on
//   'max-turns'   maxTurns 2 (triage's handoff, weather's tool call): the app gets MaxTurnsExceededError
// Returns `{ app, probe }`: `app` is what the app saw (compared with and without the instrumentation),
// `probe` which copy of the SDK ran and whether the instrumentation's Runner wrapper is on it.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { weatherAgents } = createRequire(import.meta.url)(path.resolve(here, '../../examples/weather-agents.cjs'));
/** The harness's `require.cache`: an ESM app must load no CommonJS copy of the SDK. */
const requireCache = createRequire(import.meta.url).cache;
/** What the instrumentation's wrapper of Runner.prototype.run carries (src/agents/runner.ts). */
const WRAPPED = Symbol.for('spanlens.agents.runner');

export default async function agents(ctx) {
  const { mod: sdk } = await ctx.loadAppModule('@openai/agents');
  const { entry: coreEntry } = await ctx.loadAppModule('@openai/agents-core');
  // The runs' model calls go through a client of the cell's openai (the Responses API); args.header names
  // a header that tags them with the flow, so the test can count each flow's calls.
  const client = ctx.makeClient({ maxRetries: 0, defaultHeaders: { [ctx.args.header]: ctx.args.flow } }).client;
  const runner = new sdk.Runner({ modelProvider: new sdk.OpenAIProvider({ openAIClient: client, useResponses: true }) });
  const probe = {
    coreEntry,
    runnerWrapped: sdk.Runner.prototype.run[WRAPPED] === true,
    cjsCoreLoaded: Object.keys(requireCache).filter((f) => f.includes(`${path.sep}@openai${path.sep}agents-core${path.sep}`)).length > 0,
  };
  const app = await FLOWS[ctx.args.flow](sdk, runner);
  return { app, probe };
}

const QUESTION = 'What is the weather in Berlin?';

/** What an app reads of a finished run. */
function outcome(result) {
  return {
    finalOutput: result.finalOutput,
    lastAgent: result.lastAgent?.name,
    items: result.newItems.map((i) => (i.type === 'tool_call_output_item' ? `${i.type}:${JSON.stringify(i.output)}` : i.type)),
  };
}

/** A stream event as the app sees it: its type, and what names it (raw model events: the event's type). */
function eventOf(e) {
  if (e.type === 'raw_model_stream_event') return `raw:${e.data?.type}`;
  if (e.type === 'agent_updated_stream_event') return `${e.type}:${e.agent?.name}`;
  return `${e.type}:${e.name}:${e.item?.type}`;
}

const FLOWS = {
  run: async (sdk, runner) => outcome(await runner.run(weatherAgents(sdk), QUESTION)),

  stream: async (sdk, runner) => {
    const stream = await runner.run(weatherAgents(sdk), QUESTION, { stream: true });
    const events = [];
    for await (const e of stream) events.push(eventOf(e));
    await stream.completed;
    return { events, ...outcome(stream) };
  },

  'tool-throws': async (sdk, runner) => {
    const triage = weatherAgents(sdk);
    const [weather] = triage.handoffs;
    const broken = sdk.tool({
      name: 'get_weather',
      description: 'The current weather in a city.',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
      strict: true,
      async execute() {
        throw new RangeError('station offline');
      },
    });
    const app = triage.clone({ handoffs: [weather.clone({ tools: [broken] })] });
    return outcome(await runner.run(app, QUESTION));
  },

  // Rejects with the SDK's error: the harness records its class and message.
  'max-turns': async (sdk, runner) => outcome(await runner.run(weatherAgents(sdk), QUESTION, { maxTurns: 2 })),
};
