// The emulator's Responses route as the OpenAI Agents SDK drives it: raw `openai` calls with the
// requests the SDK builds (per-agent `instructions`, function tools incl. the `transfer_to_<agent>`
// handoff tools, the whole history as `input`, `reasoning: { effort: 'none' }`, `text.verbosity`),
// the `[emulator:…]` instruction markers, and real `@openai/agents` runs over HTTP.
// Run: node --import tsx --test test/unit/emulator-agents.test.ts
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI, { APIError } from 'openai';
import { startEmulator, type Emulator } from '../../src/testing/index';

const SHAPES = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/recorded-responses-shapes.json'), 'utf8')) as Record<string, string[]>;

type Item = OpenAI.Responses.ResponseInputItem;
type Output = OpenAI.Responses.ResponseOutputItem;
type Call = OpenAI.Responses.ResponseFunctionToolCall;

const MODEL = 'gpt-5.6-luna';
const QUESTION = 'What is the weather in Berlin?';
const keys = (o: object): string[] => Object.keys(o).sort();

/** A function tool as the SDK sends it (strict, no-extra-properties schema). */
function fnTool(name: string, properties: Record<string, unknown> = {}): OpenAI.Responses.FunctionTool {
  return { type: 'function', name, description: `${name} tool`, parameters: { type: 'object', properties, required: Object.keys(properties), additionalProperties: false }, strict: true };
}
const getWeather = fnTool('get_weather', { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } });
const getTime = fnTool('get_time', { timezone: { type: 'string' } });
const toWeather = fnTool('transfer_to_Weather_agent');
const toTriage = fnTool('transfer_to_Triage_agent');

/** The SDK's defaults for a gpt-5.x model: no reasoning, low verbosity, every request from scratch. */
function agentRequest(instructions: string, tools: OpenAI.Responses.Tool[], input: Item[]): OpenAI.Responses.ResponseCreateParamsNonStreaming {
  return { model: MODEL, instructions, input, include: [], tools, stream: false, text: { verbosity: 'low' }, reasoning: { effort: 'none' } };
}
const user = (content: string): Item => ({ role: 'user', content });
const calls = (output: Output[]): Call[] => output.filter((o): o is Call => o.type === 'function_call');
/** The SDK's history after a model turn: its output items, then an output for each call. */
function afterTurn(history: Item[], output: Output[], result: (c: Call) => string): Item[] {
  const next: Item[] = [...history, ...(output as Item[])];
  for (const c of calls(output)) next.push({ type: 'function_call_output', call_id: c.call_id, output: result(c) });
  return next;
}

