// Errors reach the app exactly as the SDK raises them; the instrumentation records them.
export default async function errors(ctx) {
  const { api, client } = ctx.makeClient({ maxRetries: 0 });
  const seen = [];
  const attempt = async (label, fn) => {
    try {
      await fn();
      seen.push({ label, ok: true });
    } catch (e) {
      seen.push({ label, name: e.constructor.name, status: e.status ?? null, message: e.message });
    }
  };
  await attempt('missing thread', () => api.threads.retrieve('thread_Missing0000000000000001'));
  await attempt('run without assistant', async () => {
    const thread = await api.threads.create();
    await api.runs.create(thread.id, {});
  });
  // .withResponse() and .asResponse() keep working through the hook
  const thread = await api.threads.create();
  const { data, response } = await api.threads.retrieve(thread.id).withResponse();
  const raw = await api.threads.retrieve(thread.id).asResponse();
  const rawBody = await raw.json();
  return { seen, threadId: thread.id, withResponse: { id: data.id, status: response.status }, asResponse: { status: raw.status, id: rawBody.id }, clientIsOpenAI: client instanceof ctx.OpenAI };
}
