// The agents app shared by examples/agents.mjs, the demo and the Agents SDK matrix cells
// (test/scenarios/agents.mjs): a triage agent (with an input guardrail) hands off to a weather agent,
// which calls its get_weather tool and answers. Takes the app's own `@openai/agents` module, so the
// caller decides how it is loaded (after the instrumentation).
// The `[emulator:…]` markers script the offline emulator's answers; a real model ignores them.
const TOOL_MS = 60;

exports.TOOL_MS = TOOL_MS;

exports.weatherAgents = function weatherAgents({ Agent, tool }, model = 'gpt-4.1-mini') {
  const getWeather = tool({
    name: 'get_weather',
    description: 'The current weather in a city.',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
    strict: true,
    async execute({ city }) {
      await new Promise((r) => setTimeout(r, TOOL_MS)); // a weather service's latency
      return JSON.stringify({ city, celsius: 21, sky: 'sunny' });
    },
  });
  const weather = new Agent({
    name: 'Weather agent',
    model,
    instructions: 'Answer weather questions; always look the weather up with get_weather. [emulator:call=get_weather]',
    tools: [getWeather],
  });
  return new Agent({
    name: 'Triage agent',
    model,
    instructions: 'Route weather questions to the Weather agent. [emulator:handoff=Weather agent]',
    handoffs: [weather],
    inputGuardrails: [
      {
        name: 'no_secrets',
        // A cheap local check before any model call: refuse questions that carry a password.
        execute: async ({ input }) => ({ tripwireTriggered: /password/i.test(JSON.stringify(input)), outputInfo: { checked: true } }),
      },
    ],
  });
};
