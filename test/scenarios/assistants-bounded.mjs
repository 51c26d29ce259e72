// More unfinished runs than maxTrackedEntities: the oldest are evicted (their spans end, marked).
export default async function bounded(ctx) {
  const { api } = ctx.makeClient();
  const assistant = await api.assistants.create({ name: 'Slow agent', model: 'gpt-4o-mini', metadata: { script: 'cancel' } });
  const runs = [];
  for (let i = 0; i < ctx.args.runs; i++) {
    const thread = await api.threads.create();
    const run = await api.runs.create(thread.id, { assistant_id: assistant.id });
    runs.push({ threadId: thread.id, runId: run.id });
  }
  ctx.instrumentation.disable(); // the rest end as at shutdown
  return { runs };
}
