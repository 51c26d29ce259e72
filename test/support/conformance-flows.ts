// The flows test/unit/conformance.test.ts checks: one of each kind the unit suite drives, with the facts of
// the request the app made (what the request-dependent conditions of the conventions are checked against).
import assert from 'node:assert/strict';
import type { FunctionTool } from 'openai/resources/responses/responses';
import type { RequestFacts } from './conformance';
import type { Tracing } from '../unit/support/tracing';

export interface Flow {
  name: string;
  facts?: RequestFacts;
  run(t: Tracing): Promise<void>;
}

const MODEL = 'gpt-4o-mini';
const chat = { model: MODEL, api: 'chat_completions' } as const;
const responses = { model: MODEL, api: 'responses' } as const;
const fn = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };
const weather: FunctionTool = { type: 'function', name: 'get_weather', strict: true, parameters: fn.function.parameters };
const TERMINAL = ['completed', 'failed', 'cancelled', 'expired', 'incomplete'];
const fault = (f: string) => ({ headers: { 'x-emulator-fault': f } });

async function drain(iterable: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of iterable);
}

/** An Assistants turn the app polls itself, answering function calls. */
async function polledRun(t: Tracing, script: string, tools: Array<typeof fn | { type: 'code_interpreter' } | { type: 'file_search' }>, named = true, submit = true) {
  const api = t.client.beta;
  const store = tools.some((x) => x.type === 'file_search') ? await t.client.vectorStores.create({ name: 'handbook' }) : undefined;
  const assistant = await api.assistants.create({
    ...(named ? { name: 'Support agent', description: 'Answers support questions' } : {}),
    model: MODEL,
    instructions: 'You are a helpful support agent.',
    tools,
    metadata: { script },
    ...(store ? { tool_resources: { file_search: { vector_store_ids: [store.id] } } } : {}),
  });
  const thread = await api.threads.create({ messages: [{ role: 'user', content: 'How do I reset my password?' }] });
  let run = await api.threads.runs.create(thread.id, { assistant_id: assistant.id });
  for (let i = 0; !TERMINAL.includes(run.status); i++) {
    assert.ok(i < 100, 'run did not finish');
    if (run.status === 'requires_action' && submit) {
      const tool_outputs = run.required_action!.submit_tool_outputs.tool_calls.map((c) => ({ tool_call_id: c.id, output: '{"celsius":21}' }));
      run = await api.threads.runs.submitToolOutputs(run.id, { thread_id: thread.id, tool_outputs });
    } else run = await api.threads.runs.retrieve(run.id, { thread_id: thread.id });
  }
}

async function streamedRun(t: Tracing, script: string, tools: Array<typeof fn | { type: 'code_interpreter' }>) {
  const api = t.client.beta;
  const assistant = await api.assistants.create({ name: 'Stream agent', description: 'Streams', model: MODEL, tools, metadata: { script } });
  const thread = await api.threads.create({ messages: [{ role: 'user', content: 'Plot the revenue.' }] });
  await api.threads.runs.stream(thread.id, { assistant_id: assistant.id }).finalRun();
}

const assistantFlows: Flow[] = [
  { name: 'assistants: polled answer', facts: { agentName: 'Support agent', agentDescription: 'Answers support questions' }, run: (t) => polledRun(t, 'answer', []) },
  { name: 'assistants: polled function call, outputs submitted', facts: { agentName: 'Support agent' }, run: (t) => polledRun(t, 'function', [fn]) },
  { name: 'assistants: code interpreter', run: (t) => polledRun(t, 'code', [{ type: 'code_interpreter' }]) },
  { name: 'assistants: file search', run: (t) => polledRun(t, 'file_search', [{ type: 'file_search' }]) },
  { name: 'assistants: unnamed assistant', run: (t) => polledRun(t, 'answer', [], false) },
  { name: 'assistants: failed and expired runs', run: async (t) => (await polledRun(t, 'failed', []), await polledRun(t, 'expired', [fn], true, false)) },
  { name: 'assistants: streamed answer', facts: { stream: true, agentName: 'Stream agent', agentDescription: 'Streams' }, run: (t) => streamedRun(t, 'answer', []) },
  { name: 'assistants: streamed code interpreter', facts: { stream: true }, run: (t) => streamedRun(t, 'code', [{ type: 'code_interpreter' }]) },
];

