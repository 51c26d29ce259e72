// The emulator's SSE streaming and fault knobs, through the real `openai` SDK (v6 signatures), compared
// with the recorded real streams in test/fixtures/recordings.
// Run: node --import tsx --test test/emulator*.test.ts
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI, { APIConnectionError, APIError, InternalServerError, OpenAIError, RateLimitError } from 'openai';
import { cutOffsets, encodeEvent, seededRandom } from '../src/testing/emulator/http/sse';
import { SseWriter } from '../src/testing/emulator/http/sse-writer';
import { startEmulator, type Emulator, type EmulatorOptions, type EmulatorScript } from '../src/testing/index';
import { listCassettes, loadCassette } from './replay/cassette';
import { duringNextFlush } from './support/flush-hook';

type StreamEvent = OpenAI.Beta.AssistantStreamEvent;
type Run = OpenAI.Beta.Threads.Run;
type Message = OpenAI.Beta.Threads.Message;

const FS_CONTENT = 'step_details.tool_calls[*].file_search.results[*].content' as const;
// Multi-byte characters (2, 3 and 4 bytes in UTF-8) end up in the answers, which quote the question.
const QUESTION = 'Wie warm ist es in Zürich? ☕ 🌤';

const weatherTool: OpenAI.Beta.FunctionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    parameters: { type: 'object', properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['location'] },
  },
};
const timeTool: OpenAI.Beta.FunctionTool = {
  type: 'function',
  function: { name: 'get_time', parameters: { type: 'object', properties: { timezone: { type: 'string' } }, required: ['timezone'] } },
};

function toolsFor(script: EmulatorScript): OpenAI.Beta.AssistantTool[] {
  if (script === 'function' || script === 'expired') return [weatherTool];
  if (script === 'parallel_functions') return [weatherTool, timeTool];
  if (script === 'code') return [{ type: 'code_interpreter' }];
  if (script === 'file_search') return [{ type: 'file_search' }];
  return [];
}

/** Event names with runs of identical delta events compressed to one (as SOURCES.md writes `×N`). */
function compress(names: readonly string[]): string[] {
  return names.filter((e, i, all) => !(e.endsWith('.delta') && all[i - 1] === e));
}

async function collect(stream: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const event of stream) out.push(event);
  return out;
}

/** Timestamps (every `*_at`) removed, for comparing objects made at different moments. */
function untimed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(untimed);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !k.endsWith('_at'))
        .map(([k, v]) => [k, untimed(v)]),
    );
  }
  return value;
}

/** The structure of a value: keys (sorted) and primitive types, arrays by their first element. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length > 0 ? [shape(value[0])] : [];
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, shape((value as Record<string, unknown>)[k])]),
    );
  }
  return value === null ? 'null' : typeof value;
}

interface RawEvent {
  event: string;
  data: string;
}

/** A complete SSE body split into events (the emulator's and the recordings' use `\n` line ends). */
function parseSSE(body: string): RawEvent[] {
  return body
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? '';
      const data = lines
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      return { event, data };
    });
}

/** The stream exactly as sent (fetch, no SDK): status, headers, body text. */
async function rawStream(emu: Emulator, pathName: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${emu.baseURL}${pathName}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'openai-beta': 'assistants=v2', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

function textOf(m: Message): string {
  return m.content.map((c) => (c.type === 'text' ? c.text.value : '')).join('');
}

async function setup(client: OpenAI, script: EmulatorScript, extra: Partial<OpenAI.Beta.AssistantCreateParams> = {}) {
  const asst = await client.beta.assistants.create({ model: 'gpt-4o', tools: toolsFor(script), metadata: { script }, ...extra });
  const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: QUESTION }] });
  return { asst, thread };
}

/** The SSE interactions of the streaming recordings, as parsed events. */
function recordedStreams(): Array<{ name: string; events: RawEvent[] }> {
  const files = listCassettes().filter((f) => /test_streaming|runs_streamed_create/.test(path.basename(f)));
  return files.flatMap((file) => {
    const cassette = loadCassette(file);
    return cassette.interactions.filter((i) => i.response.isSSE).map((i) => ({ name: `${cassette.shortName}#${i.index}`, events: parseSSE(i.response.body.toString('utf8')) }));
  });
}

