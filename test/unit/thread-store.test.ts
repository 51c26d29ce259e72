// The thread history a run's input messages are built from: one entry per message, whatever order and
// how often the app's reads, creates and request bodies report it.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ContentPolicy } from '../../src/trace/content';
import { ConversationStore } from '../../src/turns/conversation-store';

const msg = (id: string | undefined, text: string, createdAt: number, role = 'user') => ({
  id,
  object: 'thread.message',
  thread_id: 'thread_H',
  role,
  created_at: createdAt,
  content: [{ type: 'text', text: { value: text, annotations: [] } }],
});

const history = (store: ConversationStore) => store.thread('thread_H').history.map((h) => `${h.id ?? '-'}:${h.text}`);

it('a message seen again (created, then listed) stays one entry; a request-body message is replaced by its echo', () => {
  const store = new ConversationStore(100, new ContentPolicy({}));
  store.recordRequestMessages('thread_H', [{ role: 'user', content: 'from the body' }]);
  store.recordMessage(msg('msg_1', 'first', 1_700_000_001), undefined, true);
  store.recordMessageList([msg('msg_1', 'first', 1_700_000_001), msg('msg_0', 'from the body', 1_700_000_000)], 'thread_H');
  assert.deepEqual(history(store), ['msg_0:from the body', 'msg_1:first']);
  // The created message counted once as a user message waiting for a run.
  assert.equal(store.thread('thread_H').pendingUser.filter((m) => m.id === 'msg_1').length, 1);
  store.recordMessage(msg('msg_1', 'first, edited', 1_700_000_001));
  assert.deepEqual(history(store), ['msg_0:from the body', 'msg_1:first, edited']);
});

it('past the history limit the oldest entries go, and messages listed again are never doubled', () => {
  const store = new ConversationStore(100, new ContentPolicy({}));
  for (let i = 0; i < 100; i++) store.recordMessage(msg(`msg_${i}`, `m${i}`, 1_700_000_000 + i), undefined, true);
  const h = history(store);
  assert.equal(h.length, 64);
  assert.equal(h[0], 'msg_36:m36');
  // msg_5 was trimmed and is older than every kept entry: listed again it stays out. msg_50 is kept: replaced.
  store.recordMessageList([msg('msg_5', 'm5', 1_700_000_005), msg('msg_50', 'm50', 1_700_000_050), msg('msg_50', 'm50', 1_700_000_050)], 'thread_H');
  const after = history(store);
  assert.equal(after.filter((x) => x === 'msg_5:m5').length, 0);
  assert.equal(after.filter((x) => x === 'msg_50:m50').length, 1);
  // A trimmed id can come back when it is newer than the window's oldest (an out-of-order report): once.
  store.recordMessageList([msg('msg_20', 'm20', 1_700_000_070), msg('msg_20', 'm20', 1_700_000_070)], 'thread_H');
  assert.equal(history(store).filter((x) => x === 'msg_20:m20').length, 1);
  assert.equal(history(store).length, 64);
  assert.equal(new Set(history(store)).size, 64);
});

it('a short history is searched without an id set, a long one with it, and an evicted thread takes its messages along', () => {
  const store = new ConversationStore(2, new ContentPolicy({}));
  const on = (thread: string, id: string, text: string, at: number) => ({ ...msg(id, text, at), thread_id: thread });
  store.recordMessage(on('thread_A', 'msg_a1', 'a1', 1), undefined, true);
  store.recordMessage(on('thread_A', 'msg_a1', 'a1 again', 1));
  assert.equal(store.thread('thread_A').history.length, 1);
  assert.equal(store.thread('thread_A').historyIds, undefined, 'one message: no set');
  assert.equal(store.messages.peek('msg_a1')?.text, 'a1 again');
  for (let i = 0; i < 20; i++) store.recordMessage(on('thread_A', `msg_x${i}`, `x${i}`, 10 + i), undefined, true);
  assert.ok(store.thread('thread_A').historyIds?.has('msg_x19'));
  store.recordMessage(on('thread_A', 'msg_x3', 'x3 edited', 13));
  assert.equal(store.thread('thread_A').history.length, 21, 'seen again: replaced, not added');
  assert.equal(store.messages.peek('msg_x19')?.text, 'x19');
  store.recordMessage(on('thread_B', 'msg_b1', 'b1', 2), undefined, true);
  store.recordMessage(on('thread_C', 'msg_c1', 'c1', 3), undefined, true); // evicts thread_A (bound 2)
  assert.equal(store.threads.peek('thread_A'), undefined);
  assert.equal(store.messages.peek('msg_x19'), undefined, 'gone with its thread, though the map had room for it');
  assert.equal(store.messages.peek('msg_b1')?.text, 'b1');
});
