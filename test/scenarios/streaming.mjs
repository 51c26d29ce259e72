// App code that streams runs, every way the SDK offers, recording exactly what the app sees (a
// transcript): the differential test compares it with and without the instrumentation.
// args: { flow, script?, tools?, fault?, breakAfter?, abortAfter? }
import { garbageCollector } from './gc.mjs';

export default async function streaming(ctx) {
  const { api } = ctx.makeClient({ maxRetries: 0 });
  const { flow, script = 'answer', tools = [] } = ctx.args;
  const log = [];
  const headers = ctx.args.fault ? { 'x-emulator-fault': ctx.args.fault } : undefined;
  const assistant = await api.assistants.create({ name: 'Stream agent', model: 'gpt-4o-mini', instructions: 'Answer briefly.', tools, metadata: { script } });
  const question = { role: 'user', content: ctx.args.question ?? 'What is the weather in Paris today?' };
  const outputsFor = (run) => run.required_action.submit_tool_outputs.tool_calls.map((c) => ({ tool_call_id: c.id, output: `{"temp": 21, "call": "${c.function.name}"}` }));
  // After the app aborts, what still arrives (events, how iteration ends) depends on network timing, with
  // or without tracing: the transcript stops there.
  let frozen = false;
  const push = (entry) => {
    if (!frozen) log.push(entry);
  };
  // A copy: AssistantStream keeps accumulating into objects it already emitted.
  const record = (e) =>
    push({ event: e.event, id: e.data?.id, status: e.data?.status, delta: e.event === 'thread.message.delta' || e.event === 'thread.run.step.delta' ? structuredClone(e.data.delta) : undefined });

  // The events of a raw SSE body the app read itself.
  const recordSSE = (text) => {
    for (const block of text.split('\n\n')) {
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event) record({ event, data: data && data !== '[DONE]' ? JSON.parse(data) : undefined });
    }
  };

  // Iterates a raw Stream of events (stream: true), answering requires_action with a streamed submit.
  const iterate = async (stream, threadId, submitWith) => {
    let n = 0;
    for await (const e of stream) {
      record(e);
      n++;
      if (ctx.args.breakAfter && n >= ctx.args.breakAfter) break;
      // cancel script: the run streams in_progress until the app cancels it from another request
      if (ctx.args.cancelOn === e.event) await api.runs.cancel(threadId ?? e.data.thread_id, e.data.id);
      if (e.event === 'thread.run.requires_action') {
        const next = await submitWith(threadId, e.data);
        await iterate(next, threadId, submitWith);
      }
    }
  };
  // AssistantStream helpers: handlers, then finalRun/finalMessages; requires_action answered with submitToolOutputsStream.
  const helper = async (stream) => {
    stream
      .on('event', (e) => record(e))
      .on('textDelta', (d) => push({ textDelta: d.value }))
      .on('toolCallDone', (t) => push({ toolCallDone: t.type, id: t.id }))
      .on('messageDone', (m) => push({ messageDone: m.id, text: m.content?.[0]?.text?.value }));
    if (ctx.args.abortAfter) {
      let n = 0;
      stream.on('textDelta', () => {
        if (++n === ctx.args.abortAfter) {
          stream.abort();
          push({ aborted: true });
          frozen = true;
        }
      });
    }
    let run;
    try {
      run = await stream.finalRun();
    } catch (e) {
      push({ error: e.constructor.name, message: e.message });
      return log;
    }
    while (run.status === 'requires_action') {
      const next = api.runs.submitToolOutputsStream(run.thread_id, run.id, { tool_outputs: outputsFor(run) });
      next.on('event', (e) => record(e));
      run = await next.finalRun();
    }
    push({ finalRun: run.status, usage: run.usage });
    const messages = await stream.finalMessages().catch((e) => ({ error: e.constructor.name }));
    push({ finalMessages: Array.isArray(messages) ? messages.map((m) => m.id) : messages });
    return log;
  };

  let threadId;
  try {
    if (flow === 'createAndRunStream') {
      const stream = api.threads.createAndRunStream({ assistant_id: assistant.id, thread: { messages: [question] } });
      await helper(stream);
      threadId = log.find((e) => e.event === 'thread.created')?.id;
    } else if (flow === 'createAndRun-stream-true') {
      const stream = await api.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [question] }, stream: true }, { headers });
      let t;
      await iterate(stream, undefined, async (_t, run) => {
        t = run.thread_id;
        return api.runs.submitToolOutputs(run.thread_id, run.id, { tool_outputs: outputsFor(run), stream: true });
      });
      threadId = log.find((e) => e.event === 'thread.created')?.id ?? t;
    } else {
      const thread = await api.threads.create({ messages: [question] });
      threadId = thread.id;
      if (flow === 'stream' || flow === 'createAndStream') {
        const stream = flow === 'stream' ? api.runs.stream(thread.id, { assistant_id: assistant.id }, { headers }) : api.runs.createAndStream(thread.id, { assistant_id: assistant.id }, { headers });
        await helper(stream);
      } else if (flow === 'create-stream-true') {
        const stream = await api.runs.create(thread.id, { assistant_id: assistant.id, stream: true }, { headers });
        await iterate(stream, thread.id, (t, run) => api.runs.submitToolOutputs(t, run.id, { tool_outputs: outputsFor(run), stream: true }));
      } else if (flow === 'withResponse') {
        const { data: stream, response } = await api.runs.create(thread.id, { assistant_id: assistant.id, stream: true }).withResponse();
        push({ status: response.status, contentType: response.headers.get('content-type') });
        await iterate(stream, thread.id, () => undefined);
      } else if (flow === 'toReadableStream') {
        const stream = api.runs.stream(thread.id, { assistant_id: assistant.id });
        const reader = stream.toReadableStream().getReader();
        const decoder = new TextDecoder();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          for (const line of decoder.decode(value).split('\n').filter(Boolean)) {
            const e = JSON.parse(line);
            record(e);
          }
        }
      } else if (flow === 'tee') {
        const stream = await api.runs.create(thread.id, { assistant_id: assistant.id, stream: true });
        const [a, b] = stream.tee();
        const names = async (s) => {
          const out = [];
          for await (const e of s) out.push(e.event);
          return out;
        };
        const [na, nb] = await Promise.all([names(a), names(b)]);
        push({ teeA: na, teeB: nb });
      } else if (flow === 'asResponse') {
        // The app reads the raw SSE body itself: no Stream is made, the instrumentation decodes the bytes.
        const response = await api.runs.create(thread.id, { assistant_id: assistant.id, stream: true }, { headers }).asResponse();
        recordSSE(await response.text());
      } else if (flow === 'body-reader') {
        // The app keeps only the raw body's reader, never the Response, and collects garbage between
        // reads: a stream still being read must not be taken for one the app dropped.
        const bodyOnly = async () => (await api.runs.create(thread.id, { assistant_id: assistant.id, stream: true }, { headers }).asResponse()).body;
        const body = await bodyOnly(); // no register of this frame holds the Response
        const gc = garbageCollector();
        const decoder = new TextDecoder();
        let text = '';
        // a web ReadableStream (fetch), or a Node Readable (node-fetch, openai 4)
        const reader = typeof body.getReader === 'function' ? body.getReader() : body[Symbol.asyncIterator]();
        const read = () => (reader.read ? reader.read() : reader.next());
        for (let r = await read(); !r.done; r = await read()) {
          text += decoder.decode(r.value, { stream: true });
          gc();
          await new Promise((resolve) => setTimeout(resolve, 1)); // finalizers run between tasks
        }
        recordSSE(text + decoder.decode());
      } else if (flow === 'signal') {
        const controller = new AbortController();
        const stream = await api.runs.create(thread.id, { assistant_id: assistant.id, stream: true }, { signal: controller.signal });
        let n = 0;
        for await (const e of stream) {
          record(e);
          if (++n === (ctx.args.abortAfter ?? 5)) {
            controller.abort();
            push({ aborted: true });
            frozen = true;
          }
        }
      } else {
        throw new Error(`unknown flow ${flow}`);
      }
    }
  } catch (e) {
    push({ error: e.constructor.name, message: e.message, status: e.status });
  }
  return { threadId, assistantId: assistant.id, log };
}