describe('emulator streaming', () => {
  let emu: Emulator;
  let client: OpenAI;

  before(async () => {
    emu = await startEmulator();
    client = new OpenAI({ apiKey: 'sk-test', baseURL: emu.baseURL, maxRetries: 0 });
  });
  after(async () => {
    await emu.close();
  });

  test('every script streams to its terminal event in the recorded order', async () => {
    const RUN = ['thread.run.created', 'thread.run.queued', 'thread.run.in_progress'];
    const MESSAGE_STEP = ['thread.run.step.created', 'thread.run.step.in_progress', 'thread.message.created', 'thread.message.in_progress'];
    const TOOL_STEP = ['thread.run.step.created', 'thread.run.step.in_progress', 'thread.run.step.delta'];
    const answered = [...MESSAGE_STEP, 'thread.message.delta', 'thread.message.completed', 'thread.run.step.completed', 'thread.run.completed'];
    const expected: Record<EmulatorScript, string[]> = {
      answer: [...RUN, ...answered],
      long_answer: [...RUN, ...answered], // ~400 deltas, compressed to one
      code: [...RUN, ...TOOL_STEP, 'thread.run.step.completed', ...answered],
      file_search: [...RUN, ...TOOL_STEP, 'thread.run.step.completed', ...answered],
      function: [...RUN, ...TOOL_STEP, 'thread.run.requires_action'],
      parallel_functions: [...RUN, ...TOOL_STEP, 'thread.run.requires_action'],
      expired: [...RUN, ...TOOL_STEP, 'thread.run.requires_action'],
      failed: [...RUN, ...MESSAGE_STEP, 'thread.message.incomplete', 'thread.run.step.failed', 'thread.run.failed'],
      // Recorded quirk: the incomplete run's last event is *named* thread.run.completed.
      incomplete: [...RUN, ...MESSAGE_STEP, 'thread.message.delta', 'thread.message.incomplete', 'thread.run.step.completed', 'thread.run.completed'],
      cancel: [], // its own test below
    };
    const finalStatus: Partial<Record<EmulatorScript, string>> = {
      failed: 'failed',
      incomplete: 'incomplete',
      function: 'requires_action',
      parallel_functions: 'requires_action',
      expired: 'requires_action',
    };
    for (const script of Object.keys(expected) as EmulatorScript[]) {
      if (script === 'cancel') continue;
      const { asst, thread } = await setup(client, script);
      const events = await collect(await client.beta.threads.runs.create(thread.id, { assistant_id: asst.id, stream: true }));
      assert.deepEqual(compress(events.map((e) => e.event)), expected[script], script);
      const last = events.at(-1) as StreamEvent;
      const run = last.data as Run;
      assert.equal(run.status, finalStatus[script] ?? 'completed', script);
      // Usage only once the run has ended, as when polling.
      for (const e of events) {
        if ((e.data as { object?: string }).object === 'thread.run') assert.equal((e.data as Run).usage === null, e !== last || run.status === 'requires_action', `${script} ${e.event}`);
      }
      // (The expired script's next poll expires the run, as after a polled requires_action.)
      const retrieved = await client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id });
      if (script === 'expired') assert.equal(retrieved.status, 'expired');
      else assert.deepEqual(retrieved, run, `${script}: retrieve = last event`);
    }
  });

  test('SSE framing and headers: event/data lines, compact JSON, done sentinel', async () => {
    const { asst, thread } = await setup(client, 'answer');
    const { status, headers, text } = await rawStream(emu, `/threads/${thread.id}/runs`, { assistant_id: asst.id, stream: true });
    assert.equal(status, 200);
    assert.equal(headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(headers.get('transfer-encoding'), 'chunked');
    assert.equal(headers.get('openai-version'), '2020-10-01');
    assert.match(headers.get('x-request-id') ?? '', /^req_[0-9a-f]{32}$/);
    assert.equal(headers.get('openai-poll-after-ms'), null);
    assert.ok(text.startsWith('event: thread.run.created\ndata: {"id":"run_'));
    assert.ok(text.endsWith('\n\nevent: done\ndata: [DONE]\n\n'));
    for (const e of parseSSE(text).slice(0, -1)) assert.equal(JSON.stringify(JSON.parse(e.data)), e.data, 'compact JSON on one data line');
  });

  test('event sequences and delta shapes match the real recordings', async () => {
    const recorded = recordedStreams();
    const openllmetry = recorded.filter((r) => r.name.includes('test_streaming'));
    const ruby = recorded.filter((r) => r.name.includes('runs_streamed_create'));
    assert.equal(openllmetry.length, 6);
    assert.equal(ruby.length, 2);

    const emulated = async (script: EmulatorScript, body: Record<string, unknown> = {}) => {
      const { asst, thread } = await setup(client, script);
      return parseSSE((await rawStream(emu, `/threads/${thread.id}/runs`, { assistant_id: asst.id, stream: true, ...body })).text);
    };
    const names = (events: RawEvent[]) => compress(events.map((e) => e.event));
    const data = (events: RawEvent[], name: string, nth = 0) => JSON.parse(events.filter((e) => e.event === name)[nth]?.data ?? 'null');
    const keys = (x: unknown) => Object.keys(x as object).sort();
    const assertSubset = (small: string[], big: string[], what: string) =>
      assert.deepEqual(
        small.filter((k) => !big.includes(k)),
        [],
        `${what}: recorded keys missing from the emulator's`,
      );

    // code_interpreter + message (openllmetry, 2026): the same sequence, delta for delta in shape.
    const code = await emulated('code');
    for (const rec of openllmetry) {
      assert.deepEqual(names(code), names(rec.events), rec.name);
      for (const [name, nth] of [
        ['thread.run.step.delta', 0],
        ['thread.run.step.delta', 1],
        ['thread.message.delta', 0],
        ['thread.message.delta', 1],
      ] as const) {
        assert.deepEqual(shape(data(code, name, nth)), shape(data(rec.events, name, nth)), `${rec.name} ${name}[${nth}]`);
      }
      assertSubset(keys(data(rec.events, 'thread.run.created')), keys(data(code, 'thread.run.created')), 'run');
      assertSubset(keys(data(rec.events, 'thread.run.step.created')), keys(data(code, 'thread.run.step.created')), 'step');
      assert.deepEqual(keys(data(code, 'thread.message.completed')), keys(data(rec.events, 'thread.message.completed')), 'message');
      assert.equal(code.at(-1)?.data, '[DONE]');
    }

    // max_completion_tokens → incomplete (ruby-openai, assistants=v2 interaction).
    const incomplete = await emulated('incomplete', { max_completion_tokens: 16 });
    for (const rec of ruby) assert.deepEqual(names(incomplete), names(rec.events), rec.name);
    const v2 = ruby[1]!.events;
    assert.equal(data(v2, 'thread.run.completed').status, 'incomplete');
    assert.equal(data(incomplete, 'thread.run.completed').status, 'incomplete');
    assert.deepEqual(data(incomplete, 'thread.message.incomplete').incomplete_details, data(v2, 'thread.message.incomplete').incomplete_details);
    assert.deepEqual(shape(data(incomplete, 'thread.message.delta', 1)), shape(data(v2, 'thread.message.delta', 1)));
  });

  test('function calls stream as argument deltas; the submit stream starts with the tool step completing', async () => {
    const { asst, thread } = await setup(client, 'parallel_functions');
    const first = await collect(await client.beta.threads.runs.create(thread.id, { assistant_id: asst.id, stream: true }));
    const deltas = first.filter((e) => e.event === 'thread.run.step.delta').map((e) => (e.data as OpenAI.Beta.Threads.Runs.RunStepDeltaEvent).delta);
    const calls = deltas.map((d) => (d.step_details as OpenAI.Beta.Threads.Runs.ToolCallDeltaObject).tool_calls?.[0] as OpenAI.Beta.Threads.Runs.FunctionToolCallDelta);
    assert.deepEqual(Object.keys(calls[0]!).sort(), ['function', 'id', 'index', 'type']);
    assert.deepEqual(calls[0]!.function, { name: 'get_weather', arguments: '', output: null });
    assert.deepEqual(Object.keys(calls[1]!).sort(), ['function', 'index', 'type'], 'later deltas: no id');
    assert.deepEqual(Object.keys(calls[1]!.function!), ['arguments']);
    const run = first.at(-1)!.data as Run;
    const required = run.required_action!.submit_tool_outputs.tool_calls;
    for (const [index, call] of required.entries()) {
      const args = calls
        .filter((c) => c.index === index)
        .map((c) => c.function?.arguments ?? '')
        .join('');
      assert.equal(args, call.function.arguments, 'argument deltas add up to the required call');
      assert.ok(calls.filter((c) => c.index === index).length > 3, 'arguments come in pieces');
    }

    const submit = client.beta.threads.runs.submitToolOutputsStream(run.id, {
      thread_id: thread.id,
      tool_outputs: required.map((c, i) => ({ tool_call_id: c.id, output: `output ${i}` })),
    });
    const second = await collect(submit);
    assert.deepEqual(compress(second.map((e) => e.event)), [
      'thread.run.step.completed',
      'thread.run.queued',
      'thread.run.in_progress',
      'thread.run.step.created',
      'thread.run.step.in_progress',
      'thread.message.created',
      'thread.message.in_progress',
      'thread.message.delta',
      'thread.message.completed',
      'thread.run.step.completed',
      'thread.run.completed',
    ]);
    const toolStep = second[0]!.data as OpenAI.Beta.Threads.Runs.RunStep;
    const details = toolStep.step_details as OpenAI.Beta.Threads.Runs.ToolCallsStepDetails;
    assert.deepEqual(
      details.tool_calls.map((c) => c.type === 'function' && c.function.output),
      ['output 0', 'output 1'],
    );
    const final = await submit.finalRun();
    assert.equal(final.status, 'completed');
    const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id, order: 'asc' });
    assert.deepEqual(await submit.finalRunSteps(), steps.data, 'the stream saw the steps the API lists');
  });

  test('SDK helpers: textDelta adds up to the message the API returns; finalRun/finalMessages/finalRunSteps = retrieve/list', async () => {
    for (const script of ['answer', 'code', 'file_search', 'incomplete'] as const) {
      const { asst, thread } = await setup(client, script);
      const stream = client.beta.threads.runs.stream(thread.id, { assistant_id: asst.id, include: [FS_CONTENT] });
      let text = '';
      stream.on('textDelta', (delta) => (text += delta.value ?? ''));
      const done: Message[] = [];
      stream.on('messageDone', (m) => done.push(m));
      const run = await stream.finalRun();
      // finalMessages() are the SDK's accumulations (status still in_progress, content parts keep their
      // delta `index`); messageDone hands over the server's final snapshot.
      const [accumulated] = await stream.finalMessages();
      const [message] = done;
      assert.ok(message && accumulated);
      assert.equal(text, textOf(message), script);
      assert.equal(textOf(accumulated), textOf(message), script);
      assert.deepEqual(await client.beta.threads.messages.retrieve(message.id, { thread_id: thread.id }), message, script);
      assert.deepEqual(await client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id }), run, script);
      const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id, order: 'asc', include: [FS_CONTENT] });
      assert.deepEqual(await stream.finalRunSteps(), steps.data, script);
      if (script === 'file_search') {
        const annotations = message.content[0]?.type === 'text' ? message.content[0].text.annotations : [];
        assert.ok(annotations.length > 0);
        for (const a of annotations) assert.equal(textOf(message).slice(a.start_index, a.end_index), a.text);
      }
      if (script === 'code')
        assert.deepEqual(
          message.content.map((c) => c.type),
          ['text', 'image_file'],
        );
    }

    // createAndRunStream / threads.createAndRun({ stream: true }) begin with thread.created.
    const asst = await client.beta.assistants.create({ model: 'gpt-4o' });
    const created = client.beta.threads.createAndRunStream({ assistant_id: asst.id, thread: { messages: [{ role: 'user', content: QUESTION }] } });
    const run = await created.finalRun();
    assert.equal(run.status, 'completed');
    const events = await collect(await client.beta.threads.createAndRun({ assistant_id: asst.id, thread: { messages: [{ role: 'user', content: 'hi' }] }, stream: true }));
    assert.deepEqual(
      events.slice(0, 3).map((e) => e.event),
      ['thread.created', 'thread.run.created', 'thread.run.queued'],
    );
    assert.equal((events[0]!.data as OpenAI.Beta.Thread).id, (events[1]!.data as Run).thread_id);
  });

  test('file_search content is in streamed step snapshots only with include[]', async () => {
    const { asst, thread } = await setup(client, 'file_search');
    const without = await collect(await client.beta.threads.runs.create(thread.id, { assistant_id: asst.id, stream: true }));
    const withContent = await collect(await client.beta.threads.runs.create(thread.id, { assistant_id: asst.id, stream: true, include: [FS_CONTENT] }));
    const results = (events: StreamEvent[]) => {
      const step = events.find((e) => e.event === 'thread.run.step.completed')!.data as OpenAI.Beta.Threads.Runs.RunStep;
      const call = (step.step_details as OpenAI.Beta.Threads.Runs.ToolCallsStepDetails).tool_calls[0];
      return call?.type === 'file_search' ? (call.file_search.results ?? []) : [];
    };
    assert.ok(results(without).length > 0 && results(without).every((r) => r.content === undefined));
    assert.ok(results(withContent).every((r) => r.content?.[0]?.type === 'text'));
    const delta = withContent.find((e) => e.event === 'thread.run.step.delta')!.data as OpenAI.Beta.Threads.Runs.RunStepDeltaEvent;
    assert.deepEqual((delta.delta.step_details as OpenAI.Beta.Threads.Runs.ToolCallDeltaObject).tool_calls?.[0], {
      index: 0,
      id: (withContent.find((e) => e.event === 'thread.run.step.completed')!.data as { step_details: { tool_calls: Array<{ id: string }> } }).step_details.tool_calls[0]!.id,
      type: 'file_search',
      file_search: {},
    });
    // The steps list filters by run (the path) and adds content only with include[].
    const runs = (await client.beta.threads.runs.list(thread.id, { order: 'asc' })).data;
    assert.equal(runs.length, 2);
    for (const run of runs) {
      const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id });
      assert.ok(steps.data.length === 2 && steps.data.every((s) => s.run_id === run.id));
    }
  });

  test('cancel: the stream stays in progress until a cancel request, then cancelling … cancelled', async () => {
    const { asst, thread } = await setup(client, 'cancel');
    const stream = client.beta.threads.runs.stream(thread.id, { assistant_id: asst.id });
    const names: string[] = [];
    let cancelled: Run | undefined;
    stream.on('event', (e) => {
      names.push(e.event);
      // The last event before the run waits; meanwhile a poll shows it in progress and does not move it.
      if (e.event === 'thread.message.in_progress') {
        const run = e.data as unknown as { run_id: string };
        void (async () => {
          const seen = await client.beta.threads.runs.retrieve(run.run_id, { thread_id: thread.id });
          assert.equal(seen.status, 'in_progress');
          cancelled = await client.beta.threads.runs.cancel(run.run_id, { thread_id: thread.id });
        })();
      }
    });
    const run = await stream.finalRun();
    assert.equal(cancelled?.status, 'cancelling');
    assert.equal(run.status, 'cancelled');
    assert.deepEqual(compress(names), [
      'thread.run.created',
      'thread.run.queued',
      'thread.run.in_progress',
      'thread.run.step.created',
      'thread.run.step.in_progress',
      'thread.message.created',
      'thread.message.in_progress',
      'thread.run.cancelling',
      'thread.message.incomplete',
      'thread.run.step.cancelled',
      'thread.run.cancelled',
    ]);
    const [message] = (await client.beta.threads.messages.list(thread.id, { run_id: run.id })).data;
    assert.deepEqual(message?.incomplete_details, { reason: 'run_cancelled' });
    assert.deepEqual(await client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id }), run);
  });

  test('cancel: a cancel that lands while the stream writes its last bytes before waiting is not lost', { timeout: 20_000 }, async () => {
    // The app cancels on the event those bytes complete, so its request can be handled right then; the
    // stream must see it instead of waiting for a change that already happened.
    const { asst, thread } = await setup(client, 'cancel');
    const hook = duringNextFlush(async () => {
      const [run] = (await client.beta.threads.runs.list(thread.id)).data;
      return client.beta.threads.runs.cancel(run!.id, { thread_id: thread.id });
    });
    try {
      const stream = await client.beta.threads.runs.create(thread.id, { assistant_id: asst.id, stream: true });
      const names: string[] = [];
      for await (const e of stream) names.push(e.event);
      assert.ok(hook.ran(), 'the cancel was made while the stream flushed');
      assert.deepEqual(names.slice(-4), ['thread.run.cancelling', 'thread.message.incomplete', 'thread.run.step.cancelled', 'thread.run.cancelled']);
    } finally {
      hook.restore();
    }
  });
});

