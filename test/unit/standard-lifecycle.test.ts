// The standard lifecycle of an app: NodeSDK with a batching span processor and the instrumentation, some
// Assistants runs (polled and streamed), responses (one ending in a function call the app never answers,
// one answered), a streamed response, chat calls; then only `await sdk.shutdown()`, which flushes the
// processor but never calls the instrumentation's disable(). Every finished operation must be exported:
// nothing may wait for something after its end, and background work (a finished run's steps fetch) is
// waited for. What is still open at shutdown ends then, marked `shutdown`, and is exported too.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { ExportResult } from '@opentelemetry/core';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type OpenAIType from 'openai';
import type { FunctionTool } from 'openai/resources/responses/responses';
import { OpenAIInstrumentation, ThreadTraceIdGenerator, threadTraceId } from '../../src/index';
import { startEmulator, type Emulator } from '../../src/testing/index';
import { childrenOf, inTrace, one } from '../support/spans';
import { API_KEY, spanToJSON, type SpanJSON } from './support/tracing';

/** Keeps what it is given (the SDK's InMemorySpanExporter forgets everything at shutdown). */
class KeepingExporter implements SpanExporter {
  readonly spans: ReadableSpan[] = [];
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.spans.push(...spans);
    done({ code: 0 });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

const MODEL = 'gpt-4o-mini';
const weather: FunctionTool = {
  type: 'function',
  name: 'get_weather',
  strict: true,
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
};

let emulator: Emulator;
let exported: SpanJSON[];
const app: Record<string, string> = {};

before(async () => {
  process.env.OTEL_METRICS_EXPORTER = 'none';
  process.env.OTEL_LOGS_EXPORTER = 'none';
  const exporter = new KeepingExporter();
  // A long delay: nothing is exported before shutdown flushes the batch, as in a short-lived process.
  const sdk = new NodeSDK({
    autoDetectResources: false,
    idGenerator: new ThreadTraceIdGenerator(),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 60_000 })],
    instrumentations: [new OpenAIInstrumentation()],
  });
  sdk.start();
  // Required only now, so the require hook sees it (see support/tracing.ts).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the require must run after sdk.start()
  const OpenAI = (require('openai') as { OpenAI: typeof OpenAIType }).OpenAI;
  emulator = await startEmulator({ pollAfterMs: 1, seed: 5 });
  const client = new OpenAI({ apiKey: API_KEY, baseURL: emulator.baseURL, maxRetries: 0 });
  await runApp(client);
  await sdk.shutdown();
  exported = exporter.spans.map(spanToJSON);
});
after(() => emulator.close());

/** What the app does: every call here has returned (or its stream ended) before shutdown. */
async function runApp(client: OpenAIType): Promise<void> {
  const api = client.beta;
  const assistant = await api.assistants.create({ name: 'Lifecycle agent', model: MODEL, metadata: { script: 'answer' } });
  const polled = await api.threads.create({ messages: [{ role: 'user', content: 'What is the capital of France?' }] });
  app.polledRun = (await api.threads.runs.createAndPoll(polled.id, { assistant_id: assistant.id })).id;
  app.polledThread = polled.id;
  const streamed = await api.threads.create({ messages: [{ role: 'user', content: 'And of Italy?' }] });
  app.streamedRun = (await api.threads.runs.stream(streamed.id, { assistant_id: assistant.id }).finalRun()).id;
  app.streamedThread = streamed.id;
  // A response ending in a function call the app never answers (an agent stopping at its first tool call).
  const unanswered = await client.responses.create({ model: MODEL, input: 'Weather in Bern?', tools: [weather] });
  app.unanswered = unanswered.id;
  // One whose call the app answers in the next request.
  const asked = await client.responses.create({ model: MODEL, input: 'Weather in Paris?', tools: [weather] });
  const call = asked.output.find((o) => o.type === 'function_call');
  assert.ok(call?.type === 'function_call');
  app.asked = asked.id;
  app.callId = call.call_id;
  app.answered = (await client.responses.create({ model: MODEL, previous_response_id: asked.id, input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"celsius":20}' }] })).id;
  app.streamedResponse = (await client.responses.stream({ model: MODEL, input: 'A short story.' }).finalResponse()).id;
  app.chat = (await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] })).id;
  const chunks = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Count to three.' }], stream: true, stream_options: { include_usage: true } });
  for await (const chunk of chunks) app.chatStream = chunk.id;
  // Still open at shutdown: a background response still running, a run the app has not polled to its end.
  app.background = (await client.responses.create({ model: MODEL, input: 'Think forever.', background: true, metadata: { script: 'cancel' } })).id;
  const slow = await api.assistants.create({ name: 'Slow agent', model: MODEL, metadata: { script: 'cancel' } });
  const slowThread = await api.threads.create();
  app.openRun = (await api.threads.runs.create(slowThread.id, { assistant_id: slow.id })).id;
  // Finished last, just before shutdown: its span ends after the steps fetch that follows.
  const last = await api.threads.create({ messages: [{ role: 'user', content: 'And of Spain?' }] });
  app.lastRun = (await api.threads.runs.createAndPoll(last.id, { assistant_id: assistant.id })).id;
  app.lastThread = last.id;
}

const response = (id: string) => one(exported, /^chat /, { 'gen_ai.response.id': id, 'spanlens.kind': 'agent_step' });

it('a response ending in a function call nobody answers is exported with its call item', () => {
  const span = response(app.unanswered!);
  assert.deepEqual(span.attributes['gen_ai.response.finish_reasons'], ['tool_calls']);
  const [item] = childrenOf(exported, span);
  assert.equal(item?.name, 'execute_tool get_weather');
  assert.ok(item.attributes['gen_ai.tool.call.arguments']);
});

it('an answered function call: the response, its call item and the app’s tool work are exported', () => {
  const asked = response(app.asked!);
  one(childrenOf(exported, asked), 'execute_tool get_weather');
  const work = one(exported, 'execute_tool get_weather', { 'gen_ai.tool.call.id': app.callId!, 'gen_ai.tool.call.result': '{"celsius":20}' });
  assert.equal(work.traceId, asked.traceId);
  assert.equal(response(app.answered!).traceId, asked.traceId);
});

it('streamed response and chat calls are exported, with their items', () => {
  assert.equal(one(childrenOf(exported, response(app.streamedResponse!)), 'message').attributes['spanlens.item.type'], 'message');
  one(exported, `chat ${MODEL}`, { 'gen_ai.response.id': app.chat! });
  one(exported, `chat ${MODEL}`, { 'gen_ai.response.id': app.chatStream! });
});

it('polled and streamed runs are exported in their threads’ traces, with their step spans', () => {
  for (const [thread, run] of [
    [app.polledThread!, app.polledRun!],
    [app.streamedThread!, app.streamedRun!],
    [app.lastThread!, app.lastRun!],
  ]) {
    const trace = inTrace(exported, threadTraceId(thread));
    const span = one(trace, 'invoke_agent Lifecycle agent', { 'openai.run.id': run });
    assert.equal(span.attributes['spanlens.run.status'], 'completed');
    assert.ok(childrenOf(trace, span).length >= 1, `${run}: step spans`);
  }
});

it('what is still open at shutdown ends then, marked shutdown, and is exported (NodeSDK never calls disable())', () => {
  const background = one(exported, /^chat /, { 'gen_ai.response.id': app.background! });
  assert.equal(background.attributes['spanlens.response.end_reason'], 'shutdown');
  const run = one(exported, /^invoke_agent\b/, { 'openai.run.id': app.openRun! });
  assert.equal(run.attributes['spanlens.run.end_reason'], 'shutdown');
});
