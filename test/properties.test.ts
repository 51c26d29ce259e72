// Property tests (fast-check), in-process: the CallDispatcher fed randomised API objects and event sequences
// through the same entry points the request hook uses (CallDispatcher.handle for finished calls, CallDispatcher.stream
// sinks for SSE events), with an SDK tracer provider using ThreadTraceIdGenerator and an in-memory
// exporter; and the stream tap fed random SSE bytes in random chunks. Properties:
//   - the instrumentation never throws and never reports an internal error through diag;
//   - every started span ends exactly once (after the shutdown sweep), no span id twice;
//   - children lie inside their parent's interval, and their parent exists;
//   - one trace per thread: every span about thread T is in trace threadTraceId(T);
//   - the stream tap hands the consumer exactly the bytes it got, and ends its sink exactly once.
// Runs per property: RUNS below (printed). Seeds are printed by fast-check on failure.
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { it } from 'node:test';
import { ROOT_CONTEXT, type DiagLogger } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import { ContentPolicy } from '../src/trace/content';
import { CostModel } from '../src/cost/cost-model';
import type { ObservedCall } from '../src/calls/observed-call';
import type { Services } from '../src/services';
import { SSEDecoder, type SSEEvent } from '../src/streams/sse';
import { tapStream, type StreamOutcome } from '../src/streams/stream-tap';
import { ThreadTraceIdGenerator } from '../src/trace/trace-roots';
import { conversationTraceId, threadTraceId } from '../src/trace/trace-ids';
import { CallDispatcher } from '../src/hook/dispatch';

export const RUNS = { polled: 300, streamed: 300, tap: 300, responses: 300 };

const THREADS = ['thread_P0', 'thread_P1', 'thread_P2'];
const RUN_IDS = ['run_R0', 'run_R1', 'run_R2', 'run_R3'];
const STATUSES = ['queued', 'in_progress', 'requires_action', 'cancelling', 'completed', 'failed', 'cancelled', 'expired', 'incomplete', 'future_status', ''];
const STEP_TYPES = ['message_creation', 'tool_calls', 'future_step'];
const TOOL_TYPES = ['function', 'code_interpreter', 'file_search', 'future_tool'];

// ---- arbitraries: API-shaped objects with every field sometimes missing, null, or of the wrong type ----
const junk = fc.oneof(fc.constant(null), fc.constant(undefined), fc.integer(), fc.string({ maxLength: 8 }), fc.constant([]), fc.constant({}), fc.boolean());
const maybe = <T>(a: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: a }, { weight: 1, arbitrary: junk });
const seconds = maybe(fc.integer({ min: 1_700_000_000, max: 1_700_000_100 }));
const usage = maybe(
  fc.record({
    prompt_tokens: maybe(fc.nat(5000)),
    completion_tokens: maybe(fc.nat(5000)),
    total_tokens: maybe(fc.nat(10000)),
    prompt_token_details: maybe(fc.record({ cached_tokens: maybe(fc.nat(100)) })),
  }),
);
const toolCall = fc.record({
  id: maybe(fc.constantFrom('call_A', 'call_B', 'call_C')),
  type: maybe(fc.constantFrom(...TOOL_TYPES)),
  function: maybe(fc.record({ name: maybe(fc.constantFrom('get_weather', 'get_time')), arguments: maybe(fc.string({ maxLength: 30 })), output: maybe(fc.string({ maxLength: 30 })) })),
  code_interpreter: maybe(
    fc.record({
      input: maybe(fc.string({ maxLength: 30 })),
      outputs: maybe(
        fc.array(fc.record({ type: maybe(fc.constantFrom('logs', 'image')), logs: maybe(fc.string({ maxLength: 10 })), image: maybe(fc.record({ file_id: maybe(fc.string({ maxLength: 6 })) })) }), {
          maxLength: 2,
        }),
      ),
    }),
  ),
  file_search: maybe(
    fc.record({
      results: maybe(
        fc.array(
          fc.record({
            file_id: maybe(fc.string({ maxLength: 6 })),
            score: maybe(fc.double()),
            content: maybe(fc.array(fc.record({ type: fc.constant('text'), text: maybe(fc.string({ maxLength: 10 })) }), { maxLength: 2 })),
          }),
          { maxLength: 2 },
        ),
      ),
    }),
  ),
});
const stepObject = (threadId: string, runId: string) =>
  fc.record({
    id: maybe(fc.constantFrom('step_1', 'step_2', 'step_3')),
    object: fc.constant('thread.run.step'),
    run_id: maybe(fc.constant(runId)),
    thread_id: maybe(fc.constant(threadId)),
    type: maybe(fc.constantFrom(...STEP_TYPES)),
    status: maybe(fc.constantFrom('in_progress', 'completed', 'failed', 'cancelled', 'expired', 'future')),
    created_at: seconds,
    completed_at: seconds,
    usage,
    step_details: maybe(
      fc.record({
        type: maybe(fc.constantFrom(...STEP_TYPES)),
        message_creation: maybe(fc.record({ message_id: maybe(fc.constantFrom('msg_1', 'msg_2')) })),
        tool_calls: maybe(fc.array(toolCall, { maxLength: 3 })),
      }),
    ),
  });
