// npm run demo — the seed's scenario, traced: a "Support agent" on gpt-4o-mini with code_interpreter
// plots revenue from a CSV (createAndPoll), answers a streamed follow-up, then calls a function tool.
// Then the same kind of turn on the Responses API, in a Conversation (what Assistants users migrate to),
// an OpenAI Agents SDK run (triage, handoff, tool), and a short Realtime session over WebSocket.
// Runs against the package's built-in emulator (no key, no network) and prints the thread's and the
// conversation's traces, the agent run's and the Realtime session's as trees. OTEL_EXPORTER_OTLP_ENDPOINT set: also exports them over OTLP/HTTP.
// --live with OPENAI_API_KEY (and optionally OPENAI_BASE_URL): talks to a real Assistants server.
const { trace } = require('@opentelemetry/api');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { OpenAIInstrumentation, ThreadTraceIdGenerator, threadTraceId, conversationTraceId } = require('../dist/cjs');
const { startEmulator, formatTraceTree } = require('../dist/cjs/testing');
const { weatherAgents } = require('./weather-agents.cjs');

const live = process.argv.includes('--live');
const memory = new InMemorySpanExporter();
const processors = [new SimpleSpanProcessor(memory)];
if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
  processors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
}
const provider = new NodeTracerProvider({ idGenerator: new ThreadTraceIdGenerator(), spanProcessors: processors });
provider.register();
const instrumentation = new OpenAIInstrumentation();
registerInstrumentations({ instrumentations: [instrumentation] });
const OpenAI = require('openai'); // after the instrumentation: the require hook patches it

const revenueCsv = 'day,revenue\nMon,1200\nTue,1350\nWed,980\nThu,1610\nFri,1720\nSat,2050\nSun,1890\n';
const convert = {
  type: 'function',
  function: {
    name: 'convert_currency',
    description: 'Convert an amount between currencies',
    parameters: { type: 'object', properties: { amount: { type: 'number' }, to: { type: 'string' } }, required: ['amount', 'to'] },
  },
};

async function main() {
  if (live && !process.env.OPENAI_API_KEY) throw new Error('--live needs OPENAI_API_KEY');
  const emulator = live ? undefined : await startEmulator({ pollAfterMs: 20 });
  const client = live ? new OpenAI() : new OpenAI({ apiKey: 'sk-demo-not-a-real-key', baseURL: emulator.baseURL });
  const threads = client.beta.threads;
  const v4 = typeof threads.del === 'function';
  const submitStream = (threadId, runId, body) => (v4 ? threads.runs.submitToolOutputsStream(threadId, runId, body) : threads.runs.submitToolOutputsStream(runId, { thread_id: threadId, ...body }));

  const file = await client.files.create({ file: new File([revenueCsv], 'revenue.csv', { type: 'text/csv' }), purpose: 'assistants' });
  const assistant = await client.beta.assistants.create({
    name: 'Support agent',
    model: 'gpt-4o-mini',
    instructions: 'You are a support agent. Use code to analyse data files.',
    tools: [{ type: 'code_interpreter' }, convert],
    tool_resources: { code_interpreter: { file_ids: [file.id] } },
  });
  const thread = await threads.create();

  // 1. The seed's turn: code interpreter, polled by the SDK helper.
  await threads.messages.create(thread.id, { role: 'user', content: 'Plot the last week of revenue from this CSV.' });
  const first = await threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id, metadata: { script: 'code' } }, { pollIntervalMs: 20 });

  // 2. A streamed follow-up.
  await threads.messages.create(thread.id, { role: 'user', content: 'Summarise the trend in one sentence.' });
  const stream = threads.runs.stream(thread.id, { assistant_id: assistant.id, metadata: { script: 'answer' } });
  let streamed = '';
  stream.on('textDelta', (d) => (streamed += d.value));
  const second = await stream.finalRun();

  // 3. A function-tool turn: the app runs the tool and submits its output (streamed).
  await threads.messages.create(thread.id, { role: 'user', content: "What was Saturday's revenue in EUR?" });
  let run = await threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id, metadata: { script: 'function' } }, { pollIntervalMs: 20 });
  while (run.status === 'requires_action') {
    const tool_outputs = run.required_action.submit_tool_outputs.tool_calls.map((c) => ({ tool_call_id: c.id, output: JSON.stringify({ eur: 1886 }) }));
    run = await submitStream(thread.id, run.id, { tool_outputs }).finalRun();
  }

  // 4. The Responses API: a conversation is a trace, a response a span, its output items child spans.
  const conversation = await client.conversations.create({ metadata: { app: 'demo' } });
  const tools = [{ type: 'function', name: convert.function.name, description: convert.function.description, parameters: convert.function.parameters }];
  const ask = await client.responses.create({ model: 'gpt-4o-mini', conversation: conversation.id, input: "What was Sunday's revenue in EUR?", tools });
  const call = ask.output.find((o) => o.type === 'function_call');
  const answer = call
    ? await client.responses.create({
        model: 'gpt-4o-mini',
        conversation: conversation.id,
        tools,
        input: [{ type: 'function_call_output', call_id: call.call_id, output: JSON.stringify({ eur: 1740 }) }],
      })
    : ask;

  await instrumentation.flush();
  const spans = memory.getFinishedSpans();
  const inTrace = (id) => spans.filter((s) => s.spanContext().traceId === id);
  console.log(`Thread ${thread.id}: ${[first, second, run].map((r) => `${r.id} ${r.status}`).join(', ')}`);
  console.log(`Streamed answer: ${streamed}\n`);
  console.log(formatTraceTree(inTrace(threadTraceId(thread.id))));
  console.log(`\nThe thread's trace id: ${threadTraceId(thread.id)} (threadTraceId('${thread.id}'))`);
  console.log(`\nConversation ${conversation.id}: ${[ask, answer].map((r) => `${r.id} ${r.status}`).join(', ')}\n`);
  console.log(formatTraceTree(inTrace(conversationTraceId(conversation.id))));
  console.log(`\nThe conversation's trace id: ${conversationTraceId(conversation.id)} (conversationTraceId('${conversation.id}'))`);
  const known = new Set([threadTraceId(thread.id), conversationTraceId(conversation.id)]);
  const other = spans.filter((s) => !known.has(s.spanContext().traceId));
  console.log(`Outside both traces: ${other.map((s) => s.name).join(', ')}`);
  if (processors.length > 1) console.log(`Exported over OTLP/HTTP too; in Jaeger: /trace/${threadTraceId(thread.id)} and /trace/${conversationTraceId(conversation.id)}`);
  await agentsRun(live ? undefined : emulator.baseURL);
  await realtimeRun(client, !live);
  instrumentation.disable();
  await provider.shutdown();
  await emulator?.close();
  void trace;
}

