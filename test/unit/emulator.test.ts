// The Assistants emulator, exercised through the real `openai` SDK (v6 signatures).
// Run: node --import tsx --test test/unit/emulator.test.ts
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI, { BadRequestError, NotFoundError, toFile } from 'openai';
import { Entities } from '../../src/testing/emulator/engine/entities';
import { IdFactory } from '../../src/testing/emulator/engine/ids';
import { RunEngine } from '../../src/testing/emulator/assistants/run-engine';
import { Store } from '../../src/testing/emulator/engine/store';
import { startEmulator, type Emulator } from '../../src/testing/index';

type Run = OpenAI.Beta.Threads.Run;
type RunStep = OpenAI.Beta.Threads.Runs.RunStep;
type Message = OpenAI.Beta.Threads.Message;

const ID = /^(asst_|thread_|msg_|run_|step_|call_|vs_|file-)[0-9A-Za-z]{24}$/;
const FS_CONTENT = 'step_details.tool_calls[*].file_search.results[*].content' as const;

function assertId(id: string | null | undefined, prefix: string): void {
  assert.ok(id, `missing ${prefix} id`);
  assert.ok(id.startsWith(prefix), `${id} should start with ${prefix}`);
  assert.match(id, ID);
  assert.match(id.slice(prefix.length), /[0-9]/);
  assert.match(id.slice(prefix.length), /[A-Z]/);
}

/** The `error.message` of the API error body (the SDK prefixes Error.message with the status). */
function apiMessage(err: unknown): string {
  return (err as { error?: { message?: string } }).error?.message ?? '';
}

function textOf(m: Message): string {
  return m.content.map((c) => (c.type === 'text' ? c.text.value : '')).join('');
}

function usageSum(steps: RunStep[]): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  const sum = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  for (const s of steps) {
    if (!s.usage) continue;
    sum.prompt_tokens += s.usage.prompt_tokens;
    sum.completion_tokens += s.usage.completion_tokens;
    sum.total_tokens += s.usage.total_tokens;
  }
  return sum;
}

async function allSteps(client: OpenAI, run: Run, include?: typeof FS_CONTENT): Promise<RunStep[]> {
  const page = await client.beta.threads.runs.steps.list(run.id, {
    thread_id: run.thread_id,
    order: 'asc',
    ...(include ? { include: [include] } : {}),
  });
  return page.data;
}

function assertRunUsage(run: Run, steps: RunStep[]): void {
  assert.ok(run.usage, 'terminal run has usage');
  const sum = usageSum(steps);
  assert.equal(run.usage.prompt_tokens, sum.prompt_tokens);
  assert.equal(run.usage.completion_tokens, sum.completion_tokens);
  assert.equal(run.usage.total_tokens, sum.total_tokens);
}

const weatherTool: OpenAI.Beta.FunctionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather',
    parameters: {
      type: 'object',
      properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] }, days: { type: 'integer' } },
      required: ['location', 'unit'],
    },
  },
};
const timeTool: OpenAI.Beta.FunctionTool = {
  type: 'function',
  function: { name: 'get_time', parameters: { type: 'object', properties: { timezone: { type: 'string' } }, required: ['timezone'] } },
};