const runObject = (threadId: string, runId: string) =>
  fc.record({
    id: fc.oneof({ weight: 9, arbitrary: fc.constant(runId) }, { weight: 1, arbitrary: junk }),
    object: fc.constant('thread.run'),
    thread_id: fc.oneof({ weight: 9, arbitrary: fc.constant(threadId) }, { weight: 1, arbitrary: junk }),
    assistant_id: maybe(fc.constantFrom('asst_1', 'asst_2')),
    status: maybe(fc.constantFrom(...STATUSES)),
    model: maybe(fc.constantFrom('gpt-4o-mini', 'gpt-4o', 'future-model')),
    instructions: maybe(fc.string({ maxLength: 20 })),
    created_at: seconds,
    usage,
    last_error: maybe(fc.record({ code: maybe(fc.string({ maxLength: 8 })), message: maybe(fc.string({ maxLength: 20 })) })),
    incomplete_details: maybe(fc.record({ reason: maybe(fc.string({ maxLength: 8 })) })),
    required_action: maybe(fc.record({ type: maybe(fc.constant('submit_tool_outputs')), submit_tool_outputs: maybe(fc.record({ tool_calls: maybe(fc.array(toolCall, { maxLength: 3 })) })) })),
  });

// ---- the instrumentation in-process -----------------------------------------------------------------
interface Harness {
  dispatcher: CallDispatcher;
  exporter: InMemorySpanExporter;
  counts: { started: number; ended: Map<object, number> };
  diagErrors: string[];
  pending: Set<Promise<unknown>>;
  settle(): Promise<void>;
}

