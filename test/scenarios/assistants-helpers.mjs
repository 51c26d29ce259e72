// The SDK's polling helpers: createAndPoll, submitToolOutputsAndPoll, createAndRunPoll, poll, cancel.
export default async function helpers(ctx) {
  const { api } = ctx.makeClient();
  const flow = ctx.args.flow;
  const assistant = await api.assistants.create({
    name: 'Helper agent',
    model: 'gpt-4o',
    instructions: 'Use tools when needed.',
    tools: ctx.args.tools ?? [],
    metadata: { script: ctx.args.script ?? 'answer' },
  });
  if (flow === 'createAndRunPoll') {
    const run = await api.threads.createAndRunPoll(
      {
        assistant_id: assistant.id,
        thread: { messages: [{ role: 'user', content: 'Summarise our refund policy.' }] },
      },
      { pollIntervalMs: 5 },
    );
    return { assistantId: assistant.id, threadId: run.thread_id, runId: run.id, status: run.status, usage: run.usage };
  }
  const thread = await api.threads.create({ messages: [{ role: 'user', content: 'Plot the last week of revenue from this CSV.' }] });
  let run = await api.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 5 });
  const rounds = [];
  while (run.status === 'requires_action') {
    const calls = run.required_action.submit_tool_outputs.tool_calls;
    rounds.push(calls.map((c) => c.id));
    run = await api.runs.submitToolOutputsAndPoll(
      thread.id,
      run.id,
      { tool_outputs: calls.map((c) => ({ tool_call_id: c.id, output: JSON.stringify({ ok: true, name: c.function.name }) })) },
      { pollIntervalMs: 5 },
    );
  }
  if (flow === 'cancel') {
    // the cancel script keeps the run in progress until cancelled
    const started = await api.runs.create(thread.id, { assistant_id: assistant.id, metadata: { script: 'cancel' } });
    await api.runs.retrieve(thread.id, started.id);
    await api.runs.cancel(thread.id, started.id);
    const final = await api.runs.poll(thread.id, started.id, { pollIntervalMs: 5 });
    return { assistantId: assistant.id, threadId: thread.id, runId: final.id, firstRunId: run.id, status: final.status };
  }
  return { assistantId: assistant.id, threadId: thread.id, runId: run.id, status: run.status, usage: run.usage, rounds };
}
