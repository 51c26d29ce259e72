// The bound on every piece of per-entity state: least recently set or touched goes first.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { BoundedMap } from '../src/bounded-map';

it('evicts the least recently set or touched entry, also when the newest is touched again or deleted', () => {
  const evicted: string[] = [];
  const m = new BoundedMap<string, number>(3, (k) => evicted.push(k));
  m.set('a', 1);
  m.set('b', 2);
  m.set('c', 3);
  assert.equal(m.get('a'), 1); // a is now the newest
  assert.equal(m.get('a'), 1); // touching the newest again changes nothing
  m.set('a', 10);
  m.set('d', 4); // evicts b (oldest)
  assert.deepEqual(evicted, ['b']);
  m.delete('d'); // the newest deleted: the next set of d is a fresh insert, not an update in place
  m.set('d', 5);
  m.set('e', 6); // evicts c, then a is the oldest
  m.set('f', 7);
  assert.deepEqual(evicted, ['b', 'c', 'a']);
  assert.deepEqual([...m.values()], [5, 6, 7]);
  assert.equal(m.size, 3);
  assert.equal(m.peek('a'), undefined);
});
