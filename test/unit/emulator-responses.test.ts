// The emulator's Responses, Conversations, Chat Completions and Embeddings routes, through the real
// `openai` SDK (the root devDependency, v6 signatures; a subset through every major of test/matrix),
// with shapes compared to the recorded real traffic (test/fixtures/recorded-responses-shapes.json,
// key sets and event order extracted from the openllmetry cassettes in test/fixtures/recordings).
// Run: node --import tsx --test test/unit/emulator-responses.test.ts
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI, { APIConnectionError, APIError } from 'openai';
import { startEmulator, type Emulator } from '../../src/testing/index';
import { duringNextFlush } from '../support/flush-hook';

const SHAPES = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/recorded-responses-shapes.json'), 'utf8')) as {
  response: Record<string, string[]> & { keys: string[] };
  function_call_item: string[];
  message_item: string[];
  output_text: string[];
  reasoning_item: string[];
  summary_text: string[];
  json_schema_format: string[];
  stream: Array<{ event: string; keys: string[]; part?: string[]; item?: string[] }>;
  embeddings: { keys: string[]; data: string[]; usage: string[]; base64_float32_count: number };
  chat_completion: { keys: string[]; choice: string[]; message: string[]; usage: string[] };
};

type Response = OpenAI.Responses.Response;
type StreamEvent = OpenAI.Responses.ResponseStreamEvent;

const MODEL = 'gpt-4.1-nano';
const HEX_ID = (prefix: string) => new RegExp(`^${prefix}[0-9a-f]{50}$`);

const keys = (o: object): string[] => Object.keys(o).sort();
/** Wire keys of a response the SDK returned (the SDK adds `output_text` itself). */
const wireKeys = (r: object): string[] => keys(r).filter((k) => k !== 'output_text');
const withFault = (fault: string) => ({ headers: { 'x-emulator-fault': fault } });

const weatherTool: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Get the current weather for a location',
  parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'], additionalProperties: false },
  strict: true,
};
const timeTool: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'get_time',
  parameters: { type: 'object', properties: { timezone: { type: 'string' } }, required: ['timezone'], additionalProperties: false },
  strict: true,
};