describe('emulator: Responses as the Agents SDK drives it (raw client)', () => {
  let emulator: Emulator;
  let client: OpenAI;
  before(async () => {
    emulator = await startEmulator();
    client = new OpenAI({ apiKey: 'sk-test', baseURL: emulator.baseURL, maxRetries: 0 });
  });
  after(() => emulator.close());

  test('reasoning items only when the request reasons: none for effort "none" or no reasoning parameter', async () => {
    const none = await client.responses.create(agentRequest('Answer.', [getWeather], [user(QUESTION)]));
    assert.deepEqual(
      none.output.map((o) => o.type),
      ['function_call'],
    );
    assert.equal(none.usage?.output_tokens_details.reasoning_tokens, 0);
    assert.deepEqual(none.reasoning, { effort: 'none', summary: null });
    assert.equal(none.text?.verbosity, 'low');
    const plain = await client.responses.create({ model: 'gpt-4.1-mini', input: QUESTION });
    assert.deepEqual(
      plain.output.map((o) => o.type),
      ['message'],
    );
    const effortNone = await client.responses.create({ model: MODEL, input: QUESTION, reasoning: { effort: 'none' } });
    assert.deepEqual(
      effortNone.output.map((o) => o.type),
      ['message'],
    );
  });

  test('a reasoning request reasons before its calls and before the answer after them', async () => {
    const req = { ...agentRequest('Answer.', [getWeather], [user(QUESTION)]), model: 'gpt-5', reasoning: { effort: 'low' as const } };
    const first = await client.responses.create(req);
    assert.deepEqual(
      first.output.map((o) => o.type),
      ['reasoning', 'function_call'],
    );
    assert.deepEqual(keys(first.output[0] as object), SHAPES['reasoning_item']);
    assert.ok((first.usage?.output_tokens_details.reasoning_tokens ?? 0) > 0);
    const followUp = await client.responses.create({ ...req, input: afterTurn([user(QUESTION)], first.output, () => 'Sunny'), include: ['reasoning.encrypted_content'], store: false });
    assert.deepEqual(
      followUp.output.map((o) => o.type),
      ['reasoning', 'message'],
    );
    // Stateless clients pass reasoning back encrypted: id, type, encrypted_content, summary.
    assert.deepEqual(Object.keys(followUp.output[0] as object), ['id', 'type', 'encrypted_content', 'summary']);
  });

  test('handoff: triage calls transfer_to_*, the target calls its own tool, then answers', async () => {
    const history0 = [user(QUESTION)];
    const triage = await client.responses.create(agentRequest('Route the user.', [toWeather], history0));
    assert.deepEqual(
      calls(triage.output).map((c) => [c.name, c.arguments]),
      [['transfer_to_Weather_agent', '{}']],
    );
    const history1 = afterTurn(history0, triage.output, () => '{"assistant":"Weather agent"}');
    // The target also offers a handoff back: it must still call its own tool.
    const target = await client.responses.create(agentRequest('You answer weather questions.', [toTriage, getWeather], history1));
    assert.deepEqual(
      calls(target.output).map((c) => [c.name, JSON.parse(c.arguments)]),
      [['get_weather', { city: 'Berlin', unit: 'celsius' }]],
    );
    for (const c of calls(target.output)) assert.deepEqual(keys(c), SHAPES['function_call_item']);
    const history2 = afterTurn(history1, target.output, () => 'Sunny, 21C');
    const final = await client.responses.create(agentRequest('You answer weather questions.', [toTriage, getWeather], history2));
    assert.deepEqual(
      final.output.map((o) => o.type),
      ['message'],
    );
    assert.deepEqual(keys(final.output[0] as object), SHAPES['message_item']);
    // The answer uses the last round's output, not the handoff's.
    assert.match(final.output_text, /get_weather returned Sunny, 21C/);
    assert.doesNotMatch(final.output_text, /transfer_to/);
  });

  test('a handoff target with only a handoff back answers instead of handing back', async () => {
    const triage = await client.responses.create(agentRequest('Route.', [toWeather], [user(QUESTION)]));
    const history = afterTurn([user(QUESTION)], triage.output, () => '{"assistant":"Weather agent"}');
    const target = await client.responses.create(agentRequest('Weather.', [toTriage], history));
    assert.deepEqual(
      target.output.map((o) => o.type),
      ['message'],
    );
  });

  test('an agent with its own tools and handoffs calls its own tool unless told to hand off', async () => {
    const own = await client.responses.create(agentRequest('Help.', [toWeather, getTime], [user(QUESTION)]));
    assert.deepEqual(
      calls(own.output).map((c) => c.name),
      ['get_time'],
    );
    const handoff = await client.responses.create(agentRequest('Help. [emulator:handoff=Weather agent]', [getTime, toWeather], [user(QUESTION)]));
    assert.deepEqual(
      calls(handoff.output).map((c) => c.name),
      ['transfer_to_Weather_agent'],
    );
  });

  test('[emulator:call=…] picks the function; a,b calls in parallel; markers are turns in order', async () => {
    const instructions = 'Weather helper. [emulator:call=get_time] [emulator:call=get_weather,get_time]';
    let history = [user(QUESTION)];
    const turn1 = await client.responses.create(agentRequest(instructions, [getWeather, getTime], history));
    assert.deepEqual(
      calls(turn1.output).map((c) => c.name),
      ['get_time'],
    );
    history = afterTurn(history, turn1.output, () => '12:00');
    const turn2 = await client.responses.create(agentRequest(instructions, [getWeather, getTime], history));
    assert.deepEqual(
      calls(turn2.output).map((c) => c.name),
      ['get_weather', 'get_time'],
    );
    assert.notEqual(calls(turn2.output)[0]?.call_id, calls(turn2.output)[1]?.call_id);
    history = afterTurn(history, turn2.output, (c) => `${c.name} ok`);
    const turn3 = await client.responses.create(agentRequest(instructions, [getWeather, getTime], history));
    assert.deepEqual(
      turn3.output.map((o) => o.type),
      ['message'],
    );
    assert.match(turn3.output_text, /get_weather returned get_weather ok; get_time returned get_time ok/);
    // A new user message starts the steps again.
    const again = await client.responses.create(agentRequest(instructions, [getWeather, getTime], [...history, ...(turn3.output as Item[]), user('And in Paris?')]));
    assert.deepEqual(
      calls(again.output).map((c) => c.name),
      ['get_time'],
    );
  });

  test('[emulator:script=function] keeps calling the tool (the max-turns flow)', async () => {
    let history = [user(QUESTION)];
    for (let turn = 0; turn < 3; turn++) {
      const r = await client.responses.create(agentRequest('Loop. [emulator:script=function]', [toTriage, getWeather], history));
      assert.deepEqual(
        calls(r.output).map((c) => c.name),
        ['get_weather'],
      );
      history = afterTurn(history, r.output, () => 'still sunny');
    }
  });

  test('bad markers are 400s naming the problem', async () => {
    const bad = async (instructions: string, pattern: RegExp) => {
      await assert.rejects(client.responses.create(agentRequest(instructions, [getWeather], [user(QUESTION)])), (e: unknown) => {
        assert.ok(e instanceof APIError);
        assert.equal(e.status, 400);
        assert.match(e.message, pattern);
        return true;
      });
    };
    await bad('[emulator:call=get_stock]', /'get_stock'.*tools: get_weather/);
    await bad('[emulator:handoff=Billing agent]', /'transfer_to_Billing_agent'/);
    await bad('[emulator:script=dance]', /Unknown emulator script 'dance'/);
    await bad('[emulator:calls=get_weather]', /Unknown emulator marker/);
  });

  test('agent as a tool: the outer agent calls the agent tool with its input; the inner run is a plain run', async () => {
    const expert = fnTool('weather_expert', { input: { type: 'string' } });
    const outer = await client.responses.create(agentRequest('Use your experts.', [expert], [user(QUESTION)]));
    assert.deepEqual(
      calls(outer.output).map((c) => [c.name, JSON.parse(c.arguments)]),
      [['weather_expert', { input: QUESTION }]],
    );
    const inner = await client.responses.create(agentRequest('Weather expert.', [getWeather], [user(QUESTION)]));
    assert.deepEqual(
      calls(inner.output).map((c) => c.name),
      ['get_weather'],
    );
  });

  test('structured output and guardrail verdicts: JSON fitting the schema; [emulator:true-when=…] trips', async () => {
    const verdict = {
      type: 'json_schema' as const,
      name: 'final_output',
      strict: true,
      schema: {
        type: 'object',
        properties: { isSecret: { type: 'boolean' }, reason: { type: 'string' }, level: { type: 'string', enum: ['low', 'high'] }, score: { type: ['number', 'null'] } },
        required: ['isSecret', 'reason', 'level', 'score'],
        additionalProperties: false,
      },
    };
    const ask = async (instructions: string, question: string) => {
      const r = await client.responses.create({ ...agentRequest(instructions, [], [user(question)]), text: { format: verdict, verbosity: 'low' } });
      assert.deepEqual(keys(r.text?.format ?? {}), SHAPES['json_schema_format']);
      return JSON.parse(r.output_text) as Record<string, unknown>;
    };
    const guard = 'Check for secrets. [emulator:true-when=password]';
    const safe = await ask(guard, QUESTION);
    assert.deepEqual(keys(safe), ['isSecret', 'level', 'reason', 'score']);
    assert.equal(safe['isSecret'], false);
    assert.equal(safe['level'], 'low');
    assert.equal(typeof safe['score'], 'number');
    assert.equal((await ask(guard, 'My PASSWORD is hunter2'))['isSecret'], true);
    // Without the marker booleans stay true (unchanged behaviour).
    assert.equal((await ask('Check for secrets.', QUESTION))['isSecret'], true);
  });

  test('hosted MCP tool: the server lists and calls the tool itself', async () => {
    const mcp: OpenAI.Responses.Tool = { type: 'mcp', server_label: 'docs', server_url: 'https://mcp.example.com/sse', require_approval: 'never' };
    const r = await client.responses.create(agentRequest('Use docs.', [mcp], [user('Search the docs for tracing')]));
    assert.deepEqual(
      r.output.map((o) => o.type),
      ['mcp_list_tools', 'mcp_call', 'message'],
    );
  });

  test('a streamed handoff target streams its own function call', async () => {
    const triage = await client.responses.create(agentRequest('Route.', [toWeather], [user(QUESTION)]));
    const history = afterTurn([user(QUESTION)], triage.output, () => '{"assistant":"Weather agent"}');
    const stream = await client.responses.create({ ...agentRequest('Weather.', [getWeather], history), stream: true });
    const done: string[] = [];
    for await (const e of stream) if (e.type === 'response.function_call_arguments.done') done.push(e.name);
    assert.deepEqual(done, ['get_weather']);
  });
});

