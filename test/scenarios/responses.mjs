// App scenarios for the Responses API, Conversations, chat completions and embeddings (issue 8), run
// against the emulator in every matrix cell. `args.flow` picks one; each returns what the app saw (ids,
// statuses, texts, stream event types, error names), so a run without the instrumentation must return
// exactly the same.
import { collectGarbage } from './gc.mjs';

const MODEL = 'gpt-4o-mini';
const weather = { type: 'function', name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
const chatWeather = { type: 'function', function: { name: 'get_weather', parameters: weather.parameters } };

const textOf = (r) => r.output_text ?? r.output?.flatMap((o) => (o.type === 'message' ? o.content.map((c) => c.text ?? '') : [])).join('') ?? '';
const brief = (r) => ({ id: r.id, status: r.status, text: textOf(r), types: r.output.map((o) => o.type), usage: r.usage });
// Messages can name the emulator's port, which differs between the two runs of the differential.
const failure = (e) => ({ name: e?.constructor?.name, status: e?.status ?? null, message: String(e?.message ?? e).replace(/127\.0\.0\.1:\d+/g, 'emulator') });

async function conversationsCreate(client, body) {
  return client.conversations ? client.conversations.create(body) : client.post('/conversations', { body });
}
async function conversationItems(client, id) {
  const out = [];
  if (client.conversations) {
    for await (const item of client.conversations.items.list(id, { limit: 2, order: 'asc' })) out.push(item.id);
  } else {
    const page = await client.get(`/conversations/${id}/items`, { query: { order: 'asc', limit: 100 } });
    out.push(...page.data.map((i) => i.id));
  }
  return out;
}
/** Streams a scenario keeps open until the process ends. */
const heldStreams = [];

async function retrieve(client, id, options) {
  return client.responses.retrieve(id, options);
}

const FLOWS = {
  async plain({ client }) {
    const r = await client.responses.create({ model: MODEL, input: 'What is the capital of France?', temperature: 0.2, max_output_tokens: 200 });
    return brief(r);
  },

  async conversation({ client }) {
    const conv = await conversationsCreate(client, { items: [{ type: 'message', role: 'user', content: 'Hi, I plan a trip.' }], metadata: { topic: 'travel' } });
    const r1 = await client.responses.create({ model: MODEL, conversation: conv.id, input: 'Which city should I visit in France?' });
    const added = client.conversations
      ? await client.conversations.items.create(conv.id, { items: [{ type: 'message', role: 'user', content: 'I like museums.' }] })
      : await client.post(`/conversations/${conv.id}/items`, { body: { items: [{ type: 'message', role: 'user', content: 'I like museums.' }] } });
    const r2 = await client.responses.create({ model: MODEL, conversation: conv.id, input: [{ role: 'user', content: 'And in Italy?' }] });
    const items = await conversationItems(client, conv.id);
    return { conversationId: conv.id, responses: [brief(r1), brief(r2)], added: added.data.map((i) => i.id), items };
  },

  async parse({ client }) {
    const r = await client.responses.parse({
      model: MODEL,
      input: 'A person, as JSON.',
      text: {
        format: {
          type: 'json_schema',
          name: 'person',
          strict: true,
          schema: { type: 'object', properties: { name: { type: 'string' }, age: { type: 'number' } }, required: ['name', 'age'], additionalProperties: false },
        },
      },
    });
    return { ...brief(r), parsed: r.output_parsed };
  },

  async resume({ client }) {
    // A background stream the app leaves early, then resumes from the last event it saw.
    const first = await client.responses.create({ model: MODEL, input: 'A long story, please.', background: true, stream: true });
    let id;
    let last;
    const seen = [];
    for await (const e of first) {
      seen.push(e.type);
      id ??= e.response?.id;
      last = e.sequence_number;
      if (e.type === 'response.output_text.delta') break;
    }
    const rest = await client.responses.retrieve(id, { stream: true, starting_after: last });
    let final;
    for await (const e of rest) {
      seen.push(e.type);
      if (e.type === 'response.completed') final = e.response;
    }
    return { seen, final: brief(final) };
  },

  async chain({ client }) {
    const r1 = await client.responses.create({ model: MODEL, input: 'What is the weather in Paris?', tools: [weather] });
    const call = r1.output.find((o) => o.type === 'function_call');
    const r2 = await client.responses.create({
      model: MODEL,
      previous_response_id: r1.id,
      tools: [weather],
      input: [{ type: 'function_call_output', call_id: call.call_id, output: JSON.stringify({ celsius: 21 }) }],
    });
    const r3 = await client.responses.create({ model: MODEL, previous_response_id: r2.id, input: 'Thanks! And tomorrow?' });
    return { responses: [brief(r1), brief(r2), brief(r3)], call: { id: call.call_id, name: call.name, arguments: call.arguments } };
  },

  async unanswered({ client, sleep, args }) {
    // A function call the app never answers: the response's spans end with it, no tool span follows.
    const r = await client.responses.create({ model: MODEL, input: 'Weather in Bern?', tools: [weather] });
    await sleep(args.waitMs ?? 0);
    return brief(r);
  },

  async tools({ client, args }) {
    const out = {};
    for (const [script, tools, extra] of [
      ['code', [{ type: 'code_interpreter', container: { type: 'auto' } }], { include: ['code_interpreter_call.outputs'] }],
      ['file_search', [{ type: 'file_search', vector_store_ids: ['vs_Emul4tor00000000000001'] }], { include: ['file_search_call.results'] }],
      ['web_search', [{ type: 'web_search' }], {}],
      ['reasoning', [], { reasoning: { effort: 'low', summary: 'auto' } }],
      ['mcp', [{ type: 'mcp', server_label: 'docs', server_url: 'https://mcp.example.com/sse', require_approval: 'never' }], {}],
      ['image', [{ type: 'image_generation' }], {}],
    ]) {
      const r = await client.responses.create({ model: args.model ?? MODEL, input: `Please use ${script}.`, tools, metadata: { script }, ...extra });
      out[script] = brief(r);
    }
    return out;
  },

  async stream({ client }) {
    const events = [];
    const stream = await client.responses.create({ model: MODEL, input: 'Tell me a short story.', stream: true });
    for await (const e of stream) events.push(e.type);
    const helper = client.responses.stream({ model: MODEL, input: 'Another one, please.' });
    const deltas = [];
    helper.on('response.output_text.delta', (e) => deltas.push(e.delta.length));
    const final = await helper.finalResponse();
    return { events, deltas: deltas.length, final: brief(final) };
  },

  async 'stream-function'({ client }) {
    const stream = await client.responses.create({ model: MODEL, input: 'Weather in Rome?', tools: [weather], stream: true });
    let final;
    for await (const e of stream) if (e.type === 'response.completed') final = e.response;
    const call = final.output.find((o) => o.type === 'function_call');
    const r2 = await client.responses.create({
      model: MODEL,
      previous_response_id: final.id,
      tools: [weather],
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"celsius":25}' }],
      stream: true,
    });
    let answer;
    for await (const e of r2) if (e.type === 'response.completed') answer = e.response;
    return { first: brief(final), answer: brief(answer) };
  },

  async 'stream-break'({ client }) {
    const stream = await client.responses.create({ model: MODEL, input: 'A long story, please.', stream: true });
    const seen = [];
    for await (const e of stream) {
      seen.push(e.type);
      if (e.type === 'response.output_text.delta') break;
    }
    return { seen };
  },

  async background({ client, sleep }) {
    let r = await client.responses.create({ model: MODEL, input: 'Summarise the history of Rome.', background: true });
    const statuses = [r.status];
    while (r.status === 'queued' || r.status === 'in_progress') {
      await sleep(5);
      r = await retrieve(client, r.id);
      statuses.push(r.status);
    }
    let c = await client.responses.create({ model: MODEL, input: 'Think forever.', background: true, metadata: { script: 'cancel' } });
    c = await retrieve(client, c.id);
    const cancelled = await client.responses.cancel(c.id);
    return { statuses, final: brief(r), cancelled: { id: cancelled.id, status: cancelled.status } };
  },

  async failures({ client, makeClient }) {
    const out = {};
    const attempt = async (label, fn) => {
      try {
        const r = await fn();
        out[label] = { ok: true, status: r.status, incomplete: r.incomplete_details ?? null, error: r.error ?? null };
      } catch (e) {
        out[label] = failure(e);
      }
    };
    await attempt('failed', () => client.responses.create({ model: MODEL, input: 'x', metadata: { script: 'failed' } }));
    await attempt('incomplete', () => client.responses.create({ model: MODEL, input: 'x', max_output_tokens: 16, metadata: { script: 'incomplete' } }));
    const { client: noRetry } = makeClient({ maxRetries: 0 });
    await attempt('status 500', () => noRetry.responses.create({ model: MODEL, input: 'x' }, { headers: { 'x-emulator-fault': 'status:500' } }));
    await attempt('status 429 then retried', () => makeClient({ maxRetries: 1 }).client.responses.create({ model: MODEL, input: 'x' }, { headers: { 'x-emulator-fault': 'status:429' } }));
    await attempt('stream cut', async () => {
      const s = await noRetry.responses.create({ model: MODEL, input: 'x', stream: true }, { headers: { 'x-emulator-fault': 'cut-after:5' } });
      for await (const _ of s);
      return { status: 'ended' };
    });
    await attempt('reset before headers', () => noRetry.responses.create({ model: MODEL, input: 'x' }, { headers: { 'x-emulator-fault': 'reset-before-headers' } }));
    await attempt('malformed json', () => noRetry.responses.create({ model: MODEL, input: 'x' }, { headers: { 'x-emulator-fault': 'malformed-json' } }));
    await attempt('stream truncated', async () => {
      const s = await noRetry.responses.create({ model: MODEL, input: 'x', stream: true }, { headers: { 'x-emulator-fault': 'truncate:4' } });
      const types = [];
      for await (const e of s) types.push(e.type);
      return { status: types.at(-1) };
    });
    await attempt('stream malformed event', async () => {
      const s = await noRetry.responses.create({ model: MODEL, input: 'x', stream: true }, { headers: { 'x-emulator-fault': 'malformed-json:2' } });
      for await (const _ of s);
      return { status: 'ended' };
    });
    await attempt('chat stream malformed chunk', async () => {
      const s = await noRetry.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }], stream: true }, { headers: { 'x-emulator-fault': 'malformed-json:1' } });
      for await (const _ of s);
      return { status: 'ended' };
    });
    await attempt('chat stream error chunk', async () => {
      const s = await noRetry.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }], stream: true }, { headers: { 'x-emulator-fault': 'error-event:2' } });
      for await (const _ of s);
      return { status: 'ended' };
    });
    await attempt('chat stream cut', async () => {
      const s = await noRetry.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }], stream: true }, { headers: { 'x-emulator-fault': 'cut-after:2' } });
      for await (const _ of s);
      return { status: 'ended' };
    });
    await attempt('embeddings 503', () => noRetry.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }, { headers: { 'x-emulator-fault': 'status:503' } }));
    await attempt('stream error event', async () => {
      const s = await noRetry.responses.create({ model: MODEL, input: 'x', stream: true }, { headers: { 'x-emulator-fault': 'error-event:3' } });
      for await (const _ of s);
      return { status: 'ended' };
    });
    return out;
  },

  /**
   * Streams the app drops unfinished: a chat stream never read, a Responses stream left after two events
   * (no break, no abort). Their spans end once the garbage collector takes the responses. And one it
   * keeps open: its span ends when the instrumentation is disabled.
   */
  async abandoned({ client }) {
    let chat = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Count to five.' }], stream: true });
    let stream = await client.responses.create({ model: MODEL, input: 'Tell me about Lyon.', stream: true });
    let it = stream[Symbol.asyncIterator]();
    const first = (await it.next()).value;
    const second = (await it.next()).value;
    // eslint-disable-next-line no-useless-assignment, @typescript-eslint/no-unused-vars -- dropped so the streams can be collected
    chat = stream = it = undefined;
    // On the spans' clock (the OTel SDK's, performance-based): Date.now() drifts from it by milliseconds.
    const droppedAt = performance.timeOrigin + performance.now();
    // One more, read once and then held open past the scenario: the harness disables the instrumentation
    // with it still open, and fails the cell if its span does not end then.
    const held = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Count to ten.' }], stream: true });
    heldStreams.push(held);
    await held[Symbol.asyncIterator]().next();
    await collectGarbage();
    return { types: [first.type, second.type], responseId: first.response.id, droppedAt };
  },

  async chat({ client, major }) {
    const plain = await client.chat.completions.create({
      model: MODEL,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello!' },
      ],
      temperature: 0.5,
      seed: 7,
    });
    const stream = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Count to five.' }], stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const c of stream) chunks.push(c.choices[0]?.delta?.content ?? (c.usage ? 'usage' : ''));
    const completions = major >= 5 ? client.chat.completions : client.beta.chat.completions;
    const ran = completions.runTools({
      model: MODEL,
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: chatWeather.function.parameters, function: () => ({ celsius: 3 }), parse: JSON.parse } }],
    });
    const content = await ran.finalContent();
    const helper = completions.stream({ model: MODEL, messages: [{ role: 'user', content: 'Say hi.' }], stream_options: { include_usage: true } });
    const final = await helper.finalChatCompletion();
    const parsed = await completions.parse({
      model: MODEL,
      messages: [{ role: 'user', content: 'A person, as JSON.' }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'person',
          strict: true,
          schema: { type: 'object', properties: { name: { type: 'string' }, age: { type: 'number' } }, required: ['name', 'age'], additionalProperties: false },
        },
      },
    });
    return {
      plain: { id: plain.id, text: plain.choices[0].message.content, usage: plain.usage },
      chunks,
      content,
      parsed: parsed.choices[0].message.parsed,
      helper: { id: final.id, text: final.choices[0].message.content },
    };
  },

  async embeddings({ client }) {
    const a = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'] });
    const b = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'gamma', encoding_format: 'float', dimensions: 8 });
    return { a: { n: a.data.length, dims: a.data[0].embedding.length, usage: a.usage }, b: { dims: b.data[0].embedding.length, first: b.data[0].embedding[0] } };
  },
};

export default async function responses(ctx) {
  const { client } = ctx.makeClient();
  const flow = FLOWS[ctx.args.flow];
  if (!flow) throw new Error(`unknown flow ${ctx.args.flow}`);
  return flow({ ...ctx, client });
}