async function collect(stream: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

/** Event names with consecutive repeats collapsed (delta runs differ in length, the order must not). */
function shape(names: readonly string[]): string[] {
  return names.filter((n, i) => n !== names[i - 1]);
}

function assertUsage(r: Response): void {
  assert.ok(r.usage, 'usage');
  assert.deepEqual(keys(r.usage), SHAPES.response.usage);
  assert.deepEqual(keys(r.usage.input_tokens_details), SHAPES.response.input_tokens_details);
  assert.deepEqual(keys(r.usage.output_tokens_details), SHAPES.response.output_tokens_details);
  assert.equal(r.usage.total_tokens, r.usage.input_tokens + r.usage.output_tokens);
  assert.ok(r.usage.input_tokens > 0 && r.usage.output_tokens > 0);
  assert.ok(r.usage.input_tokens_details.cached_tokens <= r.usage.input_tokens);
}

describe('responses', () => {
  let emu: Emulator;
  let client: OpenAI;
  before(async () => {
    emu = await startEmulator();
    client = new OpenAI({ apiKey: 'sk-test', baseURL: emu.baseURL, maxRetries: 0 });
  });
  after(() => emu.close());

  test('create: the recorded response shape, ids, usage, deterministic text', async () => {
    const r = await client.responses.create({ model: MODEL, input: 'What is 2+2?' });
    assert.deepEqual(wireKeys(r), SHAPES.response.keys);
    assert.match(r.id, HEX_ID('resp_'));
    assert.equal(r.object, 'response');
    assert.equal(r.status, 'completed');
    assert.equal(r.background, false);
    assert.deepEqual(keys(r.reasoning ?? {}), SHAPES.response.reasoning);
    assert.deepEqual(keys(r.text ?? {}), SHAPES.response.text);
    assert.equal(r.output.length, 1);
    const msg = r.output[0] as OpenAI.Responses.ResponseOutputMessage;
    assert.deepEqual(keys(msg), SHAPES.message_item);
    assert.match(msg.id, HEX_ID('msg_'));
    assert.deepEqual(keys(msg.content[0] as object), SHAPES.output_text);
    assert.match(r.output_text, /2\+2/);
    assertUsage(r);
    assert.equal(r.usage?.input_tokens_details.cached_tokens, 0, 'nothing before: nothing cached');
    const again = await startEmulator();
    try {
      const other = new OpenAI({ apiKey: 'k', baseURL: again.baseURL, maxRetries: 0 });
      const r2 = await other.responses.create({ model: MODEL, input: 'What is 2+2?' });
      assert.equal(r2.output_text, r.output_text);
      assert.equal(r2.id, r.id, 'same seed, same ids');
    } finally {
      await again.close();
    }
    const rec = emu.requests.find((q) => q.path === '/v1/responses' && q.method === 'POST');
    assert.deepEqual((rec?.body as { input: string }).input, 'What is 2+2?');
  });

  test('stream: true: the recorded event order and keys, sequence numbers, deltas add up', async () => {
    const events = await collect(await client.responses.create({ model: MODEL, input: 'What is 2+2?', stream: true }));
    assert.deepEqual(shape(events.map((e) => e.type)), shape(SHAPES.stream.map((e) => e.event)));
    events.forEach((e, i) => assert.equal(e.sequence_number, i));
    for (const e of events) {
      const rec = SHAPES.stream.find((x) => x.event === e.type);
      assert.ok(rec, e.type);
      assert.deepEqual(keys(e), rec.keys, `keys of ${e.type}`);
      if ('part' in e && rec.part) assert.deepEqual(keys(e.part), rec.part);
      if ('item' in e && rec.item) assert.deepEqual(keys(e.item), rec.item);
      if ('response' in e) assert.deepEqual(wireKeys(e.response), SHAPES.response.keys);
    }
    const created = events[0] as OpenAI.Responses.ResponseCreatedEvent;
    assert.equal(created.response.status, 'in_progress');
    assert.equal(created.response.usage, null);
    const text = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('');
    const done = events.find((e) => e.type === 'response.output_text.done');
    assert.equal(done?.type === 'response.output_text.done' && done.text, text);
    const completed = events[events.length - 1] as OpenAI.Responses.ResponseCompletedEvent;
    assert.equal(completed.type, 'response.completed');
    assertUsage(completed.response);
    // The raw stream: `event:` + `data:` lines, no [DONE] sentinel (as recorded).
    const raw = await fetch(`${emu.baseURL}/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL, input: 'Hi', stream: true }) });
    assert.equal(raw.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const body = await raw.text();
    assert.match(body, /^event: response\.created\ndata: \{"type":"response\.created","sequence_number":0,/);
    assert.ok(!body.includes('[DONE]'));
    assert.match(body, /event: response\.completed\ndata: .*\n\n$/);
  });

  test('responses.stream() and responses.parse()', async () => {
    const stream = client.responses.stream({ model: MODEL, input: 'Explain tides' });
    const deltas: string[] = [];
    stream.on('response.output_text.delta', (e) => deltas.push(e.delta));
    const final = await stream.finalResponse();
    assert.equal(final.status, 'completed');
    assert.equal(deltas.join(''), final.output_text);

    const parsed = await client.responses.parse({
      model: MODEL,
      input: 'Extract: Alice is 30 years old.',
      text: {
        format: {
          type: 'json_schema',
          name: 'Person',
          strict: true,
          schema: { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name', 'age'], additionalProperties: false },
        },
      },
    });
    assert.deepEqual(keys(parsed.text?.format ?? {}), SHAPES.json_schema_format);
    const person = parsed.output_parsed as { name: string; age: number } | null;
    assert.ok(person && typeof person.name === 'string' && Number.isInteger(person.age));
  });

  test('background: queued → in_progress → completed by polling; cancel script; cancel rules', async () => {
    const created = await client.responses.create({ model: MODEL, input: 'Write a haiku', background: true });
    assert.equal(created.status, 'queued');
    assert.equal(created.background, true);
    assert.equal(created.usage, null);
    const seen: string[] = [created.status as string];
    let r: Response = created;
    for (let i = 0; i < 10 && r.status !== 'completed'; i++) {
      r = await client.responses.retrieve(created.id);
      seen.push(r.status as string);
    }
    assert.deepEqual(shape(seen), ['queued', 'in_progress', 'completed']);
    assertUsage(r);
    await assert.rejects(client.responses.cancel(created.id), (e: unknown) => e instanceof APIError && e.status === 400);

    const waiting = await client.responses.create({ model: MODEL, input: 'Long job', background: true, metadata: { script: 'cancel' } });
    for (let i = 0; i < 4; i++) assert.notEqual((await client.responses.retrieve(waiting.id)).status, 'completed');
    assert.equal((await client.responses.retrieve(waiting.id)).status, 'in_progress');
    const cancelled = await client.responses.cancel(waiting.id);
    assert.equal(cancelled.status, 'cancelled');
    assert.equal((await client.responses.retrieve(waiting.id)).status, 'cancelled');

    const plain = await client.responses.create({ model: MODEL, input: 'x' });
    await assert.rejects(client.responses.cancel(plain.id), (e: unknown) => e instanceof APIError && e.status === 400 && /background/.test(e.message));
    await assert.rejects(client.responses.create({ model: MODEL, input: 'x', metadata: { script: 'cancel' } }), (e: unknown) => e instanceof APIError && e.status === 400);
    await assert.rejects(
      client.responses.create({ model: MODEL, input: 'x', metadata: { script: 'nope' } }),
      (e: unknown) => e instanceof APIError && /Unknown emulator script 'nope'/.test(e.message),
    );
  });

  test('a streamed background cancel script waits, and the cancel ends the stream', async () => {
    const stream = await client.responses.create({ model: MODEL, input: 'Long job', background: true, stream: true, metadata: { script: 'cancel' } });
    const seen: StreamEvent[] = [];
    const reading = (async () => {
      for await (const e of stream) {
        seen.push(e);
        if (e.type === 'response.content_part.added') {
          const id = (seen[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
          await client.responses.cancel(id);
        }
      }
    })();
    await reading;
    assert.deepEqual(shape(seen.map((e) => e.type)), ['response.created', 'response.queued', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    assert.equal((seen[0] as OpenAI.Responses.ResponseCreatedEvent).response.status, 'queued');
  });

  test('a cancel that lands while the stream writes its last bytes before waiting is not lost', { timeout: 20_000 }, async () => {
    let created: (id: string) => void = () => undefined;
    const id = new Promise<string>((resolve) => (created = resolve));
    const hook = duringNextFlush(async () => client.responses.cancel(await id));
    try {
      const stream = await client.responses.create({ model: MODEL, input: 'Long job', background: true, stream: true, metadata: { script: 'cancel' } });
      const types: string[] = [];
      for await (const e of stream) {
        if (e.type === 'response.created') created(e.response.id);
        types.push(e.type);
      }
      assert.ok(hook.ran(), 'the cancel was made while the stream flushed');
      assert.equal(types.at(-1), 'response.content_part.added');
      assert.equal((await client.responses.retrieve(await id)).status, 'cancelled');
    } finally {
      hook.restore();
    }
  });

  test('resume a background stream: GET ?stream=true&starting_after=N and responses.stream({ response_id })', async () => {
    const first = await client.responses.create({ model: MODEL, input: 'Tell me a story', background: true, stream: true });
    let id = '';
    let last = -1;
    for await (const e of first) {
      if (e.type === 'response.created') id = e.response.id;
      last = e.sequence_number;
      if (last === 4) break;
    }
    const raw = await fetch(`${emu.baseURL}/responses/${id}?stream=true&starting_after=4`);
    const firstSeq = /"sequence_number":(\d+)/.exec(await raw.text())?.[1];
    assert.equal(firstSeq, '5');
    const resumed = client.responses.stream({ response_id: id, starting_after: last });
    const seqs: number[] = [];
    resumed.on('event', (e) => seqs.push(e.sequence_number));
    const final = await resumed.finalResponse();
    assert.equal(final.status, 'completed');
    assert.equal(seqs[0], 5);
    seqs.forEach((s, i) => assert.equal(s, 5 + i));
    assert.ok(final.output_text.length > 0);
    const notBackground = await client.responses.create({ model: MODEL, input: 'x' });
    const bad = await fetch(`${emu.baseURL}/responses/${notBackground.id}?stream=true`);
    assert.equal(bad.status, 400);
  });

  test('function call round trip: function_call items, function_call_output follow-up answers', async () => {
    const r = await client.responses.create({ model: MODEL, input: [{ type: 'message', role: 'user', content: "What's the weather in London?" }], tools: [weatherTool], tool_choice: 'auto' });
    assert.equal(r.status, 'completed');
    assert.equal(r.output.length, 1);
    const call = r.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
    assert.deepEqual(keys(call), SHAPES.function_call_item);
    assert.match(call.id ?? '', HEX_ID('fc_'));
    assert.match(call.call_id, /^call_[0-9A-Za-z]{24}$/);
    assert.deepEqual(JSON.parse(call.arguments), { location: 'London' });
    assert.deepEqual(keys(r.tools[0] as object), SHAPES.response.function_tool);
    const follow = await client.responses.create({
      model: MODEL,
      previous_response_id: r.id,
      tools: [weatherTool],
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"temp":"12C","sky":"rain"}' }],
    });
    assert.equal(follow.previous_response_id, r.id);
    assert.equal(follow.output[0]?.type, 'message');
    assert.match(follow.output_text, /get_weather returned \{"temp":"12C","sky":"rain"\}/);
    assert.ok((follow.usage?.input_tokens_details.cached_tokens ?? 0) > 0, 'the previous response is cached');
    const items = await client.responses.inputItems.list(follow.id);
    assert.equal(items.data[0]?.type, 'function_call_output');
    await assert.rejects(
      client.responses.create({ model: MODEL, previous_response_id: r.id, input: [{ type: 'function_call_output', call_id: 'call_unknown', output: 'x' }] }),
      (e: unknown) => e instanceof APIError && e.status === 400 && /No tool call found/.test(e.message),
    );
    // Manual history (no previous_response_id): the call in the input itself.
    const manual = await client.responses.create({
      model: MODEL,
      input: [{ role: 'user', content: 'weather in Oslo?' }, call, { type: 'function_call_output', call_id: call.call_id, output: 'snow' }],
    });
    assert.match(manual.output_text, /returned snow/);

    const parallel = await client.responses.create({ model: MODEL, input: 'Weather and time in Paris?', tools: [weatherTool, timeTool], metadata: { script: 'parallel_functions' } });
    const calls = parallel.output as OpenAI.Responses.ResponseFunctionToolCall[];
    assert.deepEqual(
      calls.map((c) => c.name),
      ['get_weather', 'get_time'],
    );
    assert.notEqual(calls[0]?.call_id, calls[1]?.call_id);

    const events = await collect(await client.responses.create({ model: MODEL, input: 'weather in Rome?', tools: [weatherTool], stream: true }));
    assert.deepEqual(shape(events.map((e) => e.type)), [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const argsDone = events.find((e) => e.type === 'response.function_call_arguments.done');
    const argDeltas = events.flatMap((e) => (e.type === 'response.function_call_arguments.delta' ? [e.delta] : [])).join('');
    assert.equal(argsDone?.type === 'response.function_call_arguments.done' && argsDone.arguments, argDeltas);
  });

  const SCRIPTS: Array<{ script: string; items: string[]; events: string[]; params?: Partial<OpenAI.Responses.ResponseCreateParamsNonStreaming> }> = [
    {
      script: 'code',
      items: ['code_interpreter_call', 'message'],
      events: [
        'response.code_interpreter_call.in_progress',
        'response.code_interpreter_call_code.delta',
        'response.code_interpreter_call_code.done',
        'response.code_interpreter_call.interpreting',
        'response.code_interpreter_call.completed',
      ],
      params: { tools: [{ type: 'code_interpreter', container: { type: 'auto' } }], include: ['code_interpreter_call.outputs'] },
    },
    {
      script: 'file_search',
      items: ['file_search_call', 'message'],
      events: ['response.file_search_call.in_progress', 'response.file_search_call.searching', 'response.file_search_call.completed', 'response.output_text.annotation.added'],
      params: { tools: [{ type: 'file_search', vector_store_ids: [] }] },
    },
    {
      script: 'web_search',
      items: ['web_search_call', 'message'],
      events: ['response.web_search_call.in_progress', 'response.web_search_call.searching', 'response.web_search_call.completed', 'response.output_text.annotation.added'],
      params: { tools: [{ type: 'web_search' }] },
    },
    {
      script: 'reasoning',
      items: ['reasoning', 'message'],
      events: ['response.reasoning_summary_part.added', 'response.reasoning_summary_text.delta', 'response.reasoning_summary_text.done', 'response.reasoning_summary_part.done'],
      params: { model: 'gpt-5-nano', reasoning: { effort: 'low', summary: 'auto' } },
    },
    {
      script: 'mcp',
      items: ['mcp_list_tools', 'mcp_call', 'message'],
      events: [
        'response.mcp_list_tools.in_progress',
        'response.mcp_list_tools.completed',
        'response.mcp_call.in_progress',
        'response.mcp_call_arguments.delta',
        'response.mcp_call_arguments.done',
        'response.mcp_call.completed',
      ],
      params: { tools: [{ type: 'mcp', server_label: 'deepwiki', server_url: 'https://mcp.deepwiki.com/mcp', require_approval: 'never', allowed_tools: ['ask_question'] }] },
    },
    {
      script: 'image',
      items: ['image_generation_call', 'message'],
      events: ['response.image_generation_call.in_progress', 'response.image_generation_call.generating', 'response.image_generation_call.completed'],
      params: { tools: [{ type: 'image_generation' }] },
    },
  ];

  for (const s of SCRIPTS) {
    test(`script ${s.script}: chosen from the tools, items and tool events (JSON and stream agree)`, async () => {
      const params = { model: MODEL, input: 'Tell me about the tides in Brest', ...s.params } as OpenAI.Responses.ResponseCreateParamsNonStreaming;
      const r = await client.responses.create(params);
      assert.equal(r.status, 'completed');
      assert.deepEqual(
        r.output.map((o) => o.type),
        s.items,
        'chosen without metadata.script',
      );
      assertUsage(r);
      const events = await collect(await client.responses.create({ ...params, stream: true }));
      const names = events.map((e) => e.type);
      for (const want of s.events) assert.ok(names.includes(want as StreamEvent['type']), `${want} in ${shape(names).join(' ')}`);
      events.forEach((e, i) => assert.equal(e.sequence_number, i));
      const last = events[events.length - 1];
      assert.equal(last?.type, 'response.completed');
      const streamed = last?.type === 'response.completed' ? last.response : null;
      assert.deepEqual(
        streamed?.output.map((o) => o.type),
        s.items,
      );
      // Every item's added/done pair surrounds its own events.
      for (let i = 0; i < s.items.length; i++) {
        const added = events.findIndex((e) => e.type === 'response.output_item.added' && e.output_index === i);
        const done = events.findIndex((e) => e.type === 'response.output_item.done' && e.output_index === i);
        assert.ok(added >= 0 && done > added, `item ${i} added before done`);
        for (const e of events) if ('output_index' in e && e.output_index === i && e.sequence_number !== undefined) assert.ok(e.sequence_number >= added && e.sequence_number <= done);
      }
      const text = r.output_text;
      const msg = r.output[r.output.length - 1] as OpenAI.Responses.ResponseOutputMessage;
      const part = msg.content[0] as OpenAI.Responses.ResponseOutputText;
      switch (s.script) {
        case 'code': {
          const ci = r.output[0] as OpenAI.Responses.ResponseCodeInterpreterToolCall;
          assert.match(ci.id, HEX_ID('ci_'));
          assert.match(ci.container_id, HEX_ID('cntr_'));
          assert.match(ci.code ?? '', /print/);
          assert.equal(ci.outputs?.[0]?.type, 'logs');
          assert.match(ci.outputs?.[0]?.type === 'logs' ? ci.outputs[0].logs : '', /total = \d+/);
          const noOutputs = await client.responses.create({ ...params, include: [] });
          assert.equal((noOutputs.output[0] as OpenAI.Responses.ResponseCodeInterpreterToolCall).outputs, null);
          break;
        }
        case 'file_search': {
          const fs = r.output[0] as OpenAI.Responses.ResponseFileSearchToolCall;
          assert.match(fs.id, HEX_ID('fs_'));
          assert.ok(fs.queries.length > 0);
          assert.equal(fs.results, null, 'results only with include');
          const cited = part.annotations.filter((a) => a.type === 'file_citation');
          assert.ok(cited.length > 0);
          for (const a of cited) assert.ok(a.type === 'file_citation' && a.index <= text.length && a.filename.length > 0);
          const withResults = await client.responses.create({ ...params, include: ['file_search_call.results'] });
          const results = (withResults.output[0] as OpenAI.Responses.ResponseFileSearchToolCall).results ?? [];
          assert.ok(results.length > 0);
          assert.deepEqual(keys(results[0] as object), ['attributes', 'file_id', 'filename', 'score', 'text']);
          break;
        }
        case 'web_search': {
          const ws = r.output[0] as OpenAI.Responses.ResponseFunctionWebSearch;
          assert.match(ws.id, HEX_ID('ws_'));
          assert.equal(ws.action.type, 'search');
          const urls = part.annotations.filter((a) => a.type === 'url_citation');
          assert.equal(urls.length, 2);
          for (const a of urls) {
            assert.ok(a.type === 'url_citation');
            assert.equal(text.slice(a.start_index, a.end_index).includes(a.url), true, 'the citation span holds its link');
          }
          break;
        }
        case 'reasoning': {
          const rs = r.output[0] as OpenAI.Responses.ResponseReasoningItem;
          assert.deepEqual(keys(rs), SHAPES.reasoning_item);
          assert.match(rs.id, HEX_ID('rs_'));
          assert.equal(rs.summary.length, 2);
          assert.deepEqual(keys(rs.summary[0] as object), SHAPES.summary_text);
          assert.equal(r.reasoning?.summary, 'detailed', 'auto is echoed as the summary used (recorded)');
          const u = r.usage;
          assert.ok(u && u.output_tokens_details.reasoning_tokens > 0 && u.output_tokens > u.output_tokens_details.reasoning_tokens);
          const noSummary = await client.responses.create({ model: 'gpt-5-nano', input: 'Count the rs in strawberry', reasoning: { effort: 'low' } });
          assert.deepEqual((noSummary.output[0] as OpenAI.Responses.ResponseReasoningItem).summary, []);
          break;
        }
        case 'mcp': {
          const call = r.output[1] as OpenAI.Responses.ResponseOutputItem.McpCall;
          assert.match(call.id, HEX_ID('mcp_'));
          assert.equal(call.server_label, 'deepwiki');
          assert.equal(call.name, 'ask_question');
          assert.ok(JSON.parse(call.arguments));
          assert.ok(call.output && call.output.length > 0);
          assert.equal(call.error, null);
          break;
        }
        case 'image': {
          const ig = r.output[0] as OpenAI.Responses.ResponseOutputItem.ImageGenerationCall;
          assert.match(ig.id, HEX_ID('ig_'));
          const png = Buffer.from(ig.result ?? '', 'base64');
          assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
          break;
        }
      }
    });
  }

  test('failed and incomplete scripts; max_output_tokens cuts', async () => {
    const failed = await client.responses.create({ model: MODEL, input: 'x', metadata: { script: 'failed' } });
    assert.equal(failed.status, 'failed');
    assert.deepEqual(keys(failed.error ?? {}), ['code', 'message']);
    assert.equal(failed.error?.code, 'server_error');
    const fEvents = await collect(await client.responses.create({ model: MODEL, input: 'x', metadata: { script: 'failed' }, stream: true }));
    assert.deepEqual(
      fEvents.map((e) => e.type),
      ['response.created', 'response.in_progress', 'response.failed'],
    );

    const inc = await client.responses.create({ model: MODEL, input: 'Explain everything', metadata: { script: 'incomplete' } });
    assert.equal(inc.status, 'incomplete');
    assert.deepEqual(inc.incomplete_details, { reason: 'max_output_tokens' });
    assert.equal((inc.output[0] as OpenAI.Responses.ResponseOutputMessage).status, 'incomplete');
    const iEvents = await collect(await client.responses.create({ model: MODEL, input: 'Explain everything', metadata: { script: 'incomplete' }, stream: true }));
    assert.equal(iEvents[iEvents.length - 1]?.type, 'response.incomplete');

    const cut = await client.responses.create({ model: MODEL, input: 'Explain everything in detail please', max_output_tokens: 16 });
    assert.equal(cut.status, 'incomplete');
    assert.ok((cut.usage?.output_tokens ?? 99) <= 16);
  });

  test('input_items, delete, store: false', async () => {
    const r = await client.responses.create({
      model: MODEL,
      instructions: 'Be brief.',
      input: [
        { role: 'user', content: 'One' },
        { role: 'assistant', content: 'Two' },
        { role: 'user', content: 'Three?' },
      ],
    });
    assert.equal(r.instructions, 'Be brief.');
    const page = await client.responses.inputItems.list(r.id, { order: 'asc', limit: 2 });
    assert.equal(page.data.length, 2);
    assert.equal(page.has_more, true);
    const all: string[] = [];
    for await (const item of client.responses.inputItems.list(r.id, { order: 'asc', limit: 2 })) {
      assert.equal(item.type, 'message');
      assert.match(item.id, HEX_ID('msg_'));
      all.push(item.type === 'message' ? ((item.content[0] as { text: string }).text ?? '') : '');
    }
    assert.deepEqual(all, ['One', 'Two', 'Three?']);
    await client.responses.delete(r.id);
    await assert.rejects(client.responses.retrieve(r.id), (e: unknown) => e instanceof APIError && e.status === 404);
    const unstored = await client.responses.create({ model: MODEL, input: 'x', store: false });
    assert.equal((unstored as { store?: boolean }).store, false); // the API returns `store`; the SDK's Response type omits it
    await assert.rejects(client.responses.retrieve(unstored.id), (e: unknown) => e instanceof APIError && e.status === 404);
  });
});

describe('conversations', () => {
  let emu: Emulator;
  let client: OpenAI;
  before(async () => {
    emu = await startEmulator();
    client = new OpenAI({ apiKey: 'sk-test', baseURL: emu.baseURL, maxRetries: 0 });
  });
  after(() => emu.close());

  test('create, retrieve, update, items create/list (pagination)/retrieve/delete, delete', async () => {
    const conv = await client.conversations.create({ items: [{ type: 'message', role: 'user', content: 'Hello' }], metadata: { topic: 'demo' } });
    assert.match(conv.id, HEX_ID('conv_'));
    assert.deepEqual(keys(conv), ['created_at', 'id', 'metadata', 'object']);
    assert.equal(conv.object, 'conversation');
    assert.deepEqual(conv.metadata, { topic: 'demo' });
    assert.deepEqual(await client.conversations.retrieve(conv.id), conv);
    const updated = await client.conversations.update(conv.id, { metadata: { topic: 'changed' } });
    assert.deepEqual(updated.metadata, { topic: 'changed' });

    const added = await client.conversations.items.create(conv.id, {
      items: [
        { type: 'message', role: 'user', content: 'Two' },
        { type: 'message', role: 'assistant', content: 'Three' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Four' }] },
      ],
    });
    assert.deepEqual(keys(added), ['data', 'first_id', 'has_more', 'last_id', 'object']);
    assert.equal(added.data.length, 3);
    assert.equal(added.first_id, added.data[0]?.id);
    const texts: string[] = [];
    for await (const item of client.conversations.items.list(conv.id, { order: 'asc', limit: 2 })) {
      assert.equal(item.type, 'message');
      texts.push(item.type === 'message' ? ((item.content[0] as { text: string }).text ?? '') : '');
    }
    assert.deepEqual(texts, ['Hello', 'Two', 'Three', 'Four']);
    const desc = await client.conversations.items.list(conv.id, { limit: 3 });
    assert.equal(desc.data.length, 3);
    assert.equal(desc.has_more, true);
    assert.equal(desc.data[0]?.id, added.last_id, 'default order desc');
    const one = added.data[1] as OpenAI.Conversations.Message;
    assert.equal(one.role, 'assistant');
    assert.equal(one.content[0]?.type, 'output_text');
    assert.deepEqual(await client.conversations.items.retrieve(one.id, { conversation_id: conv.id }), one);
    const after = await client.conversations.items.delete(one.id, { conversation_id: conv.id });
    assert.equal(after.id, conv.id);
    await assert.rejects(client.conversations.items.retrieve(one.id, { conversation_id: conv.id }), (e: unknown) => e instanceof APIError && e.status === 404);
    const deleted = await client.conversations.delete(conv.id);
    assert.deepEqual(deleted, { id: conv.id, object: 'conversation.deleted', deleted: true });
    await assert.rejects(client.conversations.retrieve(conv.id), (e: unknown) => e instanceof APIError && e.status === 404);
  });

  test('responses with a conversation append their input and output items; function calls through it', async () => {
    const conv = await client.conversations.create({});
    const r1 = await client.responses.create({ model: MODEL, input: 'What is the capital of France?', conversation: conv.id });
    assert.deepEqual(r1.conversation, { id: conv.id });
    assert.deepEqual(
      keys(r1).filter((k) => k !== 'output_text'),
      [...SHAPES.response.keys, 'conversation'].sort(),
    );
    const r2 = await client.responses.create({ model: MODEL, input: 'What is the weather there?', conversation: { id: conv.id }, tools: [weatherTool] });
    const call = r2.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
    assert.equal(call.type, 'function_call');
    assert.ok((r2.usage?.input_tokens_details.cached_tokens ?? 0) > 0);
    const r3 = await client.responses.create({ model: MODEL, conversation: conv.id, tools: [weatherTool], input: [{ type: 'function_call_output', call_id: call.call_id, output: 'sunny' }] });
    assert.match(r3.output_text, /get_weather returned sunny/);
    const items: string[] = [];
    for await (const item of client.conversations.items.list(conv.id, { order: 'asc' })) items.push(item.type === 'message' ? `${item.type}:${item.role}` : item.type);
    assert.deepEqual(items, ['message:user', 'message:assistant', 'message:user', 'function_call', 'function_call_output', 'message:assistant']);
    await assert.rejects(
      client.responses.create({ model: MODEL, input: 'x', conversation: conv.id, previous_response_id: r1.id }),
      (e: unknown) => e instanceof APIError && e.status === 400 && /Mutually exclusive/.test(e.message),
    );
    await assert.rejects(client.responses.create({ model: MODEL, input: 'x', conversation: 'conv_missing1' }), (e: unknown) => e instanceof APIError && e.status === 404);
  });
});

describe('chat completions', () => {
  let emu: Emulator;
  let client: OpenAI;
  before(async () => {
    emu = await startEmulator();
    client = new OpenAI({ apiKey: 'sk-test', baseURL: emu.baseURL, maxRetries: 0 });
  });
  after(() => emu.close());

  const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
    { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } } },
  ];

  test('create: recorded keys (and the newer ones), n choices, usage details, tool calls, length cut', async () => {
    const c = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Which city is the largest?' }], n: 2 });
    for (const k of SHAPES.chat_completion.keys) assert.ok(k in c, k);
    assert.match(c.id, /^chatcmpl-[0-9A-Za-z]{29}$/);
    assert.equal(c.object, 'chat.completion');
    assert.equal(c.choices.length, 2);
    for (const ch of c.choices) {
      assert.deepEqual(keys(ch), SHAPES.chat_completion.choice);
      for (const k of SHAPES.chat_completion.message) assert.ok(k in ch.message, k);
      assert.equal(ch.finish_reason, 'stop');
    }
    assert.notEqual(c.choices[0]?.message.content, c.choices[1]?.message.content);
    for (const k of SHAPES.chat_completion.usage) assert.ok(c.usage && k in c.usage, k);
    assert.equal(c.usage?.total_tokens, (c.usage?.prompt_tokens ?? 0) + (c.usage?.completion_tokens ?? 0));
    assert.equal(c.usage?.prompt_tokens_details?.cached_tokens, 0);
    assert.equal(c.usage?.completion_tokens_details?.reasoning_tokens, 0);

    const reasoning = await client.chat.completions.create({ model: 'o4-mini', messages: [{ role: 'user', content: 'Which city is the largest?' }] });
    assert.ok((reasoning.usage?.completion_tokens_details?.reasoning_tokens ?? 0) > 0);

    const called = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools });
    const choice = called.choices[0];
    assert.equal(choice?.finish_reason, 'tool_calls');
    assert.equal(choice?.message.content, null);
    const tc = choice?.message.tool_calls?.[0];
    assert.ok(tc && tc.type === 'function');
    assert.match(tc.id, /^call_[0-9A-Za-z]{24}$/);
    assert.deepEqual(JSON.parse(tc.function.arguments), { location: 'Paris' });
    const none = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools, tool_choice: 'none' });
    assert.equal(none.choices[0]?.finish_reason, 'stop');
    const parallel = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Weather?' }], tools, metadata: { script: 'parallel_functions' }, store: true });
    assert.equal(parallel.choices[0]?.message.tool_calls?.length, 2);

    const cut = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Tell me a long story' }], max_completion_tokens: 5 });
    assert.equal(cut.choices[0]?.finish_reason, 'length');
    assert.equal(cut.usage?.completion_tokens, 5);
  });

  test('stream with include_usage: chunks, final usage chunk with empty choices, [DONE]', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hi' }], stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    const last = chunks[chunks.length - 1];
    assert.deepEqual(last?.choices, []);
    assert.ok(last?.usage && last.usage.total_tokens === last.usage.prompt_tokens + last.usage.completion_tokens);
    for (const c of chunks.slice(0, -1)) {
      assert.equal(c.object, 'chat.completion.chunk');
      assert.equal(c.usage, null);
      assert.equal(c.id, last?.id);
    }
    assert.equal(chunks[0]?.choices[0]?.delta.role, 'assistant');
    assert.equal(chunks[chunks.length - 2]?.choices[0]?.finish_reason, 'stop');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    const plain = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hi' }] });
    assert.equal(text, plain.choices[0]?.message.content);
    assert.ok((plain.usage?.prompt_tokens_details?.cached_tokens ?? -1) >= 0);
    const raw = await (
      await fetch(`${emu.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], stream: true }),
      })
    ).text();
    assert.match(raw, /^data: \{"id":"chatcmpl-/);
    assert.match(raw, /\n\ndata: \[DONE\]\n\n$/);
    assert.ok(!raw.includes('event:'));
    assert.ok(!raw.includes('"usage"'), 'no usage without include_usage');
  });

  test('parse (json_schema), stream() with tool calls, runTools round trip', async () => {
    const parsed = await client.chat.completions.parse({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Extract: Alice is 30.' }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'Person',
          strict: true,
          schema: { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name', 'age'], additionalProperties: false },
        },
      },
    });
    const person = parsed.choices[0]?.message.parsed as { name: string; age: number } | null;
    assert.ok(person && typeof person.name === 'string' && Number.isInteger(person.age));

    const stream = client.chat.completions.stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools, stream_options: { include_usage: true } });
    const argDeltas: string[] = [];
    stream.on('tool_calls.function.arguments.delta', (e) => argDeltas.push(e.arguments_delta));
    const final = await stream.finalChatCompletion();
    const call = final.choices[0]?.message.tool_calls?.[0];
    assert.ok(call?.type === 'function');
    assert.equal(argDeltas.join(''), call.function.arguments);
    assert.ok(final.usage && final.usage.total_tokens > 0);

    const before = emu.requests.length;
    const runner = client.chat.completions.runTools({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'The weather in a location',
            parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
            function: (args: { location: string }) => `rainy in ${args.location}`,
            parse: JSON.parse,
          },
        },
      ],
    });
    assert.match((await runner.finalContent()) ?? '', /get_weather returned rainy in Paris/);
    const calls = emu.requests.slice(before).filter((r) => r.path === '/v1/chat/completions');
    assert.equal(calls.length, 2);
    const second = calls[1]?.body as { messages: Array<{ role: string }> };
    assert.deepEqual(
      second.messages.map((m) => m.role),
      ['user', 'assistant', 'tool'],
    );
    const totals = await runner.totalUsage();
    assert.ok(totals.total_tokens > 0);
  });
});