describe('emulator: real @openai/agents runs over HTTP', () => {
  let emulator: Emulator;
  let agents: typeof import('@openai/agents');
  before(async () => {
    emulator = await startEmulator();
    agents = await import('@openai/agents');
    agents.setDefaultOpenAIClient(new OpenAI({ baseURL: emulator.baseURL, apiKey: 'sk-test' }) as never);
    agents.setOpenAIAPI('responses');
    agents.setTracingDisabled(true);
  });
  after(() => emulator.close());

  const weatherTool = () =>
    agents.tool({
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
      strict: true,
      execute: async (args) => `Sunny in ${(args as { city: string }).city}, 21C`,
    });
  const names = () => emulator.requests.filter((r) => r.path === '/v1/responses').map((r) => (r.body as { instructions: string }).instructions);

  test('triage → handoff → weather agent → its tool → final answer', async () => {
    emulator.reset();
    const weather = new agents.Agent({ name: 'Weather agent', instructions: 'You answer weather questions.', tools: [weatherTool()] });
    const triage = new agents.Agent({ name: 'Triage agent', instructions: 'Route the user.', handoffs: [weather] });
    const result = await agents.run(triage, QUESTION);
    assert.equal(result.lastAgent?.name, 'Weather agent');
    assert.match(String(result.finalOutput), /get_weather returned Sunny in Berlin, 21C/);
    assert.deepEqual(names(), ['Route the user.', 'You answer weather questions.', 'You answer weather questions.']);
  });

  test('parallel tools, then max turns exceeded by a looping agent', async () => {
    const clock = agents.tool({
      name: 'get_time',
      description: 'Time',
      parameters: { type: 'object', properties: {}, required: [], additionalProperties: false },
      strict: true,
      execute: async () => '12:00',
    });
    const both = new agents.Agent({ name: 'Both', instructions: '[emulator:call=get_weather,get_time]', tools: [weatherTool(), clock] });
    const result = await agents.run(both, QUESTION);
    assert.match(String(result.finalOutput), /get_weather returned Sunny in Berlin, 21C; get_time returned 12:00/);
    const loop = new agents.Agent({ name: 'Loop', instructions: '[emulator:script=function]', tools: [weatherTool()] });
    await assert.rejects(agents.run(loop, QUESTION, { maxTurns: 3 }), agents.MaxTurnsExceededError);
  });

  test('input guardrail agent with an output type: passes, and trips on the marker word', async () => {
    const verdictAgent = new agents.Agent({
      name: 'Secret check',
      instructions: 'Does the input hold a secret? [emulator:true-when=password]',
      outputType: {
        type: 'json_schema',
        name: 'verdict',
        strict: true,
        schema: { type: 'object', properties: { isSecret: { type: 'boolean' } }, required: ['isSecret'], additionalProperties: false },
      },
    });
    const guardrail = {
      name: 'no_secrets',
      execute: async ({ input }: { input: string | unknown[] }) => {
        const verdict = await agents.run(verdictAgent, input as string);
        const out = verdict.finalOutput as { isSecret: boolean };
        return { outputInfo: out, tripwireTriggered: out.isSecret };
      },
    };
    const guarded = new agents.Agent({ name: 'Guarded', instructions: 'Help.', inputGuardrails: [guardrail] });
    const ok = await agents.run(guarded, QUESTION);
    assert.equal(ok.inputGuardrailResults[0]?.output.tripwireTriggered, false);
    await assert.rejects(agents.run(guarded, 'My password is hunter2'), agents.InputGuardrailTripwireTriggered);
  });

  test('an agent used as a tool: the outer agent calls it, the inner agent calls its own tool', async () => {
    emulator.reset();
    const inner = new agents.Agent({ name: 'Weather expert', instructions: 'Inner weather expert.', tools: [weatherTool()] });
    const outer = new agents.Agent({ name: 'Outer', instructions: 'Outer agent.', tools: [inner.asTool({ toolName: 'weather_expert', toolDescription: 'Asks the weather expert' })] });
    const result = await agents.run(outer, QUESTION);
    assert.match(String(result.finalOutput), /weather_expert returned .*get_weather returned Sunny in Berlin/);
    assert.deepEqual(names(), ['Outer agent.', 'Inner weather expert.', 'Inner weather expert.', 'Outer agent.']);
  });
});
