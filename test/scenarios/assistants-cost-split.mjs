// A thread whose runs happen in two processes: A creates the thread and runs once; B (args.thread)
// adds a message and runs again.
export default async function costSplit(ctx) {
  const { api } = ctx.makeClient();
  let { threadId, assistantId } = ctx.args.thread ?? {};
  if (!threadId) {
    assistantId = (await api.assistants.create({ name: 'Split billing', model: 'gpt-4o-mini', metadata: { script: 'answer' } })).id;
    threadId = (await api.threads.create()).id;
  }
  await api.messages.create(threadId, { role: 'user', content: ctx.args.question });
  const run = await api.runs.createAndPoll(threadId, { assistant_id: assistantId }, { pollIntervalMs: 5 });
  return { threadId, assistantId, runId: run.id, usage: run.usage };
}
