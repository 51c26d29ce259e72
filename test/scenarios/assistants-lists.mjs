// The common app: after each polled run it lists the thread's messages to show the answer. The
// instrumentation then needs no messages request of its own for the runs after the first.
export default async function lists(ctx) {
  const { api } = ctx.makeClient();
  const assistant = await api.assistants.create({ name: 'Listing agent', model: 'gpt-4o-mini', metadata: { script: 'answer' } });
  const thread = await api.threads.create();
  const runs = [];
  for (let i = 0; i < 3; i++) {
    await api.messages.create(thread.id, { role: 'user', content: `question ${i}` });
    const run = await api.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 5 });
    const page = await api.messages.list(thread.id, { order: 'desc', limit: 5 });
    const answer = page.data.find((m) => m.run_id === run.id);
    runs.push({ id: run.id, status: run.status, answer: answer?.content?.[0]?.text?.value });
  }
  return { threadId: thread.id, runs };
}