describe('assistants emulator', () => {
  let emu: Emulator;
  let client: OpenAI;

  before(async () => {
    emu = await startEmulator();
    client = new OpenAI({ apiKey: 'sk-test-secret', baseURL: emu.baseURL, maxRetries: 0 });
  });
  after(async () => {
    await emu.close();
  });

  test('answer: createAndPoll, message, steps, usage, real-looking ids and headers', async () => {
    const asst = await client.beta.assistants.create({ model: 'gpt-4o-mini', name: 'Tutor', instructions: 'You are a tutor.' });
    assertId(asst.id, 'asst_');
    assert.deepEqual(asst.tools, []);
    assert.deepEqual(asst.tool_resources, {});
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'How do I solve 3x + 11 = 14?' }] });
    assertId(thread.id, 'thread_');
    assert.deepEqual(thread.tool_resources, {});

    const created = await client.beta.threads.runs.create(thread.id, { assistant_id: asst.id, additional_instructions: 'Be brief.' });
    assert.equal(created.status, 'queued');
    assert.equal(created.instructions, 'You are a tutor.\nBe brief.');
    assert.equal(created.model, 'gpt-4o-mini');
    assert.equal(created.usage, null);
    assert.equal(created.expires_at, created.created_at + 600);
    assert.ok(Number.isInteger(created.created_at));

    const run = await client.beta.threads.runs.poll(created.id, { thread_id: thread.id });
    assert.equal(run.status, 'completed');
    assert.equal(run.expires_at, null);
    assert.ok(run.started_at && run.completed_at);
    const steps = await allSteps(client, run);
    assert.equal(steps.length, 1);
    const step = steps[0] as RunStep;
    assertId(step.id, 'step_');
    assert.equal(step.type, 'message_creation');
    assert.equal(step.status, 'completed');
    assert.equal((step as unknown as { expires_at: number }).expires_at, created.expires_at);
    assertRunUsage(run, steps);
    assert.equal(run.usage?.completion_tokens !== undefined && run.usage.completion_tokens > 0, true);
    assert.deepEqual((run.usage as { prompt_token_details?: unknown }).prompt_token_details, { cached_tokens: 0 }, 'first run: nothing cached');

    const messages = await client.beta.threads.messages.list(thread.id, { order: 'asc' });
    assert.equal(messages.data.length, 2);
    const answer = messages.data[1] as Message;
    assertId(answer.id, 'msg_');
    assert.equal(step.step_details.type === 'message_creation' && step.step_details.message_creation.message_id, answer.id);
    assert.equal(answer.role, 'assistant');
    assert.equal(answer.run_id, run.id);
    assert.equal(answer.assistant_id, asst.id);
    assert.equal(answer.status, 'completed');
    assert.deepEqual(answer.attachments, []);
    assert.deepEqual(answer.metadata, {});
    assert.match(textOf(answer), /3x \+ 11 = 14/);
    const retrieved = await client.beta.threads.messages.retrieve(answer.id, { thread_id: thread.id });
    assert.deepEqual(retrieved, answer);

    // Headers and the request log.
    const { response } = await client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id }).withResponse();
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.equal(response.headers.get('openai-version'), '2020-10-01');
    assert.match(response.headers.get('x-request-id') ?? '', /^req_[0-9a-f]{32}$/);
    assert.match(response.headers.get('openai-processing-ms') ?? '', /^\d+$/);
    assert.equal(response.headers.get('openai-poll-after-ms'), '5');
    const { response: listResponse } = await client.beta.threads.messages.list(thread.id).withResponse();
    assert.equal(listResponse.headers.get('openai-poll-after-ms'), null, 'only run responses carry the poll hint');
    const post = emu.requests.find((r) => r.method === 'POST' && r.path === `/v1/threads/${thread.id}/runs`);
    assert.ok(post);
    assert.deepEqual(post.body, { assistant_id: asst.id, additional_instructions: 'Be brief.' });
    assert.equal(post.headers['authorization'], 'Bearer sk-test-secret');
    assert.equal(post.headers['openai-beta'], 'assistants=v2');
  });

  test('function: requires_action, submitToolOutputsAndPoll, output on the step, answer uses it', async () => {
    const asst = await client.beta.assistants.create({ model: 'gpt-4o', tools: [weatherTool] });
    const run0 = await client.beta.threads.createAndRunPoll({
      assistant_id: asst.id,
      thread: { messages: [{ role: 'user', content: 'What is the weather in Paris?' }] },
    });
    assert.equal(run0.status, 'requires_action');
    assert.equal(run0.usage, null);
    const calls = run0.required_action?.submit_tool_outputs.tool_calls ?? [];
    assert.equal(calls.length, 1);
    const call = calls[0] as OpenAI.Beta.Threads.RequiredActionFunctionToolCall;
    assertId(call.id, 'call_');
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { location: 'Paris', unit: 'celsius' });

    const pending = await allSteps(client, run0);
    assert.equal(pending.length, 1);
    assert.equal(pending[0]?.status, 'in_progress');
    assert.equal(pending[0]?.usage, null);

    await assert.rejects(
      client.beta.threads.runs.submitToolOutputs(run0.id, {
        thread_id: run0.thread_id,
        tool_outputs: [{ tool_call_id: 'call_wrong', output: 'x' }],
      }),
      (err: unknown) => err instanceof BadRequestError && /Expected tool outputs for call_ids/.test(err.message),
    );
    await assert.rejects(
      client.beta.threads.messages.create(run0.thread_id, { role: 'user', content: 'hello?' }),
      (err: unknown) => err instanceof BadRequestError && /while a run .* is active/.test(err.message),
    );

    const run = await client.beta.threads.runs.submitToolOutputsAndPoll(run0.id, {
      thread_id: run0.thread_id,
      tool_outputs: [{ tool_call_id: call.id, output: '{"temperature": 21}' }],
    });
    assert.equal(run.status, 'completed');
    assert.equal(run.required_action, null);
    const steps = await allSteps(client, run);
    assert.deepEqual(
      steps.map((s) => [s.type, s.status]),
      [
        ['tool_calls', 'completed'],
        ['message_creation', 'completed'],
      ],
    );
    const details = steps[0]?.step_details as OpenAI.Beta.Threads.Runs.ToolCallsStepDetails;
    const fnCall = details.tool_calls[0] as OpenAI.Beta.Threads.Runs.FunctionToolCall;
    assert.equal(fnCall.id, call.id);
    assert.equal(fnCall.function.output, '{"temperature": 21}');
    assertRunUsage(run, steps);
    const [answer] = (await client.beta.threads.messages.list(run.thread_id, { run_id: run.id })).data;
    assert.ok(answer);
    assert.match(textOf(answer), /get_weather returned \{"temperature": 21\}/);

    await assert.rejects(
      client.beta.threads.runs.submitToolOutputs(run.id, { thread_id: run.thread_id, tool_outputs: [{ tool_call_id: call.id, output: 'again' }] }),
      (err: unknown) => err instanceof BadRequestError && err.message.includes('Runs in status "completed" do not accept tool outputs.'),
    );
  });

  test('parallel_functions: two calls in one step, to two different functions', async () => {
    const asst = await client.beta.assistants.create({ model: 'gpt-4o', tools: [weatherTool, timeTool], metadata: { script: 'parallel_functions' } });
    const run0 = await client.beta.threads.createAndRunPoll({
      assistant_id: asst.id,
      thread: { messages: [{ role: 'user', content: 'Weather and time in Tokyo?' }] },
    });
    assert.equal(run0.status, 'requires_action');
    const calls = run0.required_action?.submit_tool_outputs.tool_calls ?? [];
    assert.deepEqual(
      calls.map((c) => c.function.name),
      ['get_weather', 'get_time'],
    );
    const steps0 = await allSteps(client, run0);
    assert.equal(steps0.length, 1);
    const run = await client.beta.threads.runs.submitToolOutputsAndPoll(run0.id, {
      thread_id: run0.thread_id,
      tool_outputs: calls.map((c, i) => ({ tool_call_id: c.id, output: `result ${i}` })),
    });
    assert.equal(run.status, 'completed');
    const steps = await allSteps(client, run);
    const details = steps[0]?.step_details as OpenAI.Beta.Threads.Runs.ToolCallsStepDetails;
    assert.deepEqual(
      details.tool_calls.map((c) => (c.type === 'function' ? c.function.output : null)),
      ['result 0', 'result 1'],
    );
    assertRunUsage(run, steps);
  });

  test('code: code_interpreter call with logs and an image, message with text and image_file', async () => {
    const asst = await client.beta.assistants.create({ model: 'gpt-4o', instructions: 'Write and run code.', tools: [{ type: 'code_interpreter' }] });
    assert.deepEqual(asst.tool_resources, { code_interpreter: { file_ids: [] } });
    const run = await client.beta.threads.createAndRunPoll({
      assistant_id: asst.id,
      thread: { messages: [{ role: 'user', content: 'Plot some numbers' }] },
    });
    assert.equal(run.status, 'completed');
    const steps = await allSteps(client, run);
    assert.deepEqual(
      steps.map((s) => s.type),
      ['tool_calls', 'message_creation'],
    );
    const call = (steps[0]?.step_details as OpenAI.Beta.Threads.Runs.ToolCallsStepDetails).tool_calls[0];
    assert.equal(call?.type, 'code_interpreter');
    if (call?.type !== 'code_interpreter') return;
    assert.match(call.code_interpreter.input, /print\(/);
    const [logs, image] = call.code_interpreter.outputs;
    assert.equal(logs?.type, 'logs');
    assert.match(logs?.type === 'logs' ? logs.logs : '', /^total = \d+\nmean = [\d.]+\n$/);
    assert.equal(image?.type, 'image');
    const fileId = image?.type === 'image' ? image.image.file_id : '';
    assertId(fileId, 'file-');
    const file = await client.files.retrieve(fileId);
    assert.equal(file.purpose, 'assistants_output');
    const [answer] = (await client.beta.threads.messages.list(run.thread_id, { run_id: run.id })).data;
    assert.deepEqual(
      answer?.content.map((c) => c.type),
      ['text', 'image_file'],
    );
    const img = answer?.content[1];
    assert.equal(img?.type === 'image_file' && img.image_file.file_id, fileId);
    assertRunUsage(run, steps);
  });

  test('file_search: results (content only with include[]), citations, files and vector stores', async () => {
    const file = await client.files.create({ file: await toFile(Buffer.from('Nociceptors have free nerve endings.'), 'somatosensory.md'), purpose: 'assistants' });
    assertId(file.id, 'file-');
    assert.equal(file.filename, 'somatosensory.md');
    assert.equal(file.bytes, 36);
    const upload = emu.requests.find((r) => r.path === '/v1/files');
    assert.deepEqual((upload?.body as { purpose: string }).purpose, 'assistants');
    const vs = await client.vectorStores.create({ name: 'notes' });
    assertId(vs.id, 'vs_');
    const vsFile = await client.vectorStores.files.create(vs.id, { file_id: file.id });
    assert.equal(vsFile.status, 'completed');
    assert.equal((await client.vectorStores.retrieve(vs.id)).file_counts.completed, 1);

    const asst = await client.beta.assistants.create({
      model: 'gpt-4o',
      tools: [{ type: 'file_search' }],
      tool_resources: { file_search: { vector_store_ids: [vs.id] } },
    });
    const tool = asst.tools[0];
    assert.deepEqual(tool?.type === 'file_search' && tool.file_search?.ranking_options, { ranker: 'default_2024_08_21', score_threshold: 0 });
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Find the description of a nociceptor.' }] });
    const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: asst.id, include: [FS_CONTENT] });
    assert.equal(run.status, 'completed');
    const runPost = emu.requests.find((r) => r.method === 'POST' && r.path === `/v1/threads/${thread.id}/runs`);
    assert.deepEqual(runPost?.query, { 'include[]': FS_CONTENT });

    const plain = await allSteps(client, run);
    const fsCall = (plain[0]?.step_details as OpenAI.Beta.Threads.Runs.ToolCallsStepDetails).tool_calls[0];
    assert.equal(fsCall?.type, 'file_search');
    if (fsCall?.type !== 'file_search') return;
    assert.deepEqual(fsCall.file_search.ranking_options, { ranker: 'default_2024_08_21', score_threshold: 0 });
    const results = fsCall.file_search.results ?? [];
    assert.ok(results.length > 0);
    assert.equal(results[0]?.file_id, file.id);
    assert.equal(results[0]?.file_name, 'somatosensory.md');
    assert.ok(
      results.every((r) => r.content === undefined),
      'no content without include[]',
    );
    const scores = results.map((r) => r.score);
    assert.deepEqual(
      [...scores].sort((a, b) => b - a),
      scores,
    );

    const withContent = await allSteps(client, run, FS_CONTENT);
    const fsCall2 = (withContent[0]?.step_details as OpenAI.Beta.Threads.Runs.ToolCallsStepDetails).tool_calls[0];
    const r0 = fsCall2?.type === 'file_search' ? fsCall2.file_search.results?.[0] : undefined;
    assert.equal(r0?.content?.[0]?.type, 'text');
    assert.match(r0?.content?.[0]?.text ?? '', /somatosensory\.md/);
    const single = await client.beta.threads.runs.steps.retrieve(withContent[0]!.id, { thread_id: thread.id, run_id: run.id, include: [FS_CONTENT] });
    assert.deepEqual(single, withContent[0]);

    const [answer] = (await client.beta.threads.messages.list(thread.id, { run_id: run.id })).data;
    const text = answer?.content[0];
    assert.equal(text?.type, 'text');
    if (text?.type !== 'text') return;
    const [cite] = text.text.annotations;
    assert.equal(cite?.type, 'file_citation');
    if (cite?.type !== 'file_citation') return;
    assert.equal(cite.file_citation.file_id, file.id);
    assert.equal(text.text.value.slice(cite.start_index, cite.end_index), cite.text);
    assert.match(cite.text, /^【\d+:\d+†somatosensory\.md】$/);
    assertRunUsage(run, withContent);
  });

  test('failed: last_error, failed_at, the step fails too', async () => {
    const asst = await client.beta.assistants.create({ model: 'gpt-4o', instructions: 'x' });
    const run = await client.beta.threads.createAndRunPoll({
      assistant_id: asst.id,
      metadata: { script: 'failed' },
      thread: { messages: [{ role: 'user', content: 'hi' }] },
    });
    assert.equal(run.status, 'failed');
    assert.deepEqual(run.last_error, { code: 'server_error', message: 'Sorry, something went wrong.' });
    assert.ok(run.failed_at);
    const steps = await allSteps(client, run);
    assert.equal(steps[0]?.status, 'failed');
    assert.ok(steps[0]?.failed_at);
    assert.deepEqual(steps[0]?.last_error, { code: 'server_error', message: 'Sorry, something went wrong.' });
    assertRunUsage(run, steps);
  });

  test('expired: tool outputs never come, the run expires after more polls in requires_action', async () => {
    const asst = await client.beta.assistants.create({ model: 'gpt-4o', tools: [weatherTool], metadata: { script: 'expired' } });
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Weather?' }] });
    const created = await client.beta.threads.runs.create(thread.id, { assistant_id: asst.id });
    const seen: string[] = [created.status];
    let run = created;
    for (let i = 0; i < 10 && run.status !== 'expired'; i++) {
      run = await client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id });
      seen.push(run.status);
    }
    assert.deepEqual(seen, ['queued', 'in_progress', 'requires_action', 'expired']);
    assert.equal(run.required_action, null);
    assert.ok(run.expires_at);
    const steps = await allSteps(client, run);
    assert.equal(steps[0]?.status, 'expired');
    assert.ok(steps[0]?.expired_at);
    await assert.rejects(
      client.beta.threads.runs.submitToolOutputs(run.id, { thread_id: thread.id, tool_outputs: [] }),
      (err: unknown) => err instanceof BadRequestError && err.message.includes('"expired"'),
    );
  });

  test('incomplete: max_completion_tokens, partial message, usage present', async () => {
    const asst = await client.beta.assistants.create({ model: 'gpt-4o', metadata: { script: 'incomplete' } });
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Explain recursion' }] });
    const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: asst.id, max_completion_tokens: 12 });
    assert.equal(run.status, 'incomplete');
    assert.deepEqual(run.incomplete_details, { reason: 'max_completion_tokens' });
    assert.ok(run.completed_at, 'like the real API, an incomplete run has completed_at');
    const steps = await allSteps(client, run);
    assertRunUsage(run, steps);
    assert.equal(run.usage?.completion_tokens, 12);
    const [answer] = (await client.beta.threads.messages.list(thread.id, { run_id: run.id })).data;
    assert.equal(answer?.status, 'incomplete');
    assert.deepEqual(answer?.incomplete_details, { reason: 'max_tokens' });
    assert.ok(answer && textOf(answer).length > 0 && textOf(answer).length <= 48);

    // A too-small budget cuts an ordinary answer the same way.
    const cut = await client.beta.threads.runs.createAndPoll(thread.id, {
      assistant_id: asst.id,
      metadata: { script: 'answer' },
      max_completion_tokens: 3,
    });
    assert.equal(cut.status, 'incomplete');
  });

  test('cancel: polls do not advance, cancel → cancelling → cancelled', async () => {
    const asst = await client.beta.assistants.create({ model: 'gpt-4o', metadata: { script: 'cancel' } });
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Take your time' }] });
    const created = await client.beta.threads.runs.create(thread.id, { assistant_id: asst.id });
    let run = created;
    for (let i = 0; i < 4; i++) run = await client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id });
    assert.equal(run.status, 'in_progress');
    await assert.rejects(
      client.beta.threads.runs.update(run.id, { thread_id: thread.id, metadata: { a: 'b' } }),
      (err: unknown) => err instanceof BadRequestError && apiMessage(err) === "Cannot update run with status 'in_progress'.",
    );
    const cancelling = await client.beta.threads.runs.cancel(run.id, { thread_id: thread.id });
    assert.equal(cancelling.status, 'cancelling');
    const done = await client.beta.threads.runs.poll(run.id, { thread_id: thread.id });
    assert.equal(done.status, 'cancelled');
    assert.ok(done.cancelled_at);
    const steps = await allSteps(client, done);
    assert.equal(steps[0]?.status, 'cancelled');
    const [msg] = (await client.beta.threads.messages.list(thread.id, { run_id: run.id })).data;
    assert.deepEqual(msg?.incomplete_details, { reason: 'run_cancelled' });
    await assert.rejects(client.beta.threads.runs.cancel(run.id, { thread_id: thread.id }), BadRequestError);
    const updated = await client.beta.threads.runs.update(run.id, { thread_id: thread.id, metadata: { note: 'done' } });
    assert.deepEqual(updated.metadata, { note: 'done' });
    const runs = await client.beta.threads.runs.list(thread.id);
    assert.deepEqual(
      runs.data.map((r) => r.id),
      [run.id],
    );
  });

  test('second run on a thread: cached prompt tokens on the run usage', async () => {
    const asst = await client.beta.assistants.create({ model: 'gpt-4o', instructions: 'Answer questions about the history of computing in detail.' });
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Who wrote the first program?' }] });
    const first = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: asst.id });
    await client.beta.threads.messages.create(thread.id, { role: 'user', content: 'And the first compiler?' });
    const second = await client.beta.threads.runs.createAndPoll(thread.id, {
      assistant_id: asst.id,
      additional_messages: [{ role: 'user', content: 'Keep it short.' }],
    });
    const cached = (second.usage as { prompt_token_details?: { cached_tokens: number } }).prompt_token_details;
    assert.ok(cached && cached.cached_tokens > 0 && cached.cached_tokens < (second.usage?.prompt_tokens ?? 0));
    assert.ok((second.usage?.prompt_tokens ?? 0) > (first.usage?.prompt_tokens ?? 0));
  });

  test('messages: cursor pagination with for await, before/after, order', async () => {
    const thread = await client.beta.threads.create();
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) ids.push((await client.beta.threads.messages.create(thread.id, { role: 'user', content: `message ${i}` })).id);
    const seen: string[] = [];
    for await (const m of client.beta.threads.messages.list(thread.id, { order: 'asc', limit: 10 })) seen.push(m.id);
    assert.deepEqual(seen, ids);
    const desc = await client.beta.threads.messages.list(thread.id, { limit: 5 });
    assert.deepEqual(
      desc.data.map((m) => m.id),
      ids.slice(20).reverse(),
    );
    assert.equal(desc.has_more, true);
    const afterPage = await client.beta.threads.messages.list(thread.id, { order: 'asc', after: ids[22], limit: 5 });
    assert.deepEqual(
      afterPage.data.map((m) => m.id),
      ids.slice(23),
    );
    const beforePage = await client.beta.threads.messages.list(thread.id, { order: 'asc', before: ids[5], limit: 3 });
    assert.deepEqual(
      beforePage.data.map((m) => m.id),
      ids.slice(2, 5),
    );
    const listReq = emu.requests.filter((r) => r.path === `/v1/threads/${thread.id}/messages` && r.method === 'GET');
    assert.equal(listReq[1]?.query['after'], ids[9]);
    await assert.rejects(client.beta.threads.messages.list(thread.id, { limit: 101 }), BadRequestError);
  });

  test('errors: 404 NotFoundError and 400 BadRequestError with the real body', async () => {
    const asst = await client.beta.assistants.create({ model: 'gpt-4o', instructions: 'x' });
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
    await assert.rejects(client.beta.threads.retrieve('thread_doesNotExist1A'), (err: unknown) => {
      assert.ok(err instanceof NotFoundError);
      assert.deepEqual(err.error, { message: "No thread found with id 'thread_doesNotExist1A'.", type: 'invalid_request_error', param: null, code: null });
      assert.match(err.requestID ?? '', /^req_/);
      return true;
    });
    await assert.rejects(client.beta.threads.runs.retrieve('run_x', { thread_id: thread.id }), NotFoundError);
    await assert.rejects(client.beta.assistants.retrieve('asst_nope'), NotFoundError);
    await assert.rejects(client.beta.threads.runs.create(thread.id, { assistant_id: 'asst_missing1A' }), NotFoundError);
    await assert.rejects(
      client.beta.threads.runs.create(thread.id, {} as OpenAI.Beta.Threads.RunCreateParamsNonStreaming),
      (err: unknown) => err instanceof BadRequestError && err.param === 'assistant_id' && err.code === 'missing_required_parameter',
    );
    await assert.rejects(
      client.beta.threads.runs.create(thread.id, { assistant_id: asst.id, stream: 'yes' as unknown as true }),
      (err: unknown) => err instanceof BadRequestError && err.param === 'stream' && err.code === 'invalid_type',
    );
    await assert.rejects(
      client.beta.threads.runs.create(thread.id, { assistant_id: asst.id, metadata: { script: 'nope' } }),
      (err: unknown) => err instanceof BadRequestError && err.param === 'metadata.script',
    );
    await assert.rejects(
      client.beta.threads.update(thread.id, { metadata: { modified: true as unknown as string } }),
      (err: unknown) => err instanceof BadRequestError && apiMessage(err) === "Invalid type for 'metadata.modified': expected a string, but got a boolean instead." && err.code === 'invalid_type',
    );
    const run = await client.beta.threads.runs.create(thread.id, { assistant_id: asst.id });
    await assert.rejects(
      client.beta.threads.runs.create(thread.id, { assistant_id: asst.id }),
      (err: unknown) => err instanceof BadRequestError && apiMessage(err) === `Thread ${thread.id} already has an active run ${run.id}.`,
    );
    await assert.rejects(
      client.beta.threads.runs.submitToolOutputs(run.id, { thread_id: thread.id, tool_outputs: [] }),
      (err: unknown) => err instanceof BadRequestError && apiMessage(err) === 'Runs in status "queued" do not accept tool outputs.',
    );
    await assert.rejects(
      client.beta.threads.runs.steps.retrieve('step_123', { thread_id: thread.id, run_id: run.id }),
      (err: unknown) => err instanceof NotFoundError && err.message.includes("No run step found with id 'step_123'."),
    );
    const unknown = await fetch(`${emu.baseURL}/nothing/here`);
    assert.equal(unknown.status, 404);
    assert.deepEqual(await unknown.json(), {
      error: { message: 'Invalid URL (GET /v1/nothing/here)', type: 'invalid_request_error', param: null, code: null },
    });
    const wrongMethod = await fetch(`${emu.baseURL}/threads/${thread.id}/runs`, { method: 'DELETE' });
    assert.equal(wrongMethod.status, 405);
    const badJson = await fetch(`${emu.baseURL}/threads`, { method: 'POST', body: '{', headers: { 'content-type': 'application/json' } });
    assert.equal(badJson.status, 400);
  });

  test('assistants list/update/delete and threads update/delete', async () => {
    const a = await client.beta.assistants.create({ model: 'gpt-4o', name: 'one' });
    const updated = await client.beta.assistants.update(a.id, { name: 'two', metadata: { k: 'v' } });
    assert.equal(updated.name, 'two');
    assert.deepEqual(updated.metadata, { k: 'v' });
    const listed = await client.beta.assistants.list({ limit: 100 });
    assert.equal(listed.data[0]?.id, a.id, 'desc by default: newest first');
    assert.deepEqual(await client.beta.assistants.delete(a.id), { id: a.id, object: 'assistant.deleted', deleted: true });
    await assert.rejects(client.beta.assistants.retrieve(a.id), NotFoundError);
    const t = await client.beta.threads.create({ metadata: { user: 'u1' } });
    assert.deepEqual((await client.beta.threads.update(t.id, { metadata: { user: 'u2' } })).metadata, { user: 'u2' });
    assert.deepEqual(await client.beta.threads.delete(t.id), { id: t.id, object: 'thread.deleted', deleted: true });
  });
});

