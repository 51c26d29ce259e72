// Adding the instrumentation to an app's own NodeSDK setup (instead of the register entry):
//   node examples/nodesdk.cjs      (OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 to export)
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { OpenAIInstrumentation, ThreadTraceIdGenerator, threadTraceId } = require('@spanlens/instrumentation-openai');

const instrumentation = new OpenAIInstrumentation({ captureContent: true });
const sdk = new NodeSDK({
  serviceName: 'support-bot',
  instrumentations: [instrumentation],
  idGenerator: new ThreadTraceIdGenerator(), // exports each thread's root span
  traceExporter: new OTLPTraceExporter(),
});
sdk.start();

const OpenAI = require('openai'); // load after sdk.start(), so the require hook can patch it
const { connect } = require('./connect.cjs');

async function main() {
  const { client } = await connect(OpenAI);
  const weather = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };
  const assistant = await client.beta.assistants.create({ name: 'Weather agent', model: 'gpt-4o', tools: [weather] });
  const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Weather in Paris?' }] });
  let run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 20 });
  while (run.status === 'requires_action') {
    // function tools: run them, submit the outputs; the trace gets one execute_tool span per call
    const tool_outputs = run.required_action.submit_tool_outputs.tool_calls.map((c) => ({ tool_call_id: c.id, output: '{"temp_c": 21}' }));
    run = await client.beta.threads.runs.submitToolOutputsAndPoll(run.id, { thread_id: thread.id, tool_outputs }, { pollIntervalMs: 20 });
  }
  console.log(JSON.stringify({ threadId: thread.id, runId: run.id, status: run.status, traceId: threadTraceId(thread.id) }));
  instrumentation.disable(); // ends runs never seen to finish, before the SDK flushes
  await instrumentation.flush();
  // shutdown() rejects when the last export fails (no collector listening): report it, don't crash.
  await sdk.shutdown().catch((err) => console.warn(`trace export failed: ${err.message}`));
}
main();
