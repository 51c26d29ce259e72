// A billing-style thread: one question, then two at once, then a retry with nothing new, then a run on
// a model without a price.
export default async function cost(ctx) {
  const { api } = ctx.makeClient();
  const assistant = await api.assistants.create({ name: 'Billing agent', model: 'gpt-4o-mini', metadata: { script: 'answer' } });
  const thread = await api.threads.create();
  const poll = (body = {}) => api.runs.createAndPoll(thread.id, { assistant_id: assistant.id, ...body }, { pollIntervalMs: 5 });
  const m1 = await api.messages.create(thread.id, { role: 'user', content: 'What is my balance?' });
  const r1 = await poll();
  const m2 = await api.messages.create(thread.id, { role: 'user', content: 'And last month?' });
  const m3 = await api.messages.create(thread.id, { role: 'user', content: 'Also the month before.' });
  const r2 = await poll();
  const r3 = await poll();
  const r4 = await poll({ model: 'mystery-model-x' });
  const pick = (r) => ({ id: r.id, status: r.status, usage: r.usage });
  return { threadId: thread.id, messages: [m1.id, m2.id, m3.id], runs: [pick(r1), pick(r2), pick(r3), pick(r4)] };
}