// 5. An OpenAI Agents SDK app: triage (input guardrail) hands off to a weather agent that calls its tool.
// No agents-specific wiring: the instrumentation hooks @openai/agents when it loads. One run() is one tree.
async function agentsRun(baseURL) {
  if (baseURL) {
    // The SDK's default client reads these when first used. Offline there is no OpenAI platform to send
    // the SDK's own traces to, so the app turns that export off (the OTel tree does not depend on it).
    process.env.OPENAI_BASE_URL = baseURL;
    process.env.OPENAI_API_KEY = 'sk-demo-not-a-real-key';
  }
  const agents = require('@openai/agents'); // after the instrumentation, like openai
  if (baseURL) agents.setTracingDisabled(true);
  const result = await agents.run(weatherAgents(agents), 'What is the weather in Berlin?');
  await instrumentation.flush();
  const root = memory.getFinishedSpans().find((s) => s.name === 'invoke_agent Triage agent');
  const traceId = root.spanContext().traceId;
  console.log(`\nAgents SDK run: Triage agent → ${result.lastAgent.name}: ${result.finalOutput}\n`);
  console.log(formatTraceTree(memory.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId)));
  console.log(`\nThe agent run's trace id: ${traceId} (the SDK's trace id without \`trace_\`)`);
  if (processors.length > 1) console.log(`In Jaeger: /trace/${traceId}`);
}

// 6. A Realtime session over WebSocket: the connection is one trace, each model response a chat span beneath
// it (usage and cost by modality), the function call its item, the app's tool work until it sends the output.
async function realtimeRun(client, offline) {
  const net = require('node:net');
  const { OpenAIRealtimeWS } = require('openai/realtime/ws'); // needs the `ws` package
  // The SDK always builds a wss: URL; the emulator speaks plain ws: on loopback, so offline the socket is
  // handed a plain TCP connection.
  const base = new URL(client.baseURL);
  const options = offline ? { createConnection: () => net.connect(Number(base.port), base.hostname) } : undefined;
  const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime', options }, client);
  rt.on('error', (err) => console.error('realtime error:', err.message));
  const next = (type) => new Promise((resolve) => rt.once(type, resolve));
  const created = next('session.created');
  const closed = new Promise((resolve) => rt.socket.on('close', resolve));
  const { session } = await created;
  const weather = { type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
  rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'], tools: [weather] } });
  rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'What is the weather in Berlin?' }] } });
  let done = next('response.done');
  rt.send({ type: 'response.create' });
  const call = (await done).response.output.find((o) => o.type === 'function_call');
  rt.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: call.call_id, output: JSON.stringify({ celsius: 12 }) } });
  done = next('response.done');
  rt.send({ type: 'response.create' });
  const answer = (await done).response;
  rt.close();
  await closed;
  const root = memory.getFinishedSpans().find((s) => s.name === 'realtime gpt-realtime');
  const traceId = root.spanContext().traceId;
  const text = answer.output.flatMap((o) => (o.type === 'message' ? o.content.map((c) => c.text ?? c.transcript) : [])).join('');
  console.log(`\nRealtime session ${session.id}: ${text}\n`);
  console.log(formatTraceTree(memory.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId)));
  if (processors.length > 1) console.log(`In Jaeger: /trace/${traceId}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
