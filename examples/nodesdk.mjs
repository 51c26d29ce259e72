// An ES module app with its own NodeSDK: the loader hook first (so `import 'openai'` can be patched),
// then the SDK, then the app's imports.
//   node examples/nodesdk.mjs
import { createRequire, register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const iitmPath = createRequire(require.resolve('@opentelemetry/instrumentation')).resolve('import-in-the-middle');
const { createAddHookMessageChannel } = require(iitmPath);
const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
register(pathToFileURL(path.join(path.dirname(iitmPath), 'hook.mjs')).href, import.meta.url, registerOptions);

const { NodeSDK } = await import('@opentelemetry/sdk-node');
const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
const { OpenAIInstrumentation, ThreadTraceIdGenerator, threadTraceId } = await import('@spanlens/instrumentation-openai');
const instrumentation = new OpenAIInstrumentation();
const sdk = new NodeSDK({ instrumentations: [instrumentation], idGenerator: new ThreadTraceIdGenerator(), traceExporter: new OTLPTraceExporter() });
sdk.start();
await waitForAllMessagesAcknowledged();

const { default: OpenAI } = await import('openai');
const { connect } = await import('./connect.cjs');
const { client } = await connect(OpenAI);
const assistant = await client.beta.assistants.create({ name: 'ESM agent', model: 'gpt-4o-mini' });
const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Hello from an ESM app with its own SDK' }] });
const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 20 });
console.log(JSON.stringify({ threadId: thread.id, runId: run.id, status: run.status, traceId: threadTraceId(thread.id) }));
instrumentation.disable();
await instrumentation.flush();
await sdk.shutdown().catch((err) => console.warn(`trace export failed: ${err.message}`));
