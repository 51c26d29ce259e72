// Shared by the examples: a client for OPENAI_BASE_URL / OPENAI_API_KEY when set, else for the
// package's offline Assistants emulator (started here, closed by close()).
const { startEmulator } = require('@spanlens/instrumentation-openai/testing');

exports.connect = async function connect(OpenAI) {
  if (process.env.OPENAI_BASE_URL) return { client: new OpenAI(), close: async () => {} };
  const emulator = await startEmulator({ pollAfterMs: 20 });
  return { client: new OpenAI({ apiKey: 'sk-example-not-a-key', baseURL: emulator.baseURL }), close: () => emulator.close() };
};