function harness(): Harness {
  const exporter = new InMemorySpanExporter();
  const counts = { started: 0, ended: new Map<object, number>() };
  const counting: SpanProcessor = {
    onStart: () => void counts.started++,
    onEnd: (s: ReadableSpan) => void counts.ended.set(s, (counts.ended.get(s) ?? 0) + 1),
    forceFlush: async () => undefined,
    shutdown: async () => undefined,
  };
  const provider = new BasicTracerProvider({ idGenerator: new ThreadTraceIdGenerator(), spanProcessors: [counting, new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('property');
  const diagErrors: string[] = [];
  const noop = () => undefined;
  const diag: DiagLogger = { error: (...m) => void diagErrors.push(m.map(String).join(' ')), warn: noop, info: noop, debug: noop, verbose: noop };
  const pending = new Set<Promise<unknown>>();
  const env: Services = {
    tracer: () => tracer,
    content: new ContentPolicy({ maxContentLength: 64 }, {}),
    cost: new CostModel(diag),
    metrics: () => undefined,
    diag,
    track: (work) => {
      const p = work.catch((err: unknown) => void diagErrors.push(`background work rejected: ${String(err)}`)).finally(() => pending.delete(p));
      pending.add(p);
    },
    fetchRunSteps: true,
    messageDeltaSpans: false,
    threadCost: 'process',
    traceScope: 'conversation',
    agentsSdkExport: true,
    maxEntities: 16,
    runTtlMs: 3_600_000,
  };
  const settle = async () => {
    while (pending.size) await Promise.allSettled([...pending]);
  };
  return { dispatcher: new CallDispatcher(env), exporter, counts, diagErrors, pending, settle };
}

/** Spans checked over all runs of a property, by kind (so a property that checks nothing fails). */
const checked = new Map<string, number>();
const tally = (key: string, n = 1) => checked.set(key, (checked.get(key) ?? 0) + n);

/** The invariants every run of every property must keep. */
function checkInvariants(h: Harness, property: string): void {
  assert.deepEqual(h.diagErrors, [], 'diag errors');
  const spans = h.exporter.getFinishedSpans();
  tally(`${property} spans`, spans.length);
  tally(`${property} run spans`, spans.filter((s) => s.name.startsWith('invoke_agent')).length);
  tally(`${property} step spans`, spans.filter((s) => /^(chat|execute_tool) /.test(s.name)).length);
  tally(`${property} response spans`, spans.filter((s) => s.attributes['spanlens.kind'] === 'agent_step' && s.attributes['gen_ai.response.id'] !== undefined && !s.parentSpanContext?.spanId).length);
  tally(`${property} item spans`, spans.filter((s) => s.attributes['spanlens.item.type'] !== undefined).length);
  assert.equal(h.counts.started, h.counts.ended.size, `${h.counts.started - h.counts.ended.size} span(s) never ended`);
  for (const n of h.counts.ended.values()) assert.equal(n, 1, 'a span ended twice');
  const ms = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;
  const byId = new Map<string, ReadableSpan>();
  for (const s of spans) {
    const key = `${s.spanContext().traceId}/${s.spanContext().spanId}`;
    assert.ok(!byId.has(key), `span id twice: ${s.name}`);
    byId.set(key, s);
    assert.ok(ms(s.endTime) >= ms(s.startTime), `${s.name} ends before it starts`);
  }
  for (const s of spans) {
    const parentId = s.parentSpanContext?.spanId;
    const threadId = s.attributes['openai.thread.id'];
    if (typeof threadId === 'string') assert.equal(s.spanContext().traceId, threadTraceId(threadId), `${s.name}: not in its thread's trace`);
    // A conversation's id has the standard key only (a chain's id there is a response id, resp_…).
    const conversationId = s.attributes['gen_ai.conversation.id'];
    if (typeof conversationId === 'string' && conversationId.startsWith('conv_'))
      assert.equal(s.spanContext().traceId, conversationTraceId(conversationId), `${s.name}: not in its conversation's trace`);
    if (!parentId) continue;
    const parent = byId.get(`${s.spanContext().traceId}/${parentId}`);
    assert.ok(parent, `${s.name}: parent ${parentId} not exported`);
    assert.ok(ms(s.startTime) >= ms(parent.startTime) - 0.001 && ms(s.endTime) <= ms(parent.endTime) + 0.001, `${s.name} outside its parent ${parent.name}`);
  }
}

let clock = 1_700_000_000_000;
function call(client: ObservedCall['client'], method: string, path: string, body: unknown, extra: Partial<ObservedCall> = {}): ObservedCall {
  const startTime = (clock += 7);
  return { client, ambient: ROOT_CONTEXT, startTime, endTime: (clock += 5), options: { method, path, body: extra.options?.body }, status: 200, body, bodyRead: true, stream: false, ...extra };
}

// ---- property 1: polled runs -----------------------------------------------------------------------
const polledOp = fc.oneof(
  fc.record({ kind: fc.constant('thread'), t: fc.nat(2) }),
  fc.record({ kind: fc.constantFrom('create', 'poll', 'submit', 'cancel'), t: fc.nat(2), r: fc.nat(3), seed: fc.nat() }),
  fc.record({ kind: fc.constant('poll_error'), t: fc.nat(2), r: fc.nat(3), status: fc.constantFrom(404, 429, 500, 503, undefined) }),
  fc.record({ kind: fc.constant('message'), t: fc.nat(2), text: fc.string({ maxLength: 100 }) }),
  fc.record({ kind: fc.constant('sweep') }),
);
const polledCase = fc.record({
  ops: fc.array(polledOp, { minLength: 1, maxLength: 25 }),
  bodies: fc.array(
    fc.tuple(fc.nat(2), fc.nat(3)).chain(([t, r]) => runObject(THREADS[t]!, RUN_IDS[r]!)),
    { minLength: 8, maxLength: 8 },
  ),
  steps: fc.array(fc.oneof(fc.constant('fail'), fc.record({ data: fc.array(stepObject(THREADS[0]!, RUN_IDS[0]!), { maxLength: 4 }), has_more: fc.boolean() })), { minLength: 1, maxLength: 3 }),
  maxEntities: fc.constantFrom(16, 10_000),
});

it(`property: polled runs with random run/step objects — never throws, every span ends once, tree and thread invariants (${RUNS.polled} runs)`, async () => {
  await fc.assert(
    fc.asyncProperty(polledCase, async ({ ops, bodies, steps }) => {
      const h = harness();
      let page = 0;
      const client = {
        baseURL: 'http://127.0.0.1:9/v1',
        get: async (_path: string) => {
          const s = steps[page++ % steps.length]!;
          if (s === 'fail') throw new Error('steps request failed');
          return { object: 'list', ...s };
        },
      };
      for (const op of ops) {
        const thread = 't' in op ? THREADS[op.t]! : THREADS[0]!;
        const run = 'r' in op ? RUN_IDS[op.r]! : RUN_IDS[0]!;
        const body = 'seed' in op ? { ...bodies[op.seed % bodies.length]!, thread_id: thread, id: run } : undefined;
        switch (op.kind) {
          case 'thread':
            h.dispatcher.handle(call(client, 'post', '/threads', { id: thread, object: 'thread', created_at: 1 }));
            break;
          case 'message':
            h.dispatcher.handle(
              call(
                client,
                'post',
                `/threads/${thread}/messages`,
                { id: `msg_${op.text.length}`, role: 'user', content: [{ type: 'text', text: { value: op.text } }] },
                { options: { body: { role: 'user', content: op.text } } },
              ),
            );
            break;
          case 'create':
            h.dispatcher.handle(call(client, 'post', `/threads/${thread}/runs`, body, { options: { body: { assistant_id: 'asst_1' } } }));
            break;
          case 'poll':
            h.dispatcher.handle(call(client, 'get', `/threads/${thread}/runs/${run}`, body));
            break;
          case 'submit':
            h.dispatcher.handle(
              call(client, 'post', `/threads/${thread}/runs/${run}/submit_tool_outputs`, body, {
                options: { body: { tool_outputs: [{ tool_call_id: 'call_A', output: 'x' }, { tool_call_id: 'call_B' }] } },
              }),
            );
            break;
          case 'cancel':
            h.dispatcher.handle(call(client, 'post', `/threads/${thread}/runs/${run}/cancel`, body));
            break;
          case 'poll_error':
            h.dispatcher.handle(
              call(client, 'get', `/threads/${thread}/runs/${run}`, undefined, { status: op.status, error: Object.assign(new Error('boom'), { status: op.status }), bodyRead: false }),
            );
            break;
          case 'sweep':
            h.dispatcher.runs.sweep(clock + 10 * 3_600_000);
            break;
        }
      }
      await h.settle();
      h.dispatcher.runs.endAll('shutdown');
      await h.settle();
      checkInvariants(h, 'polled');
    }),
    { numRuns: RUNS.polled },
  );
});

// ---- property 2: streamed runs (random event sequences, including submit streams) --------------------
const streamEvent = (threadId: string, runId: string) =>
  fc.oneof(
    fc.record({
      event: fc.constantFrom(
        'thread.run.created',
        'thread.run.queued',
        'thread.run.in_progress',
        'thread.run.requires_action',
        'thread.run.completed',
        'thread.run.failed',
        'thread.run.cancelled',
        'thread.run.expired',
        'thread.run.incomplete',
        'thread.run.future',
      ),
      data: runObject(threadId, runId),
    }),
    fc.record({
      event: fc.constantFrom('thread.run.step.created', 'thread.run.step.in_progress', 'thread.run.step.completed', 'thread.run.step.failed', 'thread.run.step.future'),
      data: stepObject(threadId, runId),
    }),
    fc.record({
      event: fc.constant('thread.run.step.delta'),
      data: fc.record({
        id: maybe(fc.constantFrom('step_1', 'step_2')),
        object: fc.constant('thread.run.step.delta'),
        delta: maybe(
          fc.record({
            step_details: maybe(
              fc.record({
                type: maybe(fc.constantFrom(...STEP_TYPES)),
                tool_calls: maybe(
                  fc.array(
                    fc.record({
                      index: maybe(fc.nat(2)),
                      id: maybe(fc.constantFrom('call_A', 'call_B')),
                      type: maybe(fc.constantFrom(...TOOL_TYPES)),
                      function: maybe(fc.record({ name: maybe(fc.string({ maxLength: 5 })), arguments: maybe(fc.string({ maxLength: 10 })) })),
                      code_interpreter: maybe(fc.record({ input: maybe(fc.string({ maxLength: 10 })) })),
                    }),
                    { maxLength: 2 },
                  ),
                ),
              }),
            ),
          }),
        ),
      }),
    }),
    fc.record({
      event: fc.constantFrom('thread.message.created', 'thread.message.completed', 'thread.message.incomplete'),
      data: fc.record({
        id: maybe(fc.constantFrom('msg_1', 'msg_2')),
        object: fc.constant('thread.message'),
        thread_id: maybe(fc.constant(threadId)),
        run_id: maybe(fc.constant(runId)),
        role: maybe(fc.constantFrom('assistant', 'user')),
        content: maybe(fc.array(fc.record({ type: maybe(fc.constantFrom('text', 'future_content')), text: maybe(fc.record({ value: maybe(fc.string({ maxLength: 20 })) })) }), { maxLength: 2 })),
      }),
    }),
    fc.record({
      event: fc.constant('thread.message.delta'),
      data: fc.record({
        id: maybe(fc.constantFrom('msg_1', 'msg_2')),
        delta: maybe(
          fc.record({
            content: maybe(
              fc.array(fc.record({ index: maybe(fc.nat(3)), type: maybe(fc.constant('text')), text: maybe(fc.record({ value: maybe(fc.string({ maxLength: 10 })) })) }), { maxLength: 2 }),
            ),
          }),
        ),
      }),
    }),
    fc.record({ event: fc.constant('thread.created'), data: fc.record({ id: maybe(fc.constant(threadId)), object: fc.constant('thread') }) }),
    fc.record({ event: fc.constant('error'), data: maybe(fc.record({ error: maybe(fc.record({ code: maybe(fc.string({ maxLength: 6 })), message: maybe(fc.string({ maxLength: 10 })) })) })) }),
    fc.record({ event: fc.constantFrom('done', 'future.event', 'message'), data: fc.constantFrom('[DONE]', '{}', 'null') }),
  );
const rawData = fc.oneof(fc.constant('{"truncated": '), fc.constant(''), fc.string({ maxLength: 12 }));
const streamCase = fc.record({
  streams: fc.array(
    fc.record({
      t: fc.nat(2),
      r: fc.nat(2),
      route: fc.constantFrom('create', 'create_and_run', 'submit'),
      events: fc
        .array(fc.oneof({ weight: 10, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: rawData }), { maxLength: 20 })
        .chain((shape) =>
          fc.tuple(
            ...shape.map((raw) =>
              raw === null
                ? streamEvent(THREADS[0]!, RUN_IDS[0]!).map((e) => ({ event: e.event, data: typeof e.data === 'string' ? e.data : (JSON.stringify(e.data) ?? 'null') }))
                : fc.constant({ event: 'thread.run.step.delta', data: raw }),
            ),
          ),
        ),
      outcome: fc.constantFrom<StreamOutcome>('done', 'truncated', 'aborted', 'error'),
      error: fc.constantFrom(undefined, Object.assign(new TypeError('terminated'), { cause: { code: 'ECONNRESET' } }), new Error('x')),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  polls: fc.array(fc.tuple(fc.nat(2), fc.nat(2)), { maxLength: 3 }),
});

it(`property: streamed runs with random event sequences — never throws, every span ends once, tree and thread invariants (${RUNS.streamed} runs)`, async () => {
  await fc.assert(
    fc.asyncProperty(streamCase, async ({ streams, polls }) => {
      const h = harness();
      const client = { baseURL: 'http://127.0.0.1:9/v1', get: async () => ({ object: 'list', data: [], has_more: false }) };
      for (const s of streams) {
        const thread = THREADS[s.t]!;
        const run = RUN_IDS[s.r]!;
        const path = s.route === 'create' ? `/threads/${thread}/runs` : s.route === 'create_and_run' ? '/threads/runs' : `/threads/${thread}/runs/${run}/submit_tool_outputs`;
        const c = call(client, 'post', path, undefined, {
          stream: true,
          bodyRead: false,
          options: { method: 'post', path, stream: true, body: { assistant_id: 'asst_1', tool_outputs: [{ tool_call_id: 'call_A', output: 'ok' }] } },
        });
        const sink = h.dispatcher.stream(c);
        assert.ok(sink, 'run streams get a sink');
        // The ids in the generated events name thread 0 / run 0; rewrite them to this stream's.
        for (const e of s.events) {
          const data = e.data.replaceAll(THREADS[0]!, thread).replaceAll(RUN_IDS[0]!, run);
          sink.event({ event: e.event, data } as SSEEvent, (clock += 3));
        }
        sink.end(s.outcome, (clock += 3), s.outcome === 'error' ? s.error : undefined);
        for (const [t, r] of polls)
          h.dispatcher.handle(call(client, 'get', `/threads/${THREADS[t]}/runs/${RUN_IDS[r]}`, { id: RUN_IDS[r], thread_id: THREADS[t], status: 'completed', object: 'thread.run' }));
      }
      await h.settle();
      h.dispatcher.runs.endAll('shutdown');
      await h.settle();
      checkInvariants(h, 'streamed');
    }),
    { numRuns: RUNS.streamed },
  );
});

// ---- property 4: Responses, Conversations, chat and embeddings -------------------------------------------
const CONVS = ['conv_C0', 'conv_C1'];
const RESP_IDS = ['resp_R0', 'resp_R1', 'resp_R2', 'resp_R3'];
const ITEM_TYPES = ['message', 'reasoning', 'function_call', 'code_interpreter_call', 'file_search_call', 'web_search_call', 'mcp_call', 'image_generation_call', 'future_call', 'future_item'];
const RESPONSE_STATUSES = ['queued', 'in_progress', 'completed', 'failed', 'cancelled', 'incomplete', 'future', ''];
const outputItem = fc.record({
  id: maybe(fc.constantFrom('msg_1', 'fc_1', 'fc_2', 'rs_1', 'ws_1')),
  type: maybe(fc.constantFrom(...ITEM_TYPES)),
  status: maybe(fc.constantFrom('completed', 'in_progress', 'failed', 'incomplete')),
  call_id: maybe(fc.constantFrom('call_A', 'call_B')),
  name: maybe(fc.constantFrom('get_weather', 'lookup')),
  arguments: maybe(fc.string({ maxLength: 20 })),
  role: maybe(fc.constant('assistant')),
  content: maybe(fc.array(fc.record({ type: maybe(fc.constantFrom('output_text', 'refusal', 'future')), text: maybe(fc.string({ maxLength: 20 })) }), { maxLength: 2 })),
  summary: maybe(fc.array(fc.record({ type: fc.constant('summary_text'), text: maybe(fc.string({ maxLength: 10 })) }), { maxLength: 2 })),
  container_id: maybe(fc.constantFrom('cntr_1', 'cntr_2')),
  code: maybe(fc.string({ maxLength: 10 })),
  outputs: maybe(fc.array(fc.record({ type: maybe(fc.constantFrom('logs', 'image')), logs: maybe(fc.string({ maxLength: 10 })) }), { maxLength: 2 })),
  results: maybe(fc.array(fc.record({ file_id: maybe(fc.string({ maxLength: 5 })), score: maybe(fc.double()), text: maybe(fc.string({ maxLength: 10 })) }), { maxLength: 2 })),
  queries: maybe(fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 })),
  action: maybe(fc.record({ type: maybe(fc.constant('search')), query: maybe(fc.string({ maxLength: 8 })) })),
  server_label: maybe(fc.string({ maxLength: 5 })),
  output: maybe(fc.string({ maxLength: 10 })),
  error: maybe(fc.oneof(fc.string({ maxLength: 5 }), fc.record({ code: maybe(fc.string({ maxLength: 5 })) }))),
  result: maybe(fc.constant('iVBORw0KGgo=')),
});
const responseUsage = maybe(
  fc.record({
    input_tokens: maybe(fc.nat(5000)),
    output_tokens: maybe(fc.nat(5000)),
    input_tokens_details: maybe(fc.record({ cached_tokens: maybe(fc.nat(100)) })),
    output_tokens_details: maybe(fc.record({ reasoning_tokens: maybe(fc.nat(100)) })),
  }),
);
const responseObject = fc.record({
  id: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...RESP_IDS) }, { weight: 1, arbitrary: junk }),
  object: fc.constant('response'),
  status: maybe(fc.constantFrom(...RESPONSE_STATUSES)),
  model: maybe(fc.constantFrom('gpt-4o-mini', 'gpt-5', 'future-model')),
  created_at: seconds,
  background: maybe(fc.boolean()),
  conversation: maybe(fc.oneof(fc.constant(null), fc.record({ id: maybe(fc.constantFrom(...CONVS)) }))),
  previous_response_id: maybe(fc.constantFrom(...RESP_IDS)),
  output: maybe(fc.array(outputItem, { maxLength: 4 })),
  usage: responseUsage,
  error: maybe(fc.record({ code: maybe(fc.string({ maxLength: 6 })), message: maybe(fc.string({ maxLength: 10 })) })),
  incomplete_details: maybe(fc.record({ reason: maybe(fc.constantFrom('max_output_tokens', 'content_filter')) })),
});
const responseRequest = fc.record({
  model: maybe(fc.constantFrom('gpt-4o-mini', 'gpt-5')),
  input: maybe(
    fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.array(
        fc.oneof(
          fc.record({
            role: fc.constantFrom('user', 'assistant', 'system'),
            content: maybe(fc.oneof(fc.string({ maxLength: 10 }), fc.array(fc.record({ type: fc.constant('input_text'), text: maybe(fc.string({ maxLength: 10 })) }), { maxLength: 2 }))),
          }),
          fc.record({
            type: fc.constant('function_call_output'),
            call_id: maybe(fc.constantFrom('call_A', 'call_B')),
            output: maybe(fc.oneof(fc.string({ maxLength: 10 }), fc.json({ maxDepth: 1 }))),
          }),
        ),
        { maxLength: 3 },
      ),
    ),
  ),
  conversation: maybe(fc.oneof(fc.constantFrom(...CONVS), fc.record({ id: maybe(fc.constantFrom(...CONVS)) }))),
  previous_response_id: maybe(fc.constantFrom(...RESP_IDS)),
  tools: maybe(fc.array(fc.record({ type: fc.constantFrom('function', 'file_search', 'web_search'), vector_store_ids: maybe(fc.array(fc.constant('vs_1'), { maxLength: 1 })) }), { maxLength: 2 })),
  temperature: maybe(fc.double({ min: 0, max: 2, noNaN: true })),
  instructions: maybe(fc.string({ maxLength: 10 })),
});
const responseEvent = fc.oneof(
  fc.record({
    event: fc.constantFrom('response.created', 'response.queued', 'response.in_progress', 'response.completed', 'response.failed', 'response.incomplete'),
    data: responseObject.map((response) => ({ type: 'x', response })),
  }),
  fc.record({ event: fc.constantFrom('response.output_item.added', 'response.output_item.done'), data: fc.record({ output_index: maybe(fc.nat(3)), item: maybe(outputItem) }) }),
  fc.record({
    event: fc.constantFrom('response.output_text.delta', 'response.function_call_arguments.delta', 'response.future.delta'),
    data: fc.record({ output_index: maybe(fc.nat(3)), delta: maybe(fc.string({ maxLength: 5 })) }),
  }),
  fc.record({
    event: fc.constantFrom('error', 'response.content_part.added', 'future.event', 'message'),
    data: fc.record({ type: maybe(fc.constantFrom('error', 'response.completed', 'response.output_text.delta')), code: maybe(fc.string({ maxLength: 5 })), output_index: maybe(fc.nat(3)) }),
  }),
);
const responseOp = fc.oneof(
  fc.record({ kind: fc.constantFrom('create', 'retrieve', 'cancel'), request: responseRequest, body: responseObject, error: fc.boolean() }),
  fc.record({
    kind: fc.constant('stream'),
    request: responseRequest,
    retrieve: fc.boolean(),
    events: fc.array(
      fc.oneof(
        { weight: 10, arbitrary: responseEvent.map((e) => ({ event: e.event, data: JSON.stringify(e.data) ?? 'null' })) },
        { weight: 1, arbitrary: rawData.map((data) => ({ event: 'response.completed', data })) },
      ),
      { maxLength: 15 },
    ),
    outcome: fc.constantFrom<StreamOutcome>('done', 'truncated', 'aborted', 'error'),
  }),
  fc.record({
    kind: fc.constantFrom('conversation', 'items'),
    c: fc.nat(1),
    items: fc.array(
      fc.oneof(
        fc.record({ type: fc.constant('message'), role: fc.constantFrom('user', 'assistant'), content: fc.string({ maxLength: 10 }) }),
        fc.record({ type: fc.constant('function_call_output'), call_id: fc.constantFrom('call_A', 'call_B'), output: fc.string({ maxLength: 5 }) }),
      ),
      { maxLength: 3 },
    ),
  }),
  fc.record({
    kind: fc.constantFrom('chat', 'embeddings'),
    body: fc.json({ maxDepth: 3 }).map((j) => JSON.parse(j) as unknown),
    stream: fc.array(fc.oneof(fc.json({ maxDepth: 3 }), fc.constant('[DONE]')), { maxLength: 5 }),
    outcome: fc.constantFrom<StreamOutcome>('done', 'truncated', 'aborted', 'error'),
  }),
  fc.record({ kind: fc.constant('sweep') }),
);

