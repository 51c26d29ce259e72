// One process creates a run; another (args.poll) only polls it: both must land in the same trace.
export default async function split(ctx) {
  const { api } = ctx.makeClient();
  if (ctx.args.poll) {
    const { threadId, runId } = ctx.args.poll;
    let run = await api.runs.retrieve(threadId, runId);
    while (run.status !== 'completed') run = await api.runs.retrieve(threadId, runId);
    return { threadId, runId, status: run.status };
  }
  const assistant = await api.assistants.create({ name: 'Split agent', model: 'gpt-4o-mini', metadata: { script: 'answer' } });
  const thread = await api.threads.create({ messages: [{ role: 'user', content: 'hello from process A' }] });
  const run = await api.runs.create(thread.id, { assistant_id: assistant.id });
  return { threadId: thread.id, runId: run.id, status: run.status };
}
