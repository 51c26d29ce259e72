// One model call, one span, whatever carries it: real `@openai/agents` runs (0.20, its own openai 7) whose
// agents use models our openai hook does not see — a custom Model that reaches the emulator with plain
// `fetch` and traces itself with the SDK's generation or response span, as provider adapters do — get
// their `chat {model}` spans from the SDK's span data (spanlens.agents.observed_from), counted once in the
// run's totals; a model that goes through the `openai` package (OpenAIChatCompletionsModel) keeps our own
// chat span and gets no second one.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { all, assertWellFormed, one } from '../support/spans';
import { cityTool, outline, runSpans, startAgents, type AgentsSDK, type OpenAIClass, type Zod } from './support/agents';
import { API_KEY, type SpanJSON, type Tracing } from './support/tracing';

let t: Tracing;
let sdk: AgentsSDK;
let z: Zod;
let OpenAI: OpenAIClass;

before(async () => {
  ({ t, sdk, z, OpenAI } = await startAgents());
});

after(async () => {
  await t.close();
});

const MODEL = 'gpt-4.1-mini';
type Item = Record<string, unknown>;
type ModelRequest = { systemInstructions?: string; input: string | Item[]; tools: Item[]; handoffs: Item[]; tracing: boolean | 'enabled_without_data' };

/** The SDK's items as the Responses API's input (the emulator scripts turns from them). */
function toResponsesInput(input: string | Item[]): unknown {
  if (typeof input === 'string') return input;
  return input.map((item) => {
    if (item.type === 'function_call') return { type: 'function_call', call_id: item.callId, name: item.name, arguments: item.arguments };
    if (item.type === 'function_call_result') return { type: 'function_call_output', call_id: item.callId, output: (item.output as { text?: string }).text ?? '' };
    return { role: item.role, content: item.content };
  });
}

/** The emulator's answer as the SDK's output items. */
function toSdkItems(output: Item[]): Item[] {
  return output.flatMap((item): Item[] => {
    if (item.type === 'function_call') return [{ type: 'function_call', callId: item.call_id, name: item.name, arguments: item.arguments, status: 'completed' }];
    if (item.type === 'message') return [{ type: 'message', role: 'assistant', status: 'completed', content: item.content }];
    return [];
  });
}

