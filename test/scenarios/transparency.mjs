// App code for the differential transparency and fault suite (test/transparency.test.ts): every
// Assistants flow an app writes (polled by hand and by the SDK's helpers, streamed with AssistantStream
// handlers, raw responses, pagination), and the same flows with an emulator fault on one call. It returns
// a transcript of exactly what the app saw — values, error classes and messages, event order — with
// the only run-dependent values (timestamps, request ids) normalised, so the transcript with the
// instrumentation must deep-equal the one without.
// args: { flow, script?, tools?, fault?, faultOn?, client?: {maxRetries, timeout}, allCalls?: fault on every call }
const TERMINAL = ['completed', 'failed', 'cancelled', 'expired', 'incomplete'];

/** Timestamps (`*_at`) become their type; everything else is kept. */
export function norm(value) {
  if (Array.isArray(value)) return value.map(norm);
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = /_at$/.test(k) && typeof v === 'number' ? 'number' : norm(v);
    return out;
  }
  return value;
}

export function describe(e) {
  if (!e || typeof e !== 'object') return { thrown: String(e) };
  // Emulator ports differ between the two runs; nothing else in a message may.
  const message = typeof e.message === 'string' ? e.message.replace(/127\.0\.0\.1:\d+/g, 'HOST') : e.message;
  return { error: e.constructor?.name, name: e.name, message, status: e.status ?? null, code: e.code ?? null, type: e.type ?? null, param: e.param ?? null };
}