describe('streamed and polled runs leave the same state', () => {
  async function scenario(script: EmulatorScript, mode: 'poll' | 'stream'): Promise<unknown> {
    const emu = await startEmulator({ seed: 11 });
    try {
      const client = new OpenAI({ apiKey: 'k', baseURL: emu.baseURL, maxRetries: 0 });
      const { asst, thread } = await setup(client, script);
      const body = { assistant_id: asst.id, include: [FS_CONTENT] };
      let run = mode === 'poll' ? await client.beta.threads.runs.createAndPoll(thread.id, body) : await client.beta.threads.runs.stream(thread.id, body).finalRun();
      if (run.status === 'requires_action' && script !== 'expired') {
        const params = {
          thread_id: thread.id,
          tool_outputs: run.required_action!.submit_tool_outputs.tool_calls.map((c) => ({ tool_call_id: c.id, output: `{"for":"${c.function.name}"}` })),
        };
        run = mode === 'poll' ? await client.beta.threads.runs.submitToolOutputsAndPoll(run.id, params) : await client.beta.threads.runs.submitToolOutputsStream(run.id, params).finalRun();
      }
      const retrieved = await client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id });
      const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id, order: 'asc', include: [FS_CONTENT] });
      const messages = await client.beta.threads.messages.list(thread.id, { order: 'asc' });
      return untimed({ run: retrieved, steps: steps.data, messages: messages.data });
    } finally {
      await emu.close();
    }
  }

  for (const script of ['answer', 'code', 'file_search', 'function', 'parallel_functions', 'failed', 'incomplete', 'expired'] as const) {
    test(script, async () => {
      const [polled, streamed] = await Promise.all([scenario(script, 'poll'), scenario(script, 'stream')]);
      assert.deepEqual(streamed, polled);
    });
  }
});