describe('run engine', () => {
  test('pollsPerStatus: each stage is shown that many times; header can be omitted', async () => {
    const emu = await startEmulator({ pollsPerStatus: 2, pollAfterMs: null });
    try {
      const client = new OpenAI({ apiKey: 'k', baseURL: emu.baseURL, maxRetries: 0 });
      const asst = await client.beta.assistants.create({ model: 'gpt-4o' });
      const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
      const { data: created, response } = await client.beta.threads.runs.create(thread.id, { assistant_id: asst.id }).withResponse();
      assert.equal(response.headers.get('openai-poll-after-ms'), null);
      const seen = [created.status];
      let run = created;
      while (run.status !== 'completed') {
        run = await client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id });
        seen.push(run.status);
      }
      assert.deepEqual(seen, ['queued', 'queued', 'in_progress', 'in_progress', 'completed']);
    } finally {
      await emu.close();
    }
  });

  test('pollsPerStatus 0: the first retrieve runs the script to the end', async () => {
    const emu = await startEmulator({ pollsPerStatus: 0 });
    try {
      const client = new OpenAI({ apiKey: 'k', baseURL: emu.baseURL, maxRetries: 0 });
      const asst = await client.beta.assistants.create({ model: 'gpt-4o', tools: [{ type: 'code_interpreter' }] });
      const run = await client.beta.threads.createAndRun({ assistant_id: asst.id, thread: { messages: [{ role: 'user', content: 'go' }] } });
      const done = await client.beta.threads.runs.retrieve(run.id, { thread_id: run.thread_id });
      assert.equal(done.status, 'completed');
    } finally {
      await emu.close();
    }
  });

  test('transitions are logged in the order of the real SSE events', () => {
    const ids = new IdFactory(1);
    const store = new Store(ids);
    const entities = new Entities(store);
    const engine = new RunEngine({ store, entities, seed: 1, pollsPerStatus: 1 });
    const asst = entities.createAssistant({ model: 'gpt-4o' });
    const rec = entities.createThread({ messages: [{ role: 'user', content: 'hello there' }] });
    const m = engine.createRun(rec, asst, {}, { include: [], additionalMessages: [], threadCreated: true });
    m.drain();
    const events = m.transitions.map((t) => t.event).filter((e, i, all) => e !== 'thread.message.delta' || all[i - 1] !== e);
    assert.deepEqual(events, [
      'thread.created',
      'thread.run.created',
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
    const deltas = m.transitions.filter((t) => t.event === 'thread.message.delta');
    const text = deltas.map((d) => (d.data as { delta: { content: Array<{ text: { value: string } }> } }).delta.content[0]?.text.value).join('');
    const final = m.transitions.find((t) => t.event === 'thread.message.completed')?.data as Message;
    assert.equal(text, textOf(final));
    // Snapshots are copies: the logged queued run is still queued.
    assert.equal((m.transitions[2]?.data as Run).status, 'queued');
  });
});

