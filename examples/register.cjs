// A CommonJS app, traced without code changes:
//   node -r @spanlens/instrumentation-openai/register examples/register.cjs
// The register entry starts the OTel NodeSDK (OTLP/HTTP exporter configured by OTEL_* variables) before
// `openai` loads. Without OPENAI_BASE_URL this starts the package's Assistants emulator.
const OpenAI = require('openai');
const { connect } = require('./connect.cjs');

async function main() {
  const { client } = await connect(OpenAI);
  const assistant = await client.beta.assistants.create({ name: 'Register agent', model: 'gpt-4o-mini' });
  const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Hello from a CommonJS app' }] });
  const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 20 });
  console.log(JSON.stringify({ threadId: thread.id, runId: run.id, status: run.status }));
}
main();
