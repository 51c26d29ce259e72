// GenAI semantic conventions, in process: message JSON that stays JSON when truncated, the operation
// metrics (failed calls too, server and both models, streaming chunk timing), span names from the
// requested model, unnamed agents, message parts, and no cost attributes for an unpriced model.
import assert from 'node:assert/strict';
import { after, before, beforeEach, it } from 'node:test';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';
import { ContentPolicy } from '../../src/trace/content';
import { finishReason, serverToolCallPart, toolCallPart } from '../../src/trace/genai-messages';
import { one } from '../support/spans';
import { startTracing, type Tracing } from './support/tracing';

let t: Tracing;
let exporter: InMemoryMetricExporter;
let reader: PeriodicExportingMetricReader;
before(async () => {
  t = await startTracing({}, { seed: 3 });
  exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  t.instrumentation.setMeterProvider(new MeterProvider({ readers: [reader] }));
});
after(() => t.close());
beforeEach(() => t.reset());

type Point = DataPoint<Histogram>;
async function points(name: string): Promise<Point[]> {
  await reader.forceFlush();
  const batches = exporter.getMetrics();
  const metrics = batches.at(-1)?.scopeMetrics.flatMap((s) => s.metrics) ?? [];
  return (metrics.find((m) => m.descriptor.name === name)?.dataPoints ?? []) as Point[];
}

it('truncated message JSON stays valid JSON within the cap; a plain string is cut and marked', () => {
  const policy = new ContentPolicy({ maxContentLength: 400 }, {});
  const long = 'x'.repeat(5000);
  const messages = [
    { role: 'system', parts: [{ type: 'text', content: 'Be brief.' }] },
    { role: 'user', parts: [{ type: 'text', content: long }] },
    { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: { city: long } }], finish_reason: 'tool_call' },
  ];
  const value = policy.capture('gen_ai.input.messages', messages)!;
  assert.ok(value.length <= 400, `${value.length} chars`);
  const parsed = JSON.parse(value) as typeof messages;
  assert.equal(parsed.length, 3, 'every message kept');
  assert.deepEqual(
    parsed.map((m) => [m.role, m.parts[0]!.type]),
    messages.map((m) => [m.role, m.parts[0]!.type]),
  );
  assert.match((parsed[1]!.parts[0] as { content: string }).content, /^x+…\[truncated \d+ chars\]$/);
  // Too many messages for the cap even when emptied: the latest ones are kept, still JSON.
  const many = Array.from({ length: 50 }, (_, i) => ({ role: 'user', parts: [{ type: 'text', content: `message ${i} ${long}` }] }));
  const kept = JSON.parse(policy.capture('gen_ai.input.messages', many)!) as typeof many;
  assert.ok(kept.length >= 1 && kept.length < 50);
  assert.match(kept.at(-1)!.parts[0]!.content, /^message 49/);
  const plain = policy.capture('gen_ai.tool.call.arguments', long)!;
  assert.match(plain, /^x{400}…\[truncated 4600 chars\]$/);
});

it('message parts: arguments as objects when they parse, server tools as server_tool_call, schema finish reasons', () => {
  assert.deepEqual(toolCallPart('c1', 'f', '{"city":"Paris"}'), { type: 'tool_call', id: 'c1', name: 'f', arguments: { city: 'Paris' } });
  assert.deepEqual(toolCallPart('c1', 'f', '{"city":"Pa'), { type: 'tool_call', id: 'c1', name: 'f', arguments: '{"city":"Pa' });
  assert.deepEqual(serverToolCallPart('ci_1', 'code_interpreter', { code: 'print(1)' }), {
    type: 'server_tool_call',
    id: 'ci_1',
    name: 'code_interpreter',
    server_tool_call: { type: 'code_interpreter', code: 'print(1)' },
  });
  assert.deepEqual(
    ['tool_calls', 'stop', 'length', 'content_filter', undefined].map((r) => finishReason(r, 'error')),
    ['tool_call', 'stop', 'length', 'content_filter', 'error'],
  );
});

it('a failed chat call and a failed embeddings call record their duration with error.type; metrics carry server and both models', async () => {
  await t.client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
  await assert.rejects(t.client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }, { headers: { 'x-emulator-fault': 'status:503' } }));
  await assert.rejects(t.client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }, { headers: { 'x-emulator-fault': 'status:503' } }));
  const duration = await points('gen_ai.client.operation.duration');
  const failed = (op: string) => duration.find((p) => p.attributes['gen_ai.operation.name'] === op && p.attributes['error.type'] !== undefined);
  assert.equal(failed('chat')?.attributes['error.type'], 'InternalServerError');
  assert.equal(failed('embeddings')?.attributes['gen_ai.request.model'], 'text-embedding-3-small');
  const ok = duration.find((p) => p.attributes['gen_ai.operation.name'] === 'chat' && p.attributes['error.type'] === undefined)!;
  const url = new URL(t.emulator.baseURL);
  assert.equal(ok.attributes['server.address'], url.hostname);
  assert.equal(ok.attributes['server.port'], Number(url.port));
  assert.equal(ok.attributes['gen_ai.request.model'], 'gpt-4o-mini');
  assert.ok(ok.attributes['gen_ai.response.model'], 'the answering model');
  const span = one(await t.spans(), 'chat gpt-4o-mini', { 'openai.api.type': 'chat_completions', 'http.response.status_code': 200 });
  assert.equal(span.attributes['spanlens.request.id'] !== undefined, true, 'the request id, under spanlens.*');
});

it('a streamed chat records time to first chunk and per-chunk times; its span says it was streamed', async () => {
  const stream = await t.client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Count to five.' }], stream: true });
  let chunks = 0;
  for await (const c of stream) if (c.choices[0]?.delta?.content) chunks++;
  const first = (await points('gen_ai.client.operation.time_to_first_chunk')).find((p) => p.attributes['gen_ai.operation.name'] === 'chat');
  assert.equal(first?.value.count, 1);
  const per = (await points('gen_ai.client.operation.time_per_output_chunk')).find((p) => p.attributes['gen_ai.operation.name'] === 'chat');
  assert.equal(per?.value.count, chunks - 1);
  const span = one(await t.spans(), 'chat gpt-4o-mini', { 'gen_ai.request.stream': true });
  const output = JSON.parse(String(span.attributes['gen_ai.output.messages'])) as Array<{ finish_reason: string }>;
  assert.equal(output[0]!.finish_reason, 'stop');
});

it('an unnamed assistant run is `invoke_agent`; an unpriced model gets no cost attributes at all', async () => {
  const api = t.client.beta;
  const assistant = await api.assistants.create({ model: 'spanlens-unpriced-model', description: 'Answers questions' });
  const thread = await api.threads.create({ messages: [{ role: 'user', content: 'Hello?' }] });
  await api.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 1 });
  const spans = await t.spans();
  const create = one(spans, 'create_agent');
  assert.equal(create.attributes['gen_ai.agent.description'], 'Answers questions');
  const run = one(spans, 'invoke_agent');
  assert.equal(run.attributes['gen_ai.agent.description'], 'Answers questions');
  assert.equal(run.attributes['gen_ai.request.model'], 'spanlens-unpriced-model');
  assert.ok(run.attributes['gen_ai.usage.input_tokens'] !== undefined, 'usage recorded');
  for (const s of spans) for (const k of Object.keys(s.attributes)) assert.ok(!/cost/.test(k), `${s.name} has ${k}`);
});