it(`property: responses, conversations, chat and embeddings with random objects and events — never throws, every span ends once, tree and conversation invariants (${RUNS.responses} runs)`, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(responseOp, { minLength: 1, maxLength: 20 }), async (ops) => {
      const h = harness();
      const client = { baseURL: 'http://127.0.0.1:9/v1', get: async () => ({ object: 'list', data: [], has_more: false }) };
      for (const op of ops) {
        switch (op.kind) {
          case 'create':
          case 'retrieve':
          case 'cancel': {
            const id = typeof op.body.id === 'string' ? op.body.id : RESP_IDS[0]!;
            const path = op.kind === 'create' ? '/responses' : op.kind === 'retrieve' ? `/responses/${id}` : `/responses/${id}/cancel`;
            const failed = op.error ? { status: 500, error: Object.assign(new Error('boom'), { status: 500 }), bodyRead: false, body: undefined } : {};
            h.dispatcher.handle(call(client, op.kind === 'retrieve' ? 'get' : 'post', path, op.body, { options: { method: 'post', path, body: op.request }, ...failed }));
            break;
          }
          case 'stream': {
            const path = op.retrieve ? `/responses/${RESP_IDS[1]}` : '/responses';
            const c = call(client, op.retrieve ? 'get' : 'post', path, undefined, {
              stream: true,
              bodyRead: false,
              options: { method: op.retrieve ? 'get' : 'post', path, stream: true, body: op.retrieve ? undefined : op.request },
            });
            const sink = h.dispatcher.stream(c);
            assert.ok(sink, 'response streams get a sink');
            for (const e of op.events) sink.event({ event: e.event, data: e.data } as SSEEvent, (clock += 3));
            sink.end(op.outcome, (clock += 3), op.outcome === 'error' ? new Error('cut') : undefined);
            break;
          }
          case 'conversation':
            h.dispatcher.handle(
              call(client, 'post', '/conversations', { id: CONVS[op.c], object: 'conversation' }, { options: { method: 'post', path: '/conversations', body: { items: op.items } } }),
            );
            break;
          case 'items':
            h.dispatcher.handle(
              call(
                client,
                'post',
                `/conversations/${CONVS[op.c]}/items`,
                { object: 'list', data: [] },
                { options: { method: 'post', path: `/conversations/${CONVS[op.c]}/items`, body: { items: op.items } } },
              ),
            );
            break;
          case 'chat':
          case 'embeddings': {
            const path = op.kind === 'chat' ? '/chat/completions' : '/embeddings';
            h.dispatcher.handle(call(client, 'post', path, op.body, { options: { method: 'post', path, body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] } } }));
            if (op.kind === 'chat') {
              const sink = h.dispatcher.stream(
                call(client, 'post', path, undefined, { stream: true, bodyRead: false, options: { method: 'post', path, stream: true, body: { model: 'gpt-4o-mini' } } }),
              )!;
              for (const d of op.stream) sink.event({ event: 'message', data: d }, (clock += 3));
              sink.end(op.outcome, (clock += 3), op.outcome === 'error' ? new Error('cut') : undefined);
            }
            break;
          }
          case 'sweep':
            h.dispatcher.responses.sweep(clock + 10 * 3_600_000);
            break;
        }
      }
      await h.settle();
      h.dispatcher.endAll('shutdown');
      await h.settle();
      checkInvariants(h, 'responses');
      for (const s of h.exporter.getFinishedSpans()) for (const v of Object.values(s.attributes)) assert.ok(!String(v).includes('iVBORw0KGgo'), 'image bytes on a span');
    }),
    { numRuns: RUNS.responses },
  );
});

