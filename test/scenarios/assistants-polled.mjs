// App code as users write it: an assistant, a thread, a user message, a run polled by the app's own
// retrieve loop, then the messages listed. Script chosen by args.script (emulator behaviour).
// Runs inside an app span ('handle support request'), as a web handler would: thread calls link to it.
export default async function polled(ctx) {
  return ctx.tracer.startActiveSpan('handle support request', async (appSpan) => {
    try {
      const result = await conversation(ctx);
      const { traceId, spanId } = appSpan.spanContext();
      return { ...result, ambient: { traceId, spanId } };
    } finally {
      appSpan.end();
    }
  });
}

async function conversation(ctx) {
  const { api, client } = ctx.makeClient();
  const { script = 'answer', tools = [], name = 'Support agent' } = ctx.args;
  let vectorStoreId;
  if (ctx.args.vectorStore) {
    const stores = client.vectorStores ?? client.beta.vectorStores; // moved out of beta in openai 5
    vectorStoreId = (await stores.create({ name: 'handbook' })).id;
  }
  const assistant = await api.assistants.create({
    name,
    model: 'gpt-4o-mini',
    instructions: 'You are a helpful support agent.',
    tools,
    metadata: { script },
    ...(vectorStoreId ? { tool_resources: { file_search: { vector_store_ids: [vectorStoreId] } } } : {}),
  });
  const thread = await api.threads.create();
  const message = await api.messages.create(thread.id, { role: 'user', content: ctx.args.question ?? 'How do I reset my password?' });
  let run = await api.runs.create(thread.id, { assistant_id: assistant.id });
  const statuses = [run.status];
  const outputs = [];
  while (!['completed', 'failed', 'cancelled', 'expired', 'incomplete'].includes(run.status)) {
    if (run.status === 'requires_action' && !ctx.args.neverSubmit) {
      const calls = run.required_action.submit_tool_outputs.tool_calls;
      const tool_outputs = calls.map((c, i) => ({ tool_call_id: c.id, output: `result ${i} for ${c.function.name}` }));
      outputs.push(...tool_outputs);
      run = await api.runs.submitToolOutputs(thread.id, run.id, { tool_outputs });
    } else {
      run = await api.runs.retrieve(thread.id, run.id);
    }
    statuses.push(run.status);
    if (statuses.length > 200) throw new Error('run did not finish');
  }
  const page = await api.messages.list(thread.id, { order: 'asc' });
  return {
    assistantId: assistant.id,
    threadId: thread.id,
    userMessageId: message.id,
    runId: run.id,
    status: run.status,
    statuses,
    usage: run.usage,
    outputs,
    messages: page.data.map((m) => ({ id: m.id, role: m.role })),
    vectorStoreId,
  };
}
