// threadTraceId is public API: users jump from a thread id to its trace with it, in any process (the
// built package's ids in another process: test/package-ids.test.ts).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { conversationKey, conversationTraceId, threadKey, threadRootSpanId, threadTraceId } from '../../src/trace/trace-ids';

it('is 32 lowercase hex, never all zero, a pure function of the thread id', () => {
  const ids = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const id = threadTraceId(`thread_${i.toString(36)}Ab1`);
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.notEqual(id, '0'.repeat(32));
    ids.add(id);
  }
  assert.equal(ids.size, 2000, 'distinct threads, distinct traces');
  assert.equal(threadTraceId('thread_abc'), threadTraceId('thread_abc'));
  assert.match(threadRootSpanId('thread_abc'), /^[0-9a-f]{16}$/);
});

it('is a fixed value (changing it would split existing threads across traces)', () => {
  assert.equal(threadTraceId('thread_abc'), '549e6682a6dbe9bc78db7c90a60c3359');
  assert.equal(threadRootSpanId('thread_abc'), 'cf3b6c5039ee5914');
});

it('the cached keys the spans use equal the derived ids, past the cache bound and for both kinds', () => {
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 1500; i++) {
      const t = `thread_K${i}`;
      assert.deepEqual({ ...threadKey(t) }, { traceId: threadTraceId(t), fallbackParentSpanId: threadRootSpanId(t) });
      const c = `conv_K${i}`;
      const key = conversationKey(c);
      assert.equal(key.traceId, conversationTraceId(c));
      // Same derivation as a thread's root span id, under the conversation kind: stable, valid, distinct.
      assert.match(key.fallbackParentSpanId, /^[0-9a-f]{16}$/);
      assert.notEqual(key.fallbackParentSpanId, '0000000000000000');
      assert.notEqual(key.fallbackParentSpanId, threadRootSpanId(c));
    }
  }
  // The same id as a thread and as a conversation: different traces (the kind is part of the key).
  assert.notEqual(threadKey('x_1').traceId, conversationKey('x_1').traceId);
});