// Regressions found by the properties above, kept as fixed cases (random seeds differ per run).
it('found by the properties: a response or run first seen with created_at 0 keeps its items inside it; a stray % in a path id is no internal error', async () => {
  const h = harness();
  const client = { baseURL: 'http://127.0.0.1:9/v1', get: async () => ({ object: 'list', data: [], has_more: false }) };
  const output = [{ id: 'msg_1', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'hi' }] }];
  h.dispatcher.handle(call(client, 'post', '/responses/resp_R0/cancel', { id: 'resp_R0', object: 'response', status: 'completed', model: 'gpt-4o-mini', created_at: 0, output }));
  h.dispatcher.handle(call(client, 'get', '/threads/thread_P0/runs/run_R0', { id: 'run_R0', object: 'thread.run', thread_id: 'thread_P0', status: 'completed', created_at: 0 }));
  h.dispatcher.handle(call(client, 'post', '/responses/%/cancel', { id: '%', object: 'response', status: 'queued' }));
  await h.settle();
  h.dispatcher.endAll('shutdown');
  await h.settle();
  checkInvariants(h, 'regressions');
  assert.equal(h.exporter.getFinishedSpans().filter((s) => s.name === 'message').length, 1);
});

// ---- property 3: the stream tap is transparent --------------------------------------------------------
const sseText = fc
  .array(
    fc.oneof(
      fc
        .record({
          event: fc.constantFrom('thread.run.created', 'thread.message.delta', 'done', 'error'),
          data: fc.oneof(fc.json({ maxDepth: 2 }), fc.constant('[DONE]'), fc.string({ maxLength: 20 })),
        })
        .map((e) => `event: ${e.event}\ndata: ${e.data.replace(/[\r\n]/g, ' ')}\n\n`),
      fc.constantFrom(': comment\n', 'data: a\ndata: b\n\n', 'retry: 10\n', '\r\n', 'event: x\r\ndata: é€😀\r\n\r\n'),
    ),
    { maxLength: 12 },
  )
  .map((parts) => Buffer.from(parts.join(''), 'utf8'));