export default async function transparency(ctx) {
  const { flow, script = 'answer', tools = [] } = ctx.args;
  const fault = ctx.args.fault;
  const faultHeaders = fault ? { 'x-emulator-fault': fault } : undefined;
  // allCalls: the fault on every request of the client, the instrumentation's own (steps fetch) too.
  const { api } = ctx.makeClient({ maxRetries: 0, ...(ctx.args.client ?? {}), ...(ctx.args.allCalls && fault ? { defaultHeaders: faultHeaders } : {}) });
  const log = [];
  const on = (name) => (ctx.args.faultOn === name ? { headers: faultHeaders } : undefined);
  // deadlineMs: a call that never settles (openai 4's node-fetch waits forever for a body cut after the
  // headers) is logged as hung after that long, and the app moves on.
  const withDeadline = (p) => {
    if (!ctx.args.deadlineMs) return p;
    let timer;
    const hung = new Promise((resolve) => (timer = setTimeout(() => resolve({ hung: true }), ctx.args.deadlineMs)));
    return Promise.race([p, hung]).finally(() => clearTimeout(timer));
  };
  const step = async (label, fn) => {
    try {
      const value = await withDeadline(fn());
      log.push({ label, value: norm(value) });
      return value;
    } catch (e) {
      log.push({ label, ...describe(e) });
      return undefined;
    }
  };
  const weather = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };
  const outputsFor = (run) => (run?.required_action?.submit_tool_outputs?.tool_calls ?? []).map((c) => ({ tool_call_id: c.id, output: `{"temp": 21, "call": "${c.function?.name}"}` }));

  const assistant = await api.assistants.create({
    name: 'Transparent agent',
    model: 'gpt-4o-mini',
    instructions: 'Be brief.',
    tools: tools.length ? tools : script === 'function' ? [weather] : [],
    metadata: { script },
  });
  let threadId;

  /** The app's own polling loop; a failed poll is logged and polling goes on (as robust apps do). */
  const pollLoop = async (run) => {
    let polls = 0;
    while (run && !TERMINAL.includes(run.status) && polls++ < 100) {
      if (run.status === 'requires_action') {
        const next = await step('submit', () => api.runs.submitToolOutputs(threadId, run.id, { tool_outputs: outputsFor(run) }, on('submit')));
        if (!next) return run;
        run = next;
        continue;
      }
      const next = await step(`poll ${polls}`, () => api.runs.retrieve(threadId, run.id, polls === 2 ? on('poll') : undefined));
      if (next) run = next;
    }
    return run;
  };

  switch (flow) {
    case 'polled': {
      const thread = await step('thread', () => api.threads.create(undefined, on('thread')));
      threadId = thread?.id ?? (await api.threads.create()).id;
      await step('message', () => api.messages.create(threadId, { role: 'user', content: ctx.args.content ?? 'What is the weather in Paris?' }, on('message')));
      const run = await step('run', () => api.runs.create(threadId, { assistant_id: assistant.id }, on('run')));
      const final = await pollLoop(run);
      log.push({ final: final?.status });
      await step('messages', async () =>
        (await api.messages.list(threadId, { order: 'asc' }, on('list'))).data.map((m) => ({
          id: m.id,
          role: m.role,
          text: m.content?.[0]?.text?.value?.slice(0, 200),
          length: m.content?.[0]?.text?.value?.length,
        })),
      );
      break;
    }
    case 'helpers': {
      const thread = await api.threads.create({ messages: [{ role: 'user', content: 'Weather in Oslo?' }] });
      threadId = thread.id;
      let run = await step('createAndPoll', () => api.runs.createAndPoll(threadId, { assistant_id: assistant.id }, { pollIntervalMs: 5, ...on('run') }));
      while (run?.status === 'requires_action') {
        run = await step('submitToolOutputsAndPoll', () => api.runs.submitToolOutputsAndPoll(threadId, run.id, { tool_outputs: outputsFor(run) }, { pollIntervalMs: 5 }));
      }
      const cancelled = await api.runs.create(threadId, { assistant_id: assistant.id, metadata: { script: 'cancel' } });
      await step('cancel', () => api.runs.cancel(threadId, cancelled.id));
      await step('poll', () => api.runs.poll(threadId, cancelled.id, { pollIntervalMs: 5 }));
      const car = await step('createAndRunPoll', () => api.threads.createAndRunPoll({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: 'Hi' }] } }, { pollIntervalMs: 5 }));
      log.push({ createAndRunThread: car?.thread_id });
      break;
    }
    case 'raw': {
      // .withResponse() and .asResponse() on create, retrieve, list and a run; the body read by the app.
      const { data, response } = await api.threads.create({ messages: [{ role: 'user', content: 'raw' }] }).withResponse();
      threadId = data.id;
      log.push({ withResponse: norm(data), status: response.status, type: response.headers.get('content-type') });
      const raw = await api.threads.retrieve(threadId).asResponse();
      log.push({ asResponse: raw.status, body: norm(await raw.json()) });
      const listed = await api.messages.list(threadId).withResponse();
      log.push({ listWithResponse: listed.data.data.map((m) => m.id), status: listed.response.status });
      const rawRun = await api.runs.create(threadId, { assistant_id: assistant.id }).asResponse();
      const runBody = await rawRun.json();
      log.push({ runAsResponse: rawRun.status, run: norm(runBody) });
      const polled = await api.runs.poll(threadId, runBody.id, { pollIntervalMs: 5 });
      log.push({ polled: polled.status });
      // A body the app never reads: the instrumentation must not read it either (nor hold the call open).
      const unread = await api.threads.retrieve(threadId).asResponse();
      log.push({ unread: unread.status, bodyUsed: unread.bodyUsed });
      await unread.text();
      break;
    }
    case 'pagination': {
      const thread = await api.threads.create();
      threadId = thread.id;
      for (let i = 0; i < 7; i++) await api.messages.create(threadId, { role: 'user', content: `message ${i}` });
      const seen = [];
      for await (const m of api.messages.list(threadId, { limit: 2, order: 'asc' })) seen.push(m.id);
      log.push({ forAwait: seen });
      let page = await api.messages.list(threadId, { limit: 3, order: 'asc' });
      const pages = [page.data.map((m) => m.id)];
      while (page.hasNextPage()) {
        page = await page.getNextPage();
        pages.push(page.data.map((m) => m.id));
      }
      log.push({ pages });
      const iter = [];
      for await (const p of (await api.messages.list(threadId, { limit: 4, order: 'desc' })).iterPages()) iter.push(p.data.length);
      log.push({ iterPages: iter });
      // Breaking out of a list early.
      let n = 0;
      for await (const _m of api.messages.list(threadId, { limit: 2 })) if (++n === 3) break;
      log.push({ brokeAfter: n });
      const assistants = [];
      for await (const a of api.assistants.list({ limit: 1 })) if (assistants.push(a.id) >= 3) break;
      log.push({ assistants: assistants.length });
      break;
    }
    case 'stream-handlers': {
      // Every AssistantStream handler, in order, then the stream's accumulated state.
      const thread = await api.threads.create({ messages: [{ role: 'user', content: 'Weather?' }] });
      threadId = thread.id;
      const stream = api.runs.stream(threadId, { assistant_id: assistant.id }, on('run'));
      const names = [
        'connect',
        'runStepCreated',
        'runStepDelta',
        'runStepDone',
        'messageCreated',
        'messageDelta',
        'messageDone',
        'textCreated',
        'textDelta',
        'textDone',
        'toolCallCreated',
        'toolCallDelta',
        'toolCallDone',
        'imageFileDone',
        'end',
      ];
      for (const name of names) stream.on(name, (a) => log.push({ on: name, id: a?.id ?? a?.value ?? null }));
      stream.on('error', (e) => log.push({ on: 'error', ...describe(e) }));
      let run;
      try {
        run = await stream.finalRun();
      } catch (e) {
        log.push({ finalRun: describe(e) });
      }
      while (run?.status === 'requires_action') {
        const next = api.runs.submitToolOutputsStream(threadId, run.id, { tool_outputs: outputsFor(run) });
        next.on('textDelta', (d) => log.push({ submitText: d.value }));
        run = await next.finalRun().catch((e) => log.push({ submitFinal: describe(e) }) && undefined);
      }
      log.push({ finalRun: run?.status, current: stream.currentRun()?.status ?? null });
      await step('finalRunSteps', async () => (await stream.finalRunSteps()).map((s) => s.type));
      await step('finalMessages', async () => (await stream.finalMessages()).map((m) => m.id));
      break;
    }
    case 'stream-raw': {
      // stream: true, iterated with for await (the fault, if any, on the create call).
      const thread = await api.threads.create({ messages: [{ role: 'user', content: 'Weather?' }] });
      threadId = thread.id;
      try {
        let stream = await api.runs.create(threadId, { assistant_id: assistant.id, stream: true }, on('run'));
        for (let round = 0; stream && round < 5; round++) {
          let next;
          for await (const e of stream) {
            log.push({ event: e.event, id: e.data?.id ?? null, status: e.data?.status ?? null });
            if (e.event === 'thread.run.requires_action') next = await api.runs.submitToolOutputs(threadId, e.data.id, { tool_outputs: outputsFor(e.data), stream: true });
          }
          stream = next;
        }
      } catch (e) {
        log.push(describe(e));
      }
      break;
    }
    case 'readable-roundtrip': {
      // toReadableStream() handed to AssistantStream.fromReadableStream (a server relaying to a browser).
      const thread = await api.threads.create({ messages: [{ role: 'user', content: 'Relay' }] });
      threadId = thread.id;
      const stream = api.runs.stream(threadId, { assistant_id: assistant.id });
      const AssistantStream = stream.constructor;
      const relayed = stream.toReadableStream();
      if (typeof AssistantStream?.fromReadableStream === 'function') {
        const back = AssistantStream.fromReadableStream(relayed);
        for await (const e of back) log.push({ relayed: e.event });
      } else {
        const reader = relayed.getReader();
        const dec = new TextDecoder();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          for (const line of dec.decode(value).split('\n').filter(Boolean)) log.push({ relayed: JSON.parse(line).event });
        }
      }
      break;
    }
    default:
      throw new Error(`unknown flow ${flow}`);
  }
  return { threadId, assistantId: assistant.id, log };
}