const responseFlows: Flow[] = [
  {
    name: 'responses: plain',
    facts: responses,
    run: async (t) => void (await t.client.responses.create({ model: MODEL, input: 'What is the capital of France?', temperature: 0.2, max_output_tokens: 200 })),
  },
  {
    name: 'responses: streamed (raw and helper)',
    facts: { ...responses, stream: true },
    run: async (t) => {
      await drain(await t.client.responses.create({ model: MODEL, input: 'Tell me a short story.', stream: true }));
      await t.client.responses.stream({ model: MODEL, input: 'Another one, please.' }).finalResponse();
    },
  },
  {
    name: 'responses: conversation',
    facts: responses,
    run: async (t) => {
      const conv = await t.client.conversations.create({ items: [{ type: 'message', role: 'user', content: 'Hi, I plan a trip.' }] });
      await t.client.responses.create({ model: MODEL, conversation: conv.id, input: 'Which city should I visit in France?' });
      await t.client.responses.create({ model: MODEL, conversation: conv.id, input: [{ role: 'user', content: 'And in Italy?' }] });
    },
  },
  {
    name: 'responses: function call chain (previous_response_id)',
    facts: responses,
    run: async (t) => {
      const r1 = await t.client.responses.create({ model: MODEL, input: 'What is the weather in Paris?', tools: [weather] });
      const call = r1.output.find((o) => o.type === 'function_call');
      assert.ok(call && call.type === 'function_call');
      await t.client.responses.create({ model: MODEL, previous_response_id: r1.id, tools: [weather], input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"celsius":21}' }] });
    },
  },
  {
    name: 'responses: server tools and reasoning',
    facts: responses,
    run: async (t) => {
      const cases = [
        ['code', { tools: [{ type: 'code_interpreter', container: { type: 'auto' } }], include: ['code_interpreter_call.outputs'] }],
        ['file_search', { tools: [{ type: 'file_search', vector_store_ids: ['vs_Emul4tor00000000000001'] }], include: ['file_search_call.results'] }],
        ['web_search', { tools: [{ type: 'web_search' }] }],
        ['reasoning', { reasoning: { effort: 'low', summary: 'auto' } }],
        ['mcp', { tools: [{ type: 'mcp', server_label: 'docs', server_url: 'https://mcp.example.com/sse', require_approval: 'never' }] }],
      ] as const;
      for (const [script, extra] of cases) await t.client.responses.create({ model: MODEL, input: `Please use ${script}.`, metadata: { script }, ...(extra as object) });
    },
  },
  {
    name: 'responses: structured output, service tier',
    facts: { ...responses, outputType: 'json', serviceTier: 'flex' },
    run: async (t) =>
      void (await t.client.responses.create({
        model: MODEL,
        input: 'Give me a city as JSON.',
        service_tier: 'flex',
        text: { format: { type: 'json_schema', name: 'city', schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } } },
      })),
  },
  {
    name: 'responses: background, polled and cancelled',
    facts: responses,
    run: async (t) => {
      let r = await t.client.responses.create({ model: MODEL, input: 'Summarise the history of Rome.', background: true });
      while (r.status === 'queued' || r.status === 'in_progress') r = await t.client.responses.retrieve(r.id);
      const c = await t.client.responses.create({ model: MODEL, input: 'Think forever.', background: true, metadata: { script: 'cancel' } });
      await t.client.responses.cancel(c.id);
    },
  },
  {
    name: 'responses: failed, incomplete, HTTP 500, cut stream',
    facts: responses,
    run: async (t) => {
      await t.client.responses.create({ model: MODEL, input: 'x', metadata: { script: 'failed' } });
      await t.client.responses.create({ model: MODEL, input: 'x', max_output_tokens: 16, metadata: { script: 'incomplete' } });
      await assert.rejects(t.client.responses.create({ model: MODEL, input: 'x' }, fault('status:500')));
      await assert.rejects(async () => drain(await t.client.responses.create({ model: MODEL, input: 'x', stream: true }, fault('cut-after:5'))));
    },
  },
];

const chatFlows: Flow[] = [
  {
    name: 'chat: plain with system prompt and seed',
    facts: { ...chat, seed: 7 },
    run: async (t) =>
      void (await t.client.chat.completions.create({
        model: MODEL,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hello!' },
        ],
        temperature: 0.5,
        seed: 7,
      })),
  },
  {
    name: 'chat: streamed',
    facts: { ...chat, stream: true },
    run: async (t) => drain(await t.client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Count to five.' }], stream: true, stream_options: { include_usage: true } })),
  },
  {
    name: 'chat: tool calls (runTools)',
    facts: chat,
    run: async (t) =>
      void (await t.client.chat.completions
        .runTools({
          model: MODEL,
          messages: [{ role: 'user', content: 'Weather in Oslo?' }],
          tools: [{ type: 'function', function: { ...fn.function, description: 'Weather of a city', function: () => ({ celsius: 3 }), parse: JSON.parse } }],
        })
        .finalContent()),
  },
  {
    name: 'chat: JSON output, n=2, service tier',
    facts: { ...chat, outputType: 'json', choiceCount: 2, serviceTier: 'flex' },
    run: async (t) =>
      void (await t.client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'A city as JSON.' }], response_format: { type: 'json_object' }, n: 2, service_tier: 'flex' })),
  },
  {
    name: 'chat: HTTP error, cut stream, error chunk',
    facts: chat,
    run: async (t) => {
      await assert.rejects(t.client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }] }, fault('status:503')));
      for (const f of ['cut-after:2', 'error-event:2'])
        await assert.rejects(async () => drain(await t.client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }], stream: true }, fault(f))));
    },
  },
  {
    name: 'embeddings: plain, with dimensions, HTTP error',
    facts: { model: 'text-embedding-3-small' },
    run: async (t) => {
      await t.client.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'] });
      await t.client.embeddings.create({ model: 'text-embedding-3-small', input: 'gamma', encoding_format: 'float', dimensions: 8 });
      await assert.rejects(t.client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }, fault('status:503')));
    },
  },
];

export const FLOWS: readonly Flow[] = [...assistantFlows, ...responseFlows, ...chatFlows];
