// An OpenAI Agents SDK app (`npm install @openai/agents`) with its own NodeSDK: no agents-specific wiring,
// the same OpenAIInstrumentation hooks @openai/agents when the app loads it. One run() becomes one tree:
// invoke_agent Triage agent → guardrail, chat, handoff, invoke_agent Weather agent → chat, execute_tool, chat.
// Offline against the package's emulator, or a real server with OPENAI_BASE_URL / OPENAI_API_KEY.
//   node examples/agents.mjs
import { createRequire, register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// The loader hook first, so `import '@openai/agents'` (and the openai package it uses) can be patched.
const require = createRequire(import.meta.url);
const iitmPath = createRequire(require.resolve('@opentelemetry/instrumentation')).resolve('import-in-the-middle');
const { createAddHookMessageChannel } = require(iitmPath);
const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
register(pathToFileURL(path.join(path.dirname(iitmPath), 'hook.mjs')).href, import.meta.url, registerOptions);

const { NodeSDK } = await import('@opentelemetry/sdk-node');
const { InMemorySpanExporter, SimpleSpanProcessor, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
const { OpenAIInstrumentation, ThreadTraceIdGenerator } = await import('@spanlens/instrumentation-openai');
const { startEmulator, formatTraceTree } = await import('@spanlens/instrumentation-openai/testing');

// Spans kept in memory to print the tree; exported over OTLP/HTTP too when an endpoint is configured.
const memory = new InMemorySpanExporter();
const spanProcessors = [new SimpleSpanProcessor(memory)];
if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
}
const instrumentation = new OpenAIInstrumentation();
// Traces only: without metricReaders NodeSDK also starts an OTLP metrics exporter, whose last export
// waits seconds at shutdown when no collector listens.
const sdk = new NodeSDK({ instrumentations: [instrumentation], idGenerator: new ThreadTraceIdGenerator(), spanProcessors, metricReaders: [] });
sdk.start();
await waitForAllMessagesAcknowledged();

const agents = await import('@openai/agents');
const { weatherAgents } = await import('./weather-agents.cjs');
if (!process.env.OPENAI_BASE_URL) {
  // Offline: the SDK's default client reads these when it is first used. There is no OpenAI platform to
  // send the SDK's own traces to, so the app turns that export off; the OTel tree does not depend on it.
  const emulator = await startEmulator({ unref: true });
  process.env.OPENAI_BASE_URL = emulator.baseURL;
  process.env.OPENAI_API_KEY = 'sk-example-not-a-key';
  agents.setTracingDisabled(true);
}

const result = await agents.run(weatherAgents(agents), 'What is the weather in Berlin?');
await instrumentation.flush();
const spans = memory.getFinishedSpans();
const root = spans.find((s) => s.name === 'invoke_agent Triage agent');
const runSpans = spans.filter((s) => s.spanContext().traceId === root?.spanContext().traceId);
console.log(formatTraceTree(runSpans));
await sdk.shutdown().catch((err) => console.warn(`trace export failed: ${err.message}`));
console.log(JSON.stringify({ traceId: root?.spanContext().traceId, lastAgent: result.lastAgent?.name, output: result.finalOutput }));