describe('embeddings', () => {
  let emu: Emulator;
  let client: OpenAI;
  before(async () => {
    emu = await startEmulator();
    client = new OpenAI({ apiKey: 'sk-test', baseURL: emu.baseURL, maxRetries: 0 });
  });
  after(() => emu.close());

  test('base64 (the SDK default, decoded by it) and float agree; recorded keys; usage; dimensions; token input', async () => {
    const input = 'Tell me a joke about opentelemetry';
    const b = await client.embeddings.create({ model: 'text-embedding-ada-002', input });
    assert.equal((emu.requests[emu.requests.length - 1]?.body as { encoding_format: string }).encoding_format, 'base64');
    assert.deepEqual(keys(b), SHAPES.embeddings.keys);
    assert.deepEqual(keys(b.data[0] as object), SHAPES.embeddings.data);
    assert.deepEqual(keys(b.usage), SHAPES.embeddings.usage);
    assert.equal(b.data[0]?.embedding.length, SHAPES.embeddings.base64_float32_count);
    assert.deepEqual(b.usage, { prompt_tokens: 9, total_tokens: 9 });
    const raw = await (
      await fetch(`${emu.baseURL}/embeddings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'text-embedding-ada-002', input, encoding_format: 'base64' }),
      })
    ).json();
    assert.equal(Buffer.from(raw.data[0].embedding, 'base64').length, 1536 * 4);

    const f = await client.embeddings.create({ model: 'text-embedding-ada-002', input, encoding_format: 'float' });
    const fv = f.data[0]?.embedding ?? [];
    const bv = b.data[0]?.embedding ?? [];
    assert.equal(fv.length, 1536);
    fv.forEach((x, i) => assert.ok(Math.abs(x - (bv[i] as number)) < 1e-7));
    const norm = Math.sqrt(fv.reduce((s, x) => s + x * x, 0));
    assert.ok(Math.abs(norm - 1) < 1e-5);

    // Strings and token arrays mixed in one input: each element is taken on its own; the SDK's type has no mixed array.
    const mixed = ['one', 'two', [1, 2, 3]] as unknown as string[];
    const many = await client.embeddings.create({ model: 'text-embedding-3-small', input: mixed, dimensions: 256 });
    assert.deepEqual(
      many.data.map((d) => [d.index, d.embedding.length]),
      [
        [0, 256],
        [1, 256],
        [2, 256],
      ],
    );
    assert.equal(many.usage.prompt_tokens, 1 + 1 + 3);
    assert.notDeepEqual(many.data[0]?.embedding, many.data[1]?.embedding);
    const large = await client.embeddings.create({ model: 'text-embedding-3-large', input: 'x' });
    assert.equal(large.data[0]?.embedding.length, 3072);
    await assert.rejects(client.embeddings.create({ model: 'text-embedding-ada-002', input: 'x', dimensions: 8 }), (e: unknown) => e instanceof APIError && e.status === 400);
    await assert.rejects(client.embeddings.create({ model: 'text-embedding-3-small', input: [] }), (e: unknown) => e instanceof APIError && e.status === 400);
  });
});

describe('faults on the new routes', () => {
  let emu: Emulator;
  let client: OpenAI;
  before(async () => {
    emu = await startEmulator();
    client = new OpenAI({ apiKey: 'sk-test', baseURL: emu.baseURL, maxRetries: 0 });
  });
  after(() => emu.close());
  const lastFault = () => emu.requests[emu.requests.length - 1]?.fault;

  type Call = (fault: string) => Promise<unknown>;
  const jsonRoutes: Array<[string, Call]> = [
    ['POST /responses', (f) => client.responses.create({ model: MODEL, input: 'x' }, withFault(f))],
    ['GET /responses/{id}', async (f) => client.responses.retrieve((await client.responses.create({ model: MODEL, input: 'x' })).id, {}, withFault(f))],
    ['GET /responses/{id}/input_items', async (f) => client.responses.inputItems.list((await client.responses.create({ model: MODEL, input: 'x' })).id, {}, withFault(f))],
    ['POST /conversations', (f) => client.conversations.create({}, withFault(f))],
    ['GET /conversations/{id}/items', async (f) => client.conversations.items.list((await client.conversations.create({})).id, {}, withFault(f))],
    ['POST /chat/completions', (f) => client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, withFault(f))],
    ['POST /embeddings', (f) => client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }, withFault(f))],
  ];

  for (const [name, call] of jsonRoutes) {
    test(`${name}: status, reset-before-headers, malformed-json`, async () => {
      await assert.rejects(call('status:500'), (e: unknown) => e instanceof APIError && e.status === 500);
      assert.equal(lastFault(), 'status:500');
      await assert.rejects(call('status:429'), (e: unknown) => e instanceof APIError && e.status === 429);
      await assert.rejects(call('reset-before-headers'), (e: unknown) => e instanceof APIConnectionError);
      assert.equal(lastFault(), 'reset-before-headers');
      await assert.rejects(call('malformed-json'));
      assert.equal(lastFault(), 'malformed-json');
    });
  }

  type StreamCall = (fault: string) => Promise<{ count: number; error: unknown }>;
  const drain = async (iterable: AsyncIterable<unknown>): Promise<{ count: number; error: unknown }> => {
    let count = 0;
    try {
      for await (const _ of iterable) count++;
    } catch (error) {
      return { count, error };
    }
    return { count, error: null };
  };
  const streamRoutes: Array<[string, StreamCall]> = [
    ['POST /responses stream', async (f) => drain(await client.responses.create({ model: MODEL, input: 'Tell me a story', stream: true }, withFault(f)))],
    [
      'GET /responses/{id}?stream=true',
      async (f) => {
        const r = await client.responses.create({ model: MODEL, input: 'Tell me a story', background: true });
        return drain(await client.responses.retrieve(r.id, { stream: true }, withFault(f)));
      },
    ],
    ['POST /chat/completions stream', async (f) => drain(await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Tell me a story' }], stream: true }, withFault(f)))],
  ];

  for (const [name, call] of streamRoutes) {
    test(`${name}: cut-after, truncate, error-event, malformed-json`, async () => {
      const cut = await call('cut-after:3');
      assert.equal(cut.count, 3);
      assert.ok(cut.error, 'a cut connection is an error');
      assert.equal(lastFault(), 'cut-after:3');
      const truncated = await call('truncate:4');
      assert.deepEqual(truncated, { count: 4, error: null });
      assert.equal(lastFault(), 'truncate:4');
      const errored = await call('error-event:2');
      assert.equal(errored.count, 2);
      assert.ok(errored.error instanceof APIError, `APIError, got ${String(errored.error)}`);
      assert.match((errored.error as APIError).message, /The server had an error/);
      assert.equal(lastFault(), 'error-event:2');
      const malformed = await call('malformed-json:2');
      assert.equal(malformed.count, 2);
      assert.ok(malformed.error instanceof SyntaxError);
      const clean = await call('none');
      assert.equal(clean.error, null);
      assert.ok(clean.count > 5);
    });
  }

  test('the error event of a Responses stream: SDK-declared fields and the nested error', async () => {
    const raw = await (
      await fetch(`${emu.baseURL}/responses`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-emulator-fault': 'error-event:2' },
        body: JSON.stringify({ model: MODEL, input: 'x', stream: true }),
      })
    ).text();
    const block = raw.split('\n\n').find((b) => b.startsWith('event: error'));
    assert.ok(block);
    const data = JSON.parse(block.split('\ndata: ')[1] as string);
    assert.deepEqual(keys(data), ['code', 'error', 'message', 'param', 'sequence_number', 'type']);
    assert.equal(data.sequence_number, 2);
  });
});

// ---------------------------------------------------------------------------------------------------
// Every SDK major (test/matrix/openai4…7), the paths each has: responses plain and streamed, chat with
// include_usage and runTools (beta.chat in v4), embeddings with the SDK's base64 default decoded,
// conversations (v5.16+).

const MATRIX = path.join(__dirname, '../matrix');
const MAJORS = [4, 5, 6, 7].filter((n) => existsSync(path.join(MATRIX, `openai${n}/node_modules/openai/package.json`)));

describe('every openai major', () => {
  let emu: Emulator;
  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.close());

  for (const major of MAJORS) {
    test(`openai ${major}`, async () => {
      const req = createRequire(path.join(MATRIX, `openai${major}/package.json`));
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const mod = req('openai') as any;
      const SDK = mod.default ?? mod.OpenAI ?? mod;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const c: any = new SDK({ apiKey: 'k', baseURL: emu.baseURL, maxRetries: 0 });
      const version = (JSON.parse(readFileSync(path.join(MATRIX, `openai${major}/node_modules/openai/package.json`), 'utf8')) as { version: string }).version;
      assert.equal(Number(version.split('.')[0]), major);

      const r = await c.responses.create({ model: MODEL, input: 'What is 2+2?' });
      assert.equal(r.status, 'completed');
      assert.match(r.output_text, /2\+2/);
      const events: string[] = [];
      for await (const e of await c.responses.create({ model: MODEL, input: 'Hi', stream: true })) events.push(e.type);
      assert.equal(events[0], 'response.created');
      assert.equal(events[events.length - 1], 'response.completed');
      const fin = await c.responses.stream({ model: MODEL, input: 'weather in Lyon?', tools: [weatherTool] }).finalResponse();
      assert.equal(fin.output[0].type, 'function_call');
      const follow = await c.responses.create({ model: MODEL, previous_response_id: fin.id, input: [{ type: 'function_call_output', call_id: fin.output[0].call_id, output: 'warm' }] });
      assert.match(follow.output_text, /returned warm/);

      let usage = null;
      let text = '';
      for await (const ch of await c.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } })) {
        text += ch.choices[0]?.delta?.content ?? '';
        if (ch.usage) usage = ch.usage;
      }
      assert.ok(text.length > 0 && usage);
      const completions = major === 4 ? c.beta.chat.completions : c.chat.completions;
      const runner = completions.runTools({
        model: 'm',
        messages: [{ role: 'user', content: 'weather in Nice?' }],
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } } }, function: () => 'mild', parse: JSON.parse } }],
      });
      assert.match(await runner.finalContent(), /returned mild/);

      const e = await c.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
      assert.equal(e.data.length, 2);
      assert.equal(e.data[0].embedding.length, 1536);
      assert.equal(typeof e.data[0].embedding[0], 'number');

      if (c.conversations) {
        const conv = await c.conversations.create({ items: [{ type: 'message', role: 'user', content: 'Hello' }] });
        await c.responses.create({ model: MODEL, input: 'And then?', conversation: conv.id });
        const items = [];
        for await (const it of c.conversations.items.list(conv.id, { limit: 1 })) items.push(it);
        assert.equal(items.length, 3);
      }
    });
  }
});