describe('determinism', () => {
  async function scenario(seed: number): Promise<{ ids: string[]; texts: string[]; args: string[] }> {
    const emu = await startEmulator({ seed });
    try {
      const client = new OpenAI({ apiKey: 'k', baseURL: emu.baseURL, maxRetries: 0 });
      const asst = await client.beta.assistants.create({ model: 'gpt-4o', tools: [weatherTool] });
      const run0 = await client.beta.threads.createAndRunPoll({
        assistant_id: asst.id,
        thread: { messages: [{ role: 'user', content: 'Weather in Rome?' }] },
      });
      const call = run0.required_action!.submit_tool_outputs.tool_calls[0]!;
      const run = await client.beta.threads.runs.submitToolOutputsAndPoll(run0.id, {
        thread_id: run0.thread_id,
        tool_outputs: [{ tool_call_id: call.id, output: 'sunny' }],
      });
      const steps = await allSteps(client, run);
      const messages = (await client.beta.threads.messages.list(run.thread_id, { order: 'asc' })).data;
      return {
        ids: [asst.id, run.thread_id, run.id, call.id, ...steps.map((s) => s.id), ...messages.map((m) => m.id)],
        texts: messages.map(textOf),
        args: [call.function.arguments, JSON.stringify(run.usage)],
      };
    } finally {
      await emu.close();
    }
  }

  test('same seed → same ids, texts and usage; another seed → other ids', async () => {
    const [a, b, c] = await Promise.all([scenario(7), scenario(7), scenario(8)]);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.ids, c.ids);
    for (const id of a.ids) assert.match(id, ID);
  });

  test('reset forgets entities and requests', async () => {
    const emu = await startEmulator();
    try {
      const client = new OpenAI({ apiKey: 'k', baseURL: emu.baseURL, maxRetries: 0 });
      const t = await client.beta.threads.create();
      assert.equal(emu.requests.length, 1);
      emu.reset();
      assert.equal(emu.requests.length, 0);
      await assert.rejects(client.beta.threads.retrieve(t.id), NotFoundError);
    } finally {
      await emu.close();
    }
  });
});