describe('network realism', () => {
  test('split chunking: the SDK yields the same events as with one write per event', async () => {
    async function events(options: EmulatorOptions, header?: string) {
      const emu = await startEmulator({ seed: 5, ...options });
      try {
        const client = new OpenAI({ apiKey: 'k', baseURL: emu.baseURL, maxRetries: 0 });
        const out: unknown[] = [];
        for (const script of ['file_search', 'code', 'function'] as const) {
          const { asst, thread } = await setup(client, script);
          const headers = header ? { 'x-emulator-chunking': header } : undefined;
          const stream = await client.beta.threads.runs.create(thread.id, { assistant_id: asst.id, stream: true }, { headers });
          out.push(...(await collect(stream)).map((e) => untimed(e)));
        }
        return out;
      } finally {
        await emu.close();
      }
    }
    const [byEvent, split, splitByHeader] = await Promise.all([events({}), events({ chunking: 'split' }), events({}, 'split')]);
    assert.ok(byEvent.length > 100);
    assert.deepEqual(split, byEvent);
    assert.deepEqual(splitByHeader, byEvent);
    assert.ok(JSON.stringify(byEvent).includes('【'), 'multi-byte characters were streamed');
  });

  test('split writes: pieces cut inside lines, inside UTF-8 characters, between \\n and \\n, across events', async () => {
    const writes: Buffer[] = [];
    const fake = {
      destroyed: false,
      once: () => fake,
      write: (chunk: Buffer, cb: () => void) => {
        writes.push(Buffer.from(chunk));
        setImmediate(cb);
        return true;
      },
      end: () => undefined,
    };
    const writer = new SseWriter(fake as never, { chunking: 'split', eventDelayMs: 0, seed: [1, 'test'] });
    const events = Array.from({ length: 40 }, (_, i) => encodeEvent('thread.message.delta', { value: `Zürich ☕ 🌤 piece ${i}` }));
    for (const e of events) await writer.send(e);
    await writer.flush();
    assert.deepEqual(Buffer.concat(writes), Buffer.concat(events), 'nothing lost or reordered');
    assert.ok(writes.length > events.length * 1.5);
    const isContinuation = (b: number | undefined) => b !== undefined && (b & 0xc0) === 0x80;
    assert.ok(
      writes.some((_, i) => isContinuation(writes[i + 1]?.[0])),
      'a cut inside a multi-byte character',
    );
    assert.ok(
      writes.some((w, i) => w.at(-1) === 0x0a && writes[i + 1]?.[0] === 0x0a),
      'a cut between \\n and \\n',
    );
    assert.ok(
      writes.some((w) => w.includes('\n\nevent: ')),
      'a write holding the end of one event and the start of the next',
    );
    // Deterministic: the same seed cuts the same places.
    const r1 = seededRandom(3, 'x');
    const r2 = seededRandom(3, 'x');
    assert.deepEqual(cutOffsets(events[0]!, r1), cutOffsets(events[0]!, r2));
  });

  test('eventDelayMs spaces the events; a poll mid-stream sees the run in progress and does not move it', async () => {
    const emu = await startEmulator({ eventDelayMs: 25 });
    try {
      const client = new OpenAI({ apiKey: 'k', baseURL: emu.baseURL, maxRetries: 0 });
      const { asst, thread } = await setup(client, 'answer');
      const started = Date.now();
      const statuses: string[] = [];
      let count = 0;
      for await (const e of await client.beta.threads.runs.create(thread.id, { assistant_id: asst.id, stream: true })) {
        count++;
        if (e.event === 'thread.message.in_progress') statuses.push((await client.beta.threads.runs.retrieve(e.data.run_id!, { thread_id: thread.id })).status);
      }
      assert.ok(Date.now() - started >= (count - 1) * 25 - 5, `${count} events in ${Date.now() - started} ms`);
      assert.deepEqual(statuses, ['in_progress']);
    } finally {
      await emu.close();
    }
  });

  test('close() with streams open leaves no socket or timer behind', async () => {
    const kinds = () => process.getActiveResourcesInfo().filter((k) => k === 'Timeout' || k === 'Immediate' || k.startsWith('TCP'));
    const baseline = kinds().length;
    const emu = await startEmulator({ eventDelayMs: 5_000 });
    const client = new OpenAI({ apiKey: 'k', baseURL: emu.baseURL, maxRetries: 0 });
    const a = await setup(client, 'answer');
    const c = await setup(client, 'cancel');
    const waiting = client.beta.threads.runs.stream(c.thread.id, { assistant_id: c.asst.id });
    const delayed = await client.beta.threads.runs.create(a.thread.id, { assistant_id: a.asst.id, stream: true });
    const it = delayed[Symbol.asyncIterator]();
    assert.equal((await it.next()).value?.event, 'thread.run.created'); // the next one is 5 s away
    const waitingDone = waiting.finalRun().then(
      () => 'ended',
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    );
    const t0 = Date.now();
    await emu.close();
    assert.ok(Date.now() - t0 < 1_000, 'close does not wait for the pending event delay');
    await assert.rejects(it.next(), /terminated/);
    assert.match(await waitingDone, /terminated|Connection error/);
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(kinds().length <= baseline, `left behind: ${kinds().join(', ')}`);
  });
});