const tapCase = fc.record({ bytes: sseText, cuts: fc.array(fc.nat(), { maxLength: 12 }), kind: fc.constantFrom('web-reader', 'web-iterate', 'web-pipe', 'node'), cancelAfter: fc.option(fc.nat(6)) });

function chunksOf(bytes: Buffer, cuts: number[]): Buffer[] {
  const offsets = [...new Set(cuts.map((c) => (bytes.length ? c % bytes.length : 0)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const o of offsets) if (o > at) out.push(bytes.subarray(at, (at = o)));
  if (at < bytes.length) out.push(bytes.subarray(at));
  return out;
}

it(`property: the stream tap gives the consumer the same bytes and its sink the decoded events, ending it once (${RUNS.tap} runs)`, async () => {
  await fc.assert(
    fc.asyncProperty(tapCase, async ({ bytes, cuts, kind, cancelAfter }) => {
      const chunks = chunksOf(bytes, cuts);
      const events: SSEEvent[] = [];
      const ends: StreamOutcome[] = [];
      const sink = { event: (e: SSEEvent) => void events.push(e), item: () => undefined, end: (o: StreamOutcome) => void ends.push(o) };
      const body =
        kind !== 'node'
          ? new ReadableStream<Uint8Array>({
              start(c) {
                for (const ch of chunks) c.enqueue(new Uint8Array(ch));
                c.close();
              },
            })
          : Readable.from(
              chunks.map((c) => Buffer.from(c)),
              { objectMode: false },
            );
      const response = { body } as { body: unknown };
      tapStream(response, sink, {}, (err) => {
        throw err;
      });
      const got: Buffer[] = [];
      let cancelled = false;
      // The three ways a web body is consumed: a reader (the tap watches its reads), async iteration (the
      // SDK's way in openai 5+; watched the same way), and pipeTo (through a pulled copy).
      if (kind === 'web-reader') {
        const reader = (response.body as ReadableStream<Uint8Array>).getReader();
        for (;;) {
          if (cancelAfter !== null && got.length === cancelAfter) {
            await reader.cancel();
            cancelled = true;
            break;
          }
          const { done, value } = await reader.read();
          if (done) break;
          got.push(Buffer.from(value));
        }
      } else if (kind === 'web-iterate') {
        for await (const value of response.body as AsyncIterable<Uint8Array>) {
          // as Node's web streams are
          if (cancelAfter !== null && got.length === cancelAfter) {
            cancelled = true;
            break; // cancels the stream
          }
          got.push(Buffer.from(value));
        }
      } else if (kind === 'web-pipe') {
        const abort = new AbortController();
        const sinkStream = new WritableStream<Uint8Array>({
          write(value) {
            if (cancelAfter !== null && got.length === cancelAfter) {
              cancelled = true;
              abort.abort();
              return;
            }
            got.push(Buffer.from(value));
          },
        });
        await (response.body as ReadableStream<Uint8Array>).pipeTo(sinkStream, { signal: abort.signal }).catch((err: unknown) => {
          if (!cancelled) throw err;
        });
      } else {
        const stream = response.body as PassThrough;
        for await (const ch of stream) {
          if (cancelAfter !== null && got.length === cancelAfter) {
            cancelled = true;
            break; // destroys the stream
          }
          got.push(Buffer.from(ch as Buffer));
        }
        await new Promise((r) => setImmediate(r));
      }
      assert.equal(ends.length, 1, `sink ended ${ends.length} times`);
      if (!cancelled) {
        assert.ok(Buffer.concat(got).equals(bytes), 'the consumer got other bytes');
        const whole = new SSEDecoder();
        const reference = whole.push(bytes);
        assert.deepEqual(
          events.map((e) => [e.event, e.data]),
          reference.map((e) => [e.event, e.data]),
          'events differ from decoding the whole text',
        );
        assert.equal(ends[0], events.some((e) => e.event === 'done') ? 'done' : 'truncated');
      } else {
        assert.ok(Buffer.concat(got).equals(Buffer.concat(chunks.slice(0, got.length))), 'a prefix of the chunks');
        // web bodies read through a reader or iterator are pulled on demand: the app's cancel is what ends them.
        // A pipe reads one chunk ahead, and a Node body (openai 4's node-fetch) is buffered ahead of the app,
        // so their end may be seen before the app breaks off.
        if (kind === 'web-reader' || kind === 'web-iterate') assert.equal(ends[0], 'aborted');
        else assert.ok(['aborted', 'truncated', 'done'].includes(ends[0]!), String(ends[0]));
      }
    }),
    { numRuns: RUNS.tap },
  );
});

it('the properties checked real trees (spans of every kind), and how many', () => {
  console.log(
    `[properties] runs per property: polled ${RUNS.polled}, streamed ${RUNS.streamed}, responses ${RUNS.responses}, stream tap ${RUNS.tap}; total ${RUNS.polled + RUNS.streamed + RUNS.responses + RUNS.tap}`,
  );
  console.log(`[properties] spans checked: ${JSON.stringify(Object.fromEntries(checked))}`);
  for (const p of ['polled', 'streamed']) {
    for (const kind of ['run spans', 'step spans']) assert.ok((checked.get(`${p} ${kind}`) ?? 0) > RUNS[p as 'polled'] / 20, `${p}: too few ${kind} checked`);
  }
  // Floors well under what random cases give (item spans: 60-110 in 300 runs), so only a generator gone wrong trips them.
  for (const kind of ['response spans', 'item spans']) assert.ok((checked.get(`responses ${kind}`) ?? 0) > RUNS.responses / 10, `responses: too few ${kind} checked`);
});
