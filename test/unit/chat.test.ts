// Chat completions and embeddings in process: one GenAI CLIENT span per call, in the app's trace.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, beforeEach, it } from 'node:test';
import { trace } from '@opentelemetry/api';
import { all, assertWellFormed, contentValues, one } from '../support/spans';
import { API_KEY, startTracing, type Tracing } from './support/tracing';

const MODEL = 'gpt-4o-mini';
let t: Tracing;
before(async () => {
  t = await startTracing({}, { seed: 5, chunking: 'split' });
});
after(() => t.close());
beforeEach(() => t.reset());

it('plain chat: a chat span in the app span’s trace with parameters, usage, cost and the messages', async () => {
  const app = trace.getTracer('unit-app');
  const plain = await app.startActiveSpan('handle request', async (span) => {
    try {
      return await t.client.chat.completions.create({
        model: MODEL,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hello!' },
        ],
        temperature: 0.5,
        seed: 7,
      });
    } finally {
      span.end();
    }
  });
  const spans = await t.spans();
  assertWellFormed(spans);
  const parent = one(spans, 'handle request');
  const chat = one(spans, 'chat gpt-4o-mini', { 'gen_ai.response.id': plain.id });
  assert.equal(chat.parentSpanId, parent.spanId, 'a child of the active span');
  assert.equal(chat.traceId, parent.traceId);
  assert.equal(chat.kind, 'CLIENT');
  assert.equal(chat.attributes['spanlens.kind'], 'llm');
  assert.equal(chat.attributes['gen_ai.operation.name'], 'chat');
  assert.equal(chat.attributes['gen_ai.request.temperature'], 0.5);
  assert.equal(chat.attributes['gen_ai.request.seed'], 7);
  assert.equal(chat.attributes['gen_ai.usage.input_tokens'], plain.usage!.prompt_tokens);
  assert.equal(chat.attributes['gen_ai.usage.output_tokens'], plain.usage!.completion_tokens);
  assert.equal(chat.attributes['http.response.status_code'], 200);
  const usd = (plain.usage!.prompt_tokens * 0.15 + plain.usage!.completion_tokens * 0.6) / 1e6;
  assert.ok(Math.abs(Number(chat.attributes['spanlens.cost.usd']) - usd) < 1e-12);
  assert.match(String(chat.attributes['gen_ai.input.messages']), /Hello!/);
  const output = JSON.parse(String(chat.attributes['gen_ai.output.messages'])) as Array<{ role: string; parts: Array<{ content: string }> }>;
  assert.equal(output[0]!.role, 'assistant');
  assert.equal(output[0]!.parts[0]!.content, plain.choices[0]!.message.content);
  assert.equal(chat.status.code, 'UNSET');
});

it('streamed chat: usage from the include_usage chunk, time to first chunk, the text assembled from the chunks', async () => {
  const stream = await t.client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Count to five.' }], stream: true, stream_options: { include_usage: true } });
  let text = '';
  let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
  for await (const c of stream) {
    text += c.choices[0]?.delta?.content ?? '';
    usage = c.usage ?? usage;
  }
  assert.ok(usage && text.length > 0);
  const chat = one(await t.spans(), 'chat gpt-4o-mini', { 'gen_ai.request.stream': true });
  assert.equal(chat.attributes['gen_ai.usage.input_tokens'], usage.prompt_tokens);
  assert.equal(chat.attributes['gen_ai.usage.output_tokens'], usage.completion_tokens);
  assert.ok(Number(chat.attributes['gen_ai.response.time_to_first_chunk']) >= 0);
  assert.equal((JSON.parse(String(chat.attributes['gen_ai.output.messages'])) as Array<{ parts: Array<{ content: string }> }>)[0]!.parts[0]!.content, text);
  assert.equal(chat.status.code, 'UNSET');
});

it('runTools: the call that asked for the tool and the one that answered are chat spans', async () => {
  const ran = t.client.chat.completions.runTools({
    model: MODEL,
    messages: [{ role: 'user', content: 'Weather in Oslo?' }],
    tools: [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather of a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
          function: () => ({ celsius: 3 }),
          parse: JSON.parse,
        },
      },
    ],
  });
  await ran.finalContent();
  const chats = all(await t.spans(), 'chat gpt-4o-mini');
  assert.equal(chats.length, 2);
  const asked = chats.find((s) => JSON.stringify(s.attributes['gen_ai.response.finish_reasons']) === '["tool_calls"]');
  assert.ok(asked);
  assert.match(String(asked.attributes['gen_ai.output.messages']), /get_weather/);
});

