// `node -r @spanlens/instrumentation-openai/register app.js` (or `--import` for ESM apps, see
// dist/esm/register.mjs): starts an OpenTelemetry NodeSDK with this instrumentation, the thread
// trace id generator and an OTLP/HTTP trace exporter configured from the standard OTEL_* variables, and
// flushes it when the process ends. Apps that set up their own SDK add OpenAIInstrumentation there
// instead (README).
import { diag } from '@opentelemetry/api';
import { OpenAIInstrumentation } from './hook/instrumentation';
import { ThreadTraceIdGenerator } from './trace/trace-roots';

interface NodeSDKLike {
  start(): void;
  shutdown(): Promise<void>;
}

function load<T>(name: string): T {
  try {
    return require(name) as T;
  } catch (err) {
    throw new Error(`@spanlens/instrumentation-openai/register needs ${name}: npm install @opentelemetry/sdk-node @opentelemetry/exporter-trace-otlp-http (${(err as Error).message})`, { cause: err });
  }
}

const { NodeSDK } = load<{ NodeSDK: new (config: object) => NodeSDKLike }>('@opentelemetry/sdk-node');
const { OTLPTraceExporter } = load<{ OTLPTraceExporter: new () => object }>('@opentelemetry/exporter-trace-otlp-http');

export const instrumentation = new OpenAIInstrumentation();
export const sdk = new NodeSDK({
  instrumentations: [instrumentation],
  idGenerator: new ThreadTraceIdGenerator(),
  traceExporter: new OTLPTraceExporter(),
});
sdk.start();

let stopping: Promise<void> | undefined;
/** Ends runs not seen to finish (marked), waits for background work, flushes and shuts the SDK down. */
export function shutdown(): Promise<void> {
  stopping ??= (async () => {
    instrumentation.disable();
    await instrumentation.flush();
    await sdk.shutdown();
  })().catch((err: unknown) => diag.error('spanlens: shutdown failed', err));
  return stopping;
}

// beforeExit fires when the event loop empties (a script ending): the async flush keeps it alive.
process.once('beforeExit', () => void shutdown());
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void shutdown().finally(() => process.kill(process.pid, signal));
  });
}