/** One model call over plain fetch (no `openai` package): what a provider adapter does on its own wire. */
async function callEmulator(request: ModelRequest): Promise<Item> {
  const res = await fetch(`${t.emulator.baseURL}/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
    body: JSON.stringify({
      model: MODEL,
      instructions: request.systemInstructions,
      input: toResponsesInput(request.input),
      tools: request.tools.map((tool) => ({ type: 'function', name: tool.name, description: tool.description, parameters: tool.parameters, strict: tool.strict })),
    }),
  });
  assert.equal(res.status, 200);
  return (await res.json()) as Item;
}

/** Usage the emulator reported, per call, to check the spans against. */
type Usage = { input_tokens: number; output_tokens: number; input_tokens_details?: { cached_tokens?: number }; output_tokens_details?: { reasoning_tokens?: number } };
let seen: Usage[] = [];

/**
 * A provider adapter's Model: traces each call with the SDK's generation span (model named
 * `{provider}:{model}`, the adapter's provider in model_config, input / output / usage only when the run
 * includes data), as the AI SDK adapter does.
 */
function generationModel(options: { provider?: string; fail?: Error } = {}) {
  const provider = options.provider;
  const modelName = provider ? `${provider}:${MODEL}` : MODEL;
  return {
    async getResponse(request: ModelRequest) {
      return sdk.withGenerationSpan(async (span) => {
        span.spanData.model = modelName;
        span.spanData.model_config = provider ? { provider, model_impl: 'test-adapter' } : {};
        if (request.tracing === true)
          span.spanData.input = [{ role: 'system', content: request.systemInstructions }, ...(typeof request.input === 'string' ? [{ role: 'user', content: request.input }] : request.input)];
        if (options.fail) throw options.fail;
        const response = await callEmulator(request);
        const output = toSdkItems(response.output as Item[]);
        const usage = response.usage as Usage;
        seen.push(usage);
        if (request.tracing === true) {
          span.spanData.output = output;
          // Free-form usage: the counts beyond input and output under `details`, as the SDK's exporter maps them.
          const details = { cached_tokens: usage.input_tokens_details?.cached_tokens, reasoning_tokens: usage.output_tokens_details?.reasoning_tokens };
          span.spanData.usage = { input_tokens: usage.input_tokens, output_tokens: usage.output_tokens, details };
        }
        return {
          usage: new sdk.Usage({ requests: 1, inputTokens: usage.input_tokens, outputTokens: usage.output_tokens, totalTokens: usage.input_tokens + usage.output_tokens }),
          output,
          responseId: response.id as string,
        };
      });
    },
    getStreamedResponse(): AsyncIterable<never> {
      throw new Error('not used');
    },
  };
}

/** The Responses WebSocket transport's tracing: a response span with the request's input and the whole response. */
function responseSpanModel() {
  return {
    async getResponse(request: ModelRequest) {
      return sdk.withResponseSpan(async (span) => {
        const response = await callEmulator(request);
        seen.push(response.usage as Usage);
        span.spanData.response_id = response.id as string;
        span.spanData._input = toResponsesInput(request.input) as Item[];
        span.spanData._response = response;
        const usage = response.usage as { input_tokens: number; output_tokens: number };
        return {
          usage: new sdk.Usage({ requests: 1, inputTokens: usage.input_tokens, outputTokens: usage.output_tokens, totalTokens: usage.input_tokens + usage.output_tokens }),
          output: toSdkItems(response.output as Item[]),
          responseId: response.id as string,
        };
      });
    },
    getStreamedResponse(): AsyncIterable<never> {
      throw new Error('not used');
    },
  };
}

const weatherAgent = (model: unknown, extra: Record<string, unknown> = {}) =>
  new sdk.Agent({
    name: 'Weather agent',
    model: model as never,
    instructions: 'Use the tool. [emulator:call=get_weather]',
    tools: [cityTool({ sdk, z }, 'get_weather', (city) => `Sunny in ${city}`)],
    ...extra,
  });

const chats = (spans: SpanJSON[]) => all(spans, /^chat\b/).sort((a, b) => a.startMs - b.startMs);
const json = (v: unknown) => JSON.parse(String(v)) as Array<{ role: string; parts: Array<Record<string, unknown>>; finish_reason?: string }>;

it("a custom Model with the SDK's generation span (a tool call turn): one chat span per call from the span's data, counted once in the run", async () => {
  t.configure({});
  t.reset();
  seen = [];
  const result = await sdk.run(weatherAgent(generationModel({ provider: 'openai.responses' })), 'What is the weather in Berlin?');
  assert.match(String(result.finalOutput), /Sunny in Berlin/);
  const { spans, root } = await runSpans(t, 'invoke_agent Weather agent');
  assertWellFormed(spans);
  assert.deepEqual(outline(spans, root), ['invoke_agent Weather agent', `  chat ${MODEL}`, '  execute_tool get_weather', `  chat ${MODEL}`]);
  const [first, second] = chats(spans);
  assert.equal(seen.length, 2);
  for (const [i, chat] of [first!, second!].entries()) {
    assert.equal(chat.kind, 'CLIENT');
    assert.equal(chat.parentSpanId, root.spanId);
    assert.equal(chat.attributes['gen_ai.operation.name'], 'chat');
    assert.equal(chat.attributes['gen_ai.provider.name'], 'openai', "the adapter's provider id, in the conventions' words");
    assert.equal(chat.attributes['gen_ai.request.model'], MODEL, 'the model without the adapter prefix');
    assert.equal(chat.attributes['gen_ai.response.model'], MODEL);
    assert.equal(chat.attributes['spanlens.agents.observed_from'], 'generation_span');
    assert.equal(chat.attributes['gen_ai.usage.input_tokens'], seen[i]!.input_tokens);
    assert.equal(chat.attributes['gen_ai.usage.output_tokens'], seen[i]!.output_tokens);
    assert.equal(typeof seen[i]!.input_tokens_details?.cached_tokens, 'number');
    assert.equal(chat.attributes['gen_ai.usage.cache_read.input_tokens'], seen[i]!.input_tokens_details?.cached_tokens);
    assert.equal(chat.attributes['gen_ai.usage.reasoning.output_tokens'], seen[i]!.output_tokens_details?.reasoning_tokens);
    assert.ok(Number(chat.attributes['spanlens.cost.usd']) > 0, 'priced by the cost model');
    assert.equal(chat.attributes['openai.api.type'], undefined, 'not an OpenAI API call as far as we know');
    assert.equal(chat.status.code, 'UNSET');
  }
  // Content from the span's data, in the GenAI message shapes.
  const out1 = json(first!.attributes['gen_ai.output.messages']);
  const call = out1[0]!.parts.find((p) => p.type === 'tool_call')!;
  assert.equal(call.name, 'get_weather');
  assert.deepEqual(call.arguments, { city: 'Berlin' });
  assert.equal(out1[0]!.parts.length, 1);
  const in2 = json(second!.attributes['gen_ai.input.messages']);
  assert.deepEqual(
    in2.map((m) => m.role),
    ['system', 'user', 'assistant', 'tool'],
  );
  assert.deepEqual(in2[3]!.parts[0], { type: 'tool_call_response', id: call.id, response: 'Sunny in Berlin' });
  assert.match(String(json(second!.attributes['gen_ai.output.messages'])[0]!.parts[0]!.content), /Sunny in Berlin/);
  // The tool span gets the call id the generation's output carried.
  assert.equal(one(spans, 'execute_tool get_weather').attributes['gen_ai.tool.call.id'], call.id);
  // The run's totals: both calls, once each.
  assert.equal(root.attributes['spanlens.agent.model_calls'], 2);
  assert.equal(root.attributes['gen_ai.usage.input_tokens'], seen[0]!.input_tokens + seen[1]!.input_tokens);
  assert.equal(root.attributes['gen_ai.usage.output_tokens'], seen[0]!.output_tokens + seen[1]!.output_tokens);
  const sum = Number(first!.attributes['spanlens.cost.usd']) + Number(second!.attributes['spanlens.cost.usd']);
  assert.ok(Math.abs(Number(root.attributes['spanlens.cost.usd']) - sum) < 1e-9, `root ${String(root.attributes['spanlens.cost.usd'])} = Σ ${sum}`);
});

it('a streamed run on the custom Model: the same tree', async () => {
  t.configure({});
  t.reset();
  seen = [];
  // The SDK's streamed loop asks the model for a stream; this model's stream replays getResponse's answer.
  const base = generationModel({ provider: 'anthropic.messages' });
  const model = {
    getResponse: base.getResponse,
    async *getStreamedResponse(request: ModelRequest) {
      const response = await base.getResponse(request);
      yield {
        type: 'response_done',
        response: {
          id: response.responseId,
          usage: { inputTokens: response.usage.inputTokens, outputTokens: response.usage.outputTokens, totalTokens: response.usage.totalTokens },
          output: response.output,
        },
      };
    },
  };
  const stream = await sdk.run(weatherAgent(model), 'What is the weather in Rome?', { stream: true });
  await stream.completed;
  const { spans, root } = await runSpans(t, 'invoke_agent Weather agent');
  assertWellFormed(spans);
  assert.deepEqual(outline(spans, root), ['invoke_agent Weather agent', `  chat ${MODEL}`, '  execute_tool get_weather', `  chat ${MODEL}`]);
  assert.ok(chats(spans).every((c) => c.attributes['gen_ai.provider.name'] === 'anthropic'));
  assert.equal(root.attributes['spanlens.agent.model_calls'], 2);
});

it("a custom Model with the SDK's response span (the WebSocket transport's tracing): chat spans with the response's id, usage and messages", async () => {
  t.configure({});
  t.reset();
  seen = [];
  await sdk.run(weatherAgent(responseSpanModel()), 'What is the weather in Oslo?');
  const { spans, root } = await runSpans(t, 'invoke_agent Weather agent');
  assertWellFormed(spans);
  assert.deepEqual(outline(spans, root), ['invoke_agent Weather agent', `  chat ${MODEL}`, '  execute_tool get_weather', `  chat ${MODEL}`]);
  const [first, second] = chats(spans);
  for (const [i, chat] of [first!, second!].entries()) {
    assert.equal(chat.attributes['spanlens.agents.observed_from'], 'response_span');
    assert.equal(chat.attributes['gen_ai.provider.name'], 'openai');
    assert.equal(chat.attributes['openai.api.type'], 'responses');
    assert.match(String(chat.attributes['gen_ai.response.id']), /^resp_/);
    assert.equal(chat.attributes['gen_ai.usage.input_tokens'], seen[i]!.input_tokens);
    assert.ok(Number(chat.attributes['spanlens.cost.usd']) > 0);
  }
  assert.match(String(first!.attributes['gen_ai.system_instructions']), /Use the tool/);
  assert.equal(json(first!.attributes['gen_ai.output.messages'])[0]!.parts[0]!.type, 'tool_call');
  assert.equal(root.attributes['spanlens.agent.model_calls'], 2);
  assert.equal(root.attributes['gen_ai.usage.input_tokens'], seen[0]!.input_tokens + seen[1]!.input_tokens);
});

it('traceIncludeSensitiveData: false: the adapter records only its model; the chat spans name it, carry no content or usage, and still count as calls', async () => {
  t.configure({});
  t.reset();
  seen = [];
  const runner = new sdk.Runner({ traceIncludeSensitiveData: false });
  await runner.run(weatherAgent(generationModel({ provider: 'acme' })), 'What is the weather in Lima?');
  const { spans, root } = await runSpans(t, 'invoke_agent Weather agent');
  const [first, second] = chats(spans);
  assert.equal(chats(spans).length, 2);
  for (const chat of [first!, second!]) {
    assert.equal(chat.name, `chat ${MODEL}`);
    assert.equal(chat.attributes['gen_ai.provider.name'], 'acme', "an adapter's provider outside the conventions' list, as it names itself");
    assert.equal(chat.attributes['gen_ai.usage.input_tokens'], undefined);
    assert.equal(chat.attributes['gen_ai.input.messages'], undefined);
    assert.equal(chat.attributes['spanlens.cost.usd'], undefined);
  }
  assert.equal(root.attributes['spanlens.agent.model_calls'], 2);
  assert.equal(root.attributes['gen_ai.usage.input_tokens'], undefined, 'no token sum: the calls reported none');
  assert.equal(root.attributes['spanlens.cost.usd'], undefined, 'no cost: the calls were not priced');
});

it('content capture off: no messages on the chat spans made from the SDK data', async () => {
  t.configure({ captureContent: false });
  try {
    t.reset();
    await sdk.run(weatherAgent(generationModel({ provider: 'openai.responses' })), 'What is the weather in Kyiv?');
    const { spans } = await runSpans(t, 'invoke_agent Weather agent');
    for (const chat of chats(spans)) {
      assert.equal(chat.attributes['gen_ai.input.messages'], undefined);
      assert.equal(chat.attributes['gen_ai.output.messages'], undefined);
      assert.ok(Number(chat.attributes['gen_ai.usage.input_tokens']) > 0);
    }
  } finally {
    t.configure({});
  }
});

it('a custom Model that fails: the app gets its error, the chat span and the root are marked failed', async () => {
  t.configure({});
  t.reset();
  class ProviderOverloadedError extends Error {
    override name = 'ProviderOverloadedError';
  }
  const failure = new ProviderOverloadedError('provider overloaded');
  const err = await sdk.run(weatherAgent(generationModel({ fail: failure })), 'What is the weather in Quito?').then(
    () => assert.fail('no error'),
    (e: unknown) => e,
  );
  assert.equal(err, failure, 'the same error object');
  const { spans, root } = await runSpans(t, 'invoke_agent Weather agent');
  assertWellFormed(spans);
  const chat = one(spans, `chat ${MODEL}`);
  assert.equal(chat.parentSpanId, root.spanId);
  assert.equal(chat.status.code, 'ERROR');
  assert.equal(chat.status.message, 'provider overloaded');
  assert.equal(chat.attributes['error.type'], '_OTHER', 'the SDK span carries the message only');
  assert.equal(chat.attributes['gen_ai.provider.name'], '_OTHER', 'a model that names no provider');
  assert.equal(root.status.code, 'ERROR');
  assert.equal(root.attributes['error.type'], 'ProviderOverloadedError');
  assert.equal(root.attributes['spanlens.agent.model_calls'], undefined, 'no usage: nothing added up');
});

it('OpenAIChatCompletionsModel (through the openai package): our chat spans only, none made from its generation spans', async () => {
  t.configure({});
  t.reset();
  const client = new OpenAI({ apiKey: API_KEY, baseURL: t.emulator.baseURL, maxRetries: 0 });
  const model = new sdk.OpenAIChatCompletionsModel(client as never, MODEL);
  const result = await sdk.run(weatherAgent(model, { instructions: 'Use the tool.' }), 'What is the weather in Lisbon?');
  assert.match(String(result.finalOutput), /Lisbon/);
  const { spans, root } = await runSpans(t, 'invoke_agent Weather agent');
  assertWellFormed(spans);
  assert.deepEqual(outline(spans, root), ['invoke_agent Weather agent', `  chat ${MODEL}`, '  execute_tool get_weather', `  chat ${MODEL}`]);
  for (const chat of chats(spans)) {
    assert.equal(chat.attributes['openai.api.type'], 'chat_completions', 'our own chat span');
    assert.equal(chat.attributes['spanlens.agents.observed_from'], undefined);
  }
  assert.equal(root.attributes['spanlens.agent.model_calls'], 2, 'each call counted once');
  assert.equal(
    root.attributes['gen_ai.usage.input_tokens'],
    chats(spans).reduce((n, c) => n + Number(c.attributes['gen_ai.usage.input_tokens']), 0),
  );
});

it("OpenAIChatCompletionsModel on a client that is not the openai package: chat spans from its generation spans, in the chat API's terms", async () => {
  t.configure({});
  t.reset();
  const completions: Item[] = [];
  // An OpenAI-compatible client of the app's own (plain fetch): the SDK's model calls `chat.completions.create`.
  const client = {
    baseURL: t.emulator.baseURL,
    chat: {
      completions: {
        create: async (body: Item) => {
          const res = await fetch(`${t.emulator.baseURL}/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
            body: JSON.stringify(body),
          });
          const completion = (await res.json()) as Item;
          completions.push(completion);
          return completion;
        },
      },
    },
  };
  const model = new sdk.OpenAIChatCompletionsModel(client as never, MODEL);
  await sdk.run(weatherAgent(model, { instructions: 'Use the tool.' }), 'What is the weather in Madrid?');
  const { spans, root } = await runSpans(t, 'invoke_agent Weather agent');
  assertWellFormed(spans);
  assert.deepEqual(outline(spans, root), ['invoke_agent Weather agent', `  chat ${MODEL}`, '  execute_tool get_weather', `  chat ${MODEL}`]);
  assert.equal(completions.length, 2);
  for (const [i, chat] of chats(spans).entries()) {
    const usage = completions[i]!.usage as { prompt_tokens: number; completion_tokens: number };
    assert.equal(chat.attributes['spanlens.agents.observed_from'], 'generation_span');
    assert.equal(chat.attributes['gen_ai.provider.name'], 'openai');
    assert.equal(chat.attributes['openai.api.type'], 'chat_completions');
    assert.equal(chat.attributes['gen_ai.response.id'], completions[i]!.id);
    assert.equal(chat.attributes['gen_ai.usage.input_tokens'], usage.prompt_tokens);
    assert.equal(chat.attributes['gen_ai.usage.output_tokens'], usage.completion_tokens);
  }
  const [first] = chats(spans);
  assert.equal(json(first!.attributes['gen_ai.input.messages'])[0]!.role, 'system');
  assert.equal(json(first!.attributes['gen_ai.output.messages'])[0]!.finish_reason, 'tool_call');
  assert.equal(root.attributes['spanlens.agent.model_calls'], 2);
});

it("setOpenAIAPI('chat_completions'): the same, with the SDK's default client", async () => {
  t.configure({});
  t.reset();
  sdk.setOpenAIAPI('chat_completions');
  try {
    await sdk.run(weatherAgent(MODEL, { instructions: 'Use the tool.' }), 'What is the weather in Porto?');
  } finally {
    sdk.setOpenAIAPI('responses');
  }
  const { spans, root } = await runSpans(t, 'invoke_agent Weather agent');
  assert.equal(chats(spans).length, 2);
  assert.ok(chats(spans).every((c) => c.attributes['openai.api.type'] === 'chat_completions'));
  assert.equal(root.attributes['spanlens.agent.model_calls'], 2);
});