it('chat stream errors: a cut stream and an error chunk end the span as an error', async () => {
  for (const fault of ['cut-after:2', 'error-event:2']) {
    await assert.rejects(async () => {
      const s = await t.client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }], stream: true }, { headers: { 'x-emulator-fault': fault } });
      for await (const _ of s);
    });
  }
  const errors = all(await t.spans(), 'chat gpt-4o-mini', { 'spanlens.stream.end_reason': 'error' });
  assert.equal(errors.length, 2);
  for (const s of errors) {
    assert.equal(s.status.code, 'ERROR');
    assert.ok(s.attributes['error.type']);
  }
});

it('captureContent: false keeps every message text off the spans, and the spans themselves', async () => {
  t.configure({ captureContent: false });
  try {
    await t.client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Secret plans for Tuesday.' }] });
    await t.client.responses.create({ model: MODEL, input: 'Secret plans for Wednesday.' });
    const spans = await t.spans();
    assert.equal(all(spans, 'chat gpt-4o-mini').length, 2);
    assert.deepEqual(contentValues(spans), []);
    assert.ok(!JSON.stringify(spans).includes('Secret plans'));
  } finally {
    t.configure({});
  }
});

it('embeddings: one span per call with dimensions, input tokens and cost; an HTTP error is an error span', async () => {
  const a = await t.client.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'] });
  const b = await t.client.embeddings.create({ model: 'text-embedding-3-small', input: 'gamma', encoding_format: 'float', dimensions: 8 });
  await assert.rejects(t.client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }, { headers: { 'x-emulator-fault': 'status:503' } }));
  const spans = all(await t.spans(), 'embeddings text-embedding-3-small', { 'gen_ai.operation.name': 'embeddings' });
  assert.equal(spans.length, 3);
  const [sa, sb, failed] = spans;
  assert.equal(sa!.attributes['gen_ai.usage.input_tokens'], a.usage.prompt_tokens);
  assert.equal(sa!.attributes['gen_ai.embeddings.dimension.count'], a.data[0]!.embedding.length);
  assert.equal(sb!.attributes['gen_ai.embeddings.dimension.count'], b.data[0]!.embedding.length);
  assert.equal(b.data[0]!.embedding.length, 8);
  // text-embedding-3-small: USD 0.02 per 1M input tokens.
  assert.ok(Math.abs(Number(sa!.attributes['spanlens.cost.usd']) - (a.usage.prompt_tokens * 0.02) / 1e6) < 1e-12);
  assert.equal(failed!.attributes['http.response.status_code'], 503);
  assert.equal(failed!.status.code, 'ERROR');
  assert.equal(failed!.attributes['error.type'], 'InternalServerError');
});

it('a JSON body is parsed once (openai 7 reads text and parses it): the span reads the SDK’s parsed body; a raw read still gets its span', async () => {
  // openai 7, loaded after the instrumentation was enabled (the copy the Agents SDK depends on); v4–v6 read json() anyway.
  const load = createRequire(__filename);
  const { OpenAI } = createRequire(load.resolve('@openai/agents-openai'))('openai') as { OpenAI: new (o: object) => typeof t.client };
  const client = new OpenAI({ apiKey: API_KEY, baseURL: t.emulator.baseURL, maxRetries: 0 });
  const parses: string[] = [];
  const parse = JSON.parse;
  JSON.parse = function countingParse(this: unknown, text: string, ...rest: unknown[]) {
    if (typeof text === 'string' && text.includes('"chat.completion"')) parses.push(text);
    return (parse as (...a: unknown[]) => unknown).call(this, text, ...rest);
  } as typeof JSON.parse;
  let completion;
  let raw;
  try {
    completion = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hello!' }] });
    assert.equal(parses.length, 1, 'only the SDK parsed the body');
    // The app reads the Response itself: no SDK parse, so the body is parsed for the span.
    const response = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi!' }] }).asResponse();
    raw = parse(await response.text()) as { id: string };
  } finally {
    JSON.parse = parse;
  }
  const spans = await t.spans();
  assert.equal(one(spans, 'chat gpt-4o-mini', { 'gen_ai.response.id': completion.id }).attributes['gen_ai.usage.input_tokens'], completion.usage?.prompt_tokens);
  assert.ok(one(spans, 'chat gpt-4o-mini', { 'gen_ai.response.id': raw.id }).attributes['gen_ai.usage.output_tokens']);
});
