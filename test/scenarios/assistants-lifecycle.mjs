// Runs never seen to finish: ended by the TTL sweep, or by disable() (shutdown), marked as such.
// After disable() the SDK is exactly as before (unwrapped) and still works; enable() traces again.
export default async function lifecycle(ctx) {
  const { api } = ctx.makeClient();
  const assistant = await api.assistants.create({ name: 'Slow agent', model: 'gpt-4o-mini', metadata: { script: 'cancel' } });
  const thread = await api.threads.create();
  const run = await api.runs.create(thread.id, { assistant_id: assistant.id });
  await api.runs.retrieve(thread.id, run.id); // in_progress, and it stays so (cancel script)
  if (ctx.args.mode === 'ttl') {
    await ctx.sleep(ctx.args.waitMs);
    return { threadId: thread.id, runId: run.id };
  }
  const owner = findOwner(ctx.OpenAI.prototype);
  const wrappedBefore = owner.makeRequest.__wrapped === true;
  ctx.instrumentation.disable();
  const wrappedAfterDisable = owner.makeRequest.__wrapped === true;
  const untraced = await api.threads.create();
  ctx.instrumentation.enable();
  const wrappedAfterEnable = findOwner(ctx.OpenAI.prototype).makeRequest.__wrapped === true;
  const traced = await api.threads.create();
  return { threadId: thread.id, runId: run.id, wrappedBefore, wrappedAfterDisable, wrappedAfterEnable, untracedThreadId: untraced.id, tracedThreadId: traced.id };
}

function findOwner(proto) {
  while (proto && !Object.prototype.hasOwnProperty.call(proto, 'makeRequest')) proto = Object.getPrototypeOf(proto);
  return proto;
}
