// Shared by the examples: a client for OPENAI_BASE_URL / OPENAI_API_KEY when set, else for the
// package's offline emulator, started here. The emulator does not keep the process alive
// (unref) and is left running, so the tracing SDK's flush at exit still reaches it (the instrumentation
// fetches a finished run's steps in the background).
const { startEmulator } = require('@spanlens/instrumentation-openai/testing');

exports.connect = async function connect(OpenAI) {
  if (process.env.OPENAI_BASE_URL) return { client: new OpenAI() };
  const emulator = await startEmulator({ pollAfterMs: 20, unref: true, seed: Math.floor(Math.random() * 2 ** 31) });
  return { client: new OpenAI({ apiKey: 'sk-example-not-a-key', baseURL: emulator.baseURL }) };
};