describe('fault knobs', () => {
  let emu: Emulator;
  let client: OpenAI;
  let asst: OpenAI.Beta.Assistant;

  before(async () => {
    emu = await startEmulator();
    client = new OpenAI({ apiKey: 'k', baseURL: emu.baseURL, maxRetries: 0 });
    asst = await client.beta.assistants.create({ model: 'gpt-4o' });
  });
  after(async () => {
    await emu.close();
  });

  const thread = () => client.beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
  const withFault = (fault: string) => ({ headers: { 'x-emulator-fault': fault } });

  /** Iterates a raw stream; returns the events seen and what ended the iteration. */
  async function iterate(fault: string): Promise<{ events: StreamEvent[]; error: unknown; threadId: string }> {
    const t = await thread();
    const events: StreamEvent[] = [];
    try {
      for await (const e of await client.beta.threads.runs.create(t.id, { assistant_id: asst.id, stream: true }, withFault(fault))) events.push(e);
      return { events, error: undefined, threadId: t.id };
    } catch (error) {
      return { events, error, threadId: t.id };
    }
  }

  async function helper(fault: string): Promise<unknown> {
    const t = await thread();
    const stream = client.beta.threads.runs.stream(t.id, { assistant_id: asst.id }, withFault(fault));
    stream.on('error', () => undefined); // finalRun() reports it
    return stream.finalRun().then(
      (run) => run,
      (err: unknown) => err,
    );
  }

  const lastRecorded = () => emu.requests.at(-1)!;

  test('cut-after:N: the socket closes after N events; the SDK throws "terminated"; the run still finishes', async () => {
    const { events, error, threadId } = await iterate('cut-after:5');
    assert.equal(events.length, 5);
    // Iterating the raw Stream: undici's TypeError('terminated'), not wrapped in an OpenAI error class.
    assert.ok(error instanceof TypeError && !(error instanceof OpenAIError));
    assert.equal(error.message, 'terminated');
    assert.equal(lastRecorded().fault, 'cut-after:5');
    const [run] = (await client.beta.threads.runs.list(threadId)).data;
    assert.equal(run?.status, 'completed', 'the server kept going');
    // AssistantStream: finalRun() rejects with an OpenAIError('terminated') whose cause is that TypeError.
    const err = await helper('cut-after:5');
    assert.ok(err instanceof OpenAIError && err.message === 'terminated' && err.cause instanceof TypeError);
    // After the headers, before any event.
    const zero = await iterate('cut-after:0');
    assert.equal(zero.events.length, 0);
    assert.ok(zero.error instanceof TypeError && zero.error.message === 'terminated');
  });

  test('truncate:N: a clean end without done: iteration just stops, finalRun() rejects', async () => {
    const { events, error } = await iterate('truncate:4');
    assert.equal(events.length, 4);
    assert.equal(error, undefined, 'the raw Stream ends without an error');
    assert.equal(lastRecorded().fault, 'truncate:4');
    const err = await helper('truncate:4');
    assert.ok(err instanceof OpenAIError);
    assert.equal(err.message, 'Final run has not been received');
  });

  test('error-event: an `error` event after N events → APIError without status', async () => {
    const { events, error } = await iterate('error-event:3');
    assert.equal(events.length, 3);
    assert.ok(error instanceof APIError);
    assert.equal(error.status, undefined);
    assert.equal(error.message, 'The server had an error while processing your request. Sorry about that!');
    assert.deepEqual(error.error, { message: error.message, type: 'server_error', param: null, code: 'server_error' });
    assert.equal(lastRecorded().fault, 'error-event:3');
    const t = await thread();
    const raw = await rawStream(emu, `/threads/${t.id}/runs`, { assistant_id: asst.id, stream: true }, { 'x-emulator-fault': 'error-event' });
    assert.deepEqual(
      parseSSE(raw.text).map((e) => e.event),
      ['thread.run.created', 'thread.run.queued', 'thread.run.in_progress', 'error'],
    );
  });

  test('malformed-json: SyntaxError from a JSON route and from a stream', async () => {
    await assert.rejects(client.beta.threads.create({}, withFault('malformed-json')), SyntaxError);
    assert.equal(lastRecorded().fault, 'malformed-json');
    const raw = await fetch(`${emu.baseURL}/threads`, { method: 'POST', headers: { 'x-emulator-fault': 'malformed-json' } });
    assert.equal(raw.headers.get('content-type'), 'application/json');
    await assert.rejects(raw.json(), SyntaxError);
    // The SDK logs the unparsable data with console.error before throwing: keep the test output clean.
    const original = console.error;
    console.error = () => undefined;
    try {
      const { events, error } = await iterate('malformed-json:2');
      assert.equal(events.length, 2);
      assert.ok(error instanceof SyntaxError);
      assert.equal(lastRecorded().fault, 'malformed-json:2');
    } finally {
      console.error = original;
    }
  });

  test('status:CODE on any route, nothing processed; 5xx/429 retried by the SDK unless maxRetries: 0', async () => {
    const t = await thread();
    let n = emu.requests.length;
    await assert.rejects(client.beta.threads.runs.create(t.id, { assistant_id: asst.id, stream: true }, withFault('status:500')), (err: unknown) => {
      assert.ok(err instanceof InternalServerError);
      assert.deepEqual(err.error, { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null });
      return true;
    });
    assert.equal(emu.requests.length - n, 1, 'maxRetries: 0 → one attempt');
    assert.equal((await client.beta.threads.runs.list(t.id)).data.length, 0, 'no run was created');
    await assert.rejects(client.beta.assistants.list({}, withFault('status:404')), { status: 404 });
    await assert.rejects(client.beta.threads.retrieve(t.id, withFault('status:401')), { status: 401, code: 'invalid_api_key' });

    const retrying = new OpenAI({ apiKey: 'k', baseURL: emu.baseURL }); // default maxRetries: 2
    n = emu.requests.length;
    await assert.rejects(retrying.beta.threads.retrieve(t.id, withFault('status:429')), RateLimitError);
    const attempts = emu.requests.slice(n);
    assert.deepEqual(
      attempts.map((r) => [r.fault, r.headers['x-stainless-retry-count']]),
      [
        ['status:429', '0'],
        ['status:429', '1'],
        ['status:429', '2'],
      ],
    );
    const { response } = await client.beta.threads.retrieve(t.id, withFault('none')).withResponse();
    assert.equal(response.status, 200);
    const rate = await fetch(`${emu.baseURL}/threads/${t.id}`, { headers: { 'x-emulator-fault': 'status:429' } });
    assert.equal(rate.headers.get('retry-after'), '0');

    await assert.rejects(client.beta.threads.retrieve(t.id, withFault('status:503')), { status: 503 });
    n = emu.requests.length;
    await assert.rejects(retrying.beta.threads.retrieve(t.id, { ...withFault('status:500'), maxRetries: 1 }), InternalServerError);
    assert.equal(emu.requests.length - n, 2, 'maxRetries: 1 → one retry (after the SDK’s ~0.5 s backoff)');
  });

  test('reset-before-headers: APIConnectionError, retried like any connection error, nothing processed', async () => {
    const n = emu.requests.length;
    await assert.rejects(client.beta.threads.create({ metadata: { k: 'v' } }, withFault('reset-before-headers')), APIConnectionError);
    assert.equal(emu.requests.length - n, 1);
    assert.equal(lastRecorded().fault, 'reset-before-headers');
    const threads = emu.requests.filter((r) => r.path === '/v1/threads' && r.method === 'POST' && !r.fault);
    assert.ok(threads.every((r) => JSON.stringify(r.body) !== '{"metadata":{"k":"v"}}'));
  });

  test('faults are validated and deterministic; stream faults only touch streams; the option is a default', async () => {
    await assert.rejects(client.beta.threads.create({}, withFault('explode')), (err: unknown) => err instanceof APIError && err.status === 400 && /Unknown fault 'explode'/.test(err.message));
    await assert.rejects(client.beta.threads.create({}, withFault('status:200')), { status: 400 });
    await assert.rejects(startEmulator({ fault: 'cut-after:x' as never }), /Invalid fault/);
    const a = await iterate('cut-after:7');
    const b = await iterate('cut-after:7');
    assert.deepEqual(
      a.events.map((e) => e.event),
      b.events.map((e) => e.event),
    );
    // A stream fault on a JSON route does nothing (and is not recorded).
    await client.beta.threads.create({}, withFault('cut-after:1'));
    assert.equal(lastRecorded().fault, undefined);
    // More events asked for than the stream has: an ordinary stream.
    const all = await iterate('truncate:500');
    assert.equal(all.error, undefined);
    assert.equal(all.events.at(-1)?.event, 'thread.run.completed');
    assert.equal(lastRecorded().fault, undefined);

    // The option: a spec for every request (the header `none` opts out) or a function of the request.
    const emu2 = await startEmulator({ fault: 'truncate:2' });
    try {
      const c2 = new OpenAI({ apiKey: 'k', baseURL: emu2.baseURL, maxRetries: 0 });
      const a2 = await c2.beta.assistants.create({ model: 'gpt-4o' });
      const t2 = await c2.beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
      const cut = await collect(await c2.beta.threads.runs.create(t2.id, { assistant_id: a2.id, stream: true }));
      assert.equal(cut.length, 2);
      const t3 = await c2.beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
      const full = await collect(await c2.beta.threads.runs.create(t3.id, { assistant_id: a2.id, stream: true }, withFault('none')));
      assert.equal(full.at(-1)?.event, 'thread.run.completed');
    } finally {
      await emu2.close();
    }
    // A function: fail only the first attempt of each run creation → the SDK's retry succeeds.
    const emu3 = await startEmulator({
      fault: (r) => (r.method === 'POST' && r.path.endsWith('/runs') && r.headers['x-stainless-retry-count'] === '0' ? 'status:503' : undefined),
    });
    try {
      const c3 = new OpenAI({ apiKey: 'k', baseURL: emu3.baseURL, maxRetries: 1 });
      const a3 = await c3.beta.assistants.create({ model: 'gpt-4o' });
      const t3 = await c3.beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
      const run = await c3.beta.threads.runs.stream(t3.id, { assistant_id: a3.id }).finalRun();
      assert.equal(run.status, 'completed');
      assert.deepEqual(
        emu3.requests.filter((r) => r.path.endsWith('/runs')).map((r) => r.fault ?? null),
        ['status:503', null],
      );
    } finally {
      await emu3.close();
    }
  });
});
