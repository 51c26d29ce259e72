// Several runs on one thread, and many threads at once (no cross-talk between their traces).
export default async function many(ctx) {
  const { api } = ctx.makeClient();
  const assistant = await api.assistants.create({ name: 'Busy agent', model: 'gpt-4o-mini', metadata: { script: 'answer' } });
  const threads = await Promise.all(
    Array.from({ length: ctx.args.threads ?? 4 }, async (_, i) => {
      const thread = await api.threads.create();
      const runs = [];
      for (let r = 0; r < (ctx.args.runsPerThread ?? 2); r++) {
        await api.messages.create(thread.id, { role: 'user', content: `thread ${i} question ${r}` });
        const run = await api.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 5 });
        runs.push({ id: run.id, status: run.status, usage: run.usage });
      }
      return { threadId: thread.id, runs };
    }),
  );
  return { assistantId: assistant.id, threads };
}
