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
  const original = owner.makeRequest.__original;
  const keysBefore = Reflect.ownKeys(owner).map(String).sort();
  ctx.instrumentation.disable();
  const wrappedAfterDisable = owner.makeRequest.__wrapped === true;
  // Unpatched exactly: the SDK's own function back, with a method's descriptor, and nothing else left.
  const d = Object.getOwnPropertyDescriptor(owner, 'makeRequest');
  const sibling = Object.getOwnPropertyDescriptor(
    owner,
    Reflect.ownKeys(owner).find((k) => k !== 'makeRequest' && k !== 'constructor' && typeof Object.getOwnPropertyDescriptor(owner, k).value === 'function'),
  );
  const unpatched = {
    sameFunction: owner.makeRequest === original,
    descriptor: { writable: d.writable, enumerable: d.enumerable, configurable: d.configurable },
    siblingDescriptor: { writable: sibling.writable, enumerable: sibling.enumerable, configurable: sibling.configurable },
    ownKeysUnchanged: JSON.stringify(Reflect.ownKeys(owner).map(String).sort()) === JSON.stringify(keysBefore),
    wrapperMarks: ['__wrapped', '__original', '__unwrap'].filter((k) => owner.makeRequest[k] !== undefined),
  };
  const untraced = await api.threads.create();
  ctx.instrumentation.enable();
  const wrappedAfterEnable = findOwner(ctx.OpenAI.prototype).makeRequest.__wrapped === true;
  const traced = await api.threads.create();
  return { threadId: thread.id, runId: run.id, wrappedBefore, wrappedAfterDisable, unpatched, wrappedAfterEnable, untracedThreadId: untraced.id, tracedThreadId: traced.id };
}

function findOwner(proto) {
  while (proto && !Object.prototype.hasOwnProperty.call(proto, 'makeRequest')) proto = Object.getPrototypeOf(proto);
  return proto;
}
