// Runs and responses never seen to finish, in process: ended by the TTL sweep (a fake clock moves time
// past runTtlMs), evicted beyond maxTrackedEntities, or ended by disable() at shutdown, each marked why.
// After disable() the SDK is unpatched and still works; enable() traces again.
import assert from 'node:assert/strict';
import { after, before, beforeEach, it } from 'node:test';
import { threadTraceId } from '../../src/index';
import { all, inTrace, one } from '../support/spans';
import { startTracing, waitFor, type Tracing } from './support/tracing';

let t: Tracing;
before(async () => {
  t = await startTracing();
});
after(() => t.close());
beforeEach(() => t.reset());

/** A run that stays in_progress (the emulator's cancel script), retrieved once. */
async function openRun(assistantId: string): Promise<{ threadId: string; runId: string }> {
  const thread = await t.client.beta.threads.create();
  const run = await t.client.beta.threads.runs.create(thread.id, { assistant_id: assistantId });
  await t.client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id });
  return { threadId: thread.id, runId: run.id };
}

const slowAgent = async () => (await t.client.beta.assistants.create({ name: 'Slow agent', model: 'gpt-4o-mini', metadata: { script: 'cancel' } })).id;

/** Moves the clock every span time and TTL check reads (performance.now) forward by `ms` while `body` runs. */
async function withClockAhead<T>(ms: number, body: () => Promise<T>): Promise<T> {
  const real = performance.now;
  performance.now = () => real.call(performance) + ms;
  try {
    return await body();
  } finally {
    performance.now = real;
  }
}

it('TTL: a run and a background response not seen for runTtlMs end at the next sweep, marked ttl, status as last seen', async () => {
  t.configure({ runTtlMs: 1000 });
  const { threadId, runId } = await openRun(await slowAgent());
  const bg = await t.client.responses.create({ model: 'gpt-4o-mini', input: 'Think forever.', background: true, metadata: { script: 'cancel' } });
  assert.deepEqual(all(t.finishedNow(), /^(invoke_agent|chat) /), [], 'both still open');
  const ended = await withClockAhead(5000, () =>
    waitFor(
      () => {
        const spans = t.finishedNow();
        const run = spans.find((s) => s.attributes['openai.run.id'] === runId && s.name.startsWith('invoke_agent '));
        const response = spans.find((s) => s.attributes['gen_ai.response.id'] === bg.id && s.attributes['spanlens.kind'] === 'agent_step');
        return run && response ? { run, response } : undefined;
      },
      3000,
      'the TTL sweep',
    ),
  );
  assert.equal(ended.run.traceId, threadTraceId(threadId));
  assert.equal(ended.run.attributes['spanlens.run.end_reason'], 'ttl');
  assert.equal(ended.run.attributes['spanlens.run.status'], 'in_progress');
  assert.equal(ended.response.attributes['spanlens.response.end_reason'], 'ttl');
});

it('bounded: beyond maxTrackedEntities the oldest open runs end, marked evicted, reported once through diag; disable() ends the rest as shutdown', async () => {
  t.configure({ maxTrackedEntities: 16 });
  const assistantId = await slowAgent();
  const runs: Array<{ threadId: string; runId: string }> = [];
  for (let i = 0; i < 20; i++) {
    const thread = await t.client.beta.threads.create();
    const run = await t.client.beta.threads.runs.create(thread.id, { assistant_id: assistantId });
    runs.push({ threadId: thread.id, runId: run.id });
  }
  const evicted = all(await t.spans(), /^invoke_agent\b/);
  assert.deepEqual(
    evicted.map((s) => s.attributes['spanlens.run.end_reason']),
    ['evicted', 'evicted', 'evicted', 'evicted'],
  );
  assert.deepEqual(
    evicted.map((s) => s.attributes['openai.run.id']).sort(),
    runs
      .slice(0, 4)
      .map((r) => r.runId)
      .sort(),
    'the oldest go first',
  );
  const reports = t.diag.filter((d) => d.level === 'WARN' && /more than 16 open runs tracked at once; evicted the oldest \(1 so far\)/.test(d.message));
  assert.equal(reports.length, 1, JSON.stringify(t.diag));

  t.instrumentation.disable();
  try {
    const ended = all(await t.spans(), /^invoke_agent\b/);
    assert.equal(ended.length, 20, 'every started run span ended');
    const atShutdown = ended.filter((s) => s.attributes['spanlens.run.end_reason'] === 'shutdown');
    assert.deepEqual(
      atShutdown.map((s) => s.attributes['openai.run.id']).sort(),
      runs
        .slice(4)
        .map((r) => r.runId)
        .sort(),
    );
    for (const s of atShutdown) assert.equal(s.traceId, threadTraceId(String(s.attributes['openai.thread.id'])));
  } finally {
    t.instrumentation.enable();
  }
});

it('disable() puts the SDK back exactly (calls work, untraced); enable() patches it again', async () => {
  const owner = (() => {
    let proto: object | null = t.OpenAI.prototype;
    while (proto && !Object.prototype.hasOwnProperty.call(proto, 'makeRequest')) proto = Object.getPrototypeOf(proto) as object | null;
    return proto as { makeRequest: ((...args: unknown[]) => unknown) & { __wrapped?: boolean; __original?: unknown } };
  })();
  const original = owner.makeRequest.__original;
  assert.equal(owner.makeRequest.__wrapped, true);
  const { threadId, runId } = await openRun(await slowAgent());
  t.instrumentation.disable();
  try {
    assert.equal(owner.makeRequest, original, "the SDK's own makeRequest back");
    const run = one(inTrace(await t.spans(), threadTraceId(threadId)), /^invoke_agent\b/);
    assert.equal(run.attributes['openai.run.id'], runId);
    assert.equal(run.attributes['spanlens.run.end_reason'], 'shutdown');
    const untraced = await t.client.beta.threads.create();
    assert.deepEqual(inTrace(await t.spans(), threadTraceId(untraced.id)), [], 'disabled: no spans');
  } finally {
    t.instrumentation.enable();
  }
  assert.equal(owner.makeRequest.__wrapped, true);
  const traced = await t.client.beta.threads.create();
  assert.equal(inTrace(await t.spans(), threadTraceId(traced.id)).length, 1, 're-enabled: traced');
});
