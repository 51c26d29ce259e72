// The bound on every piece of per-entity state: least recently set or touched goes first.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { BoundedMap } from '../../src/util/bounded-map';

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

it('evicts exactly as a plain LRU list would, over random sets, touches and deletes (eviction keeps one live cursor)', () => {
  let seed = 7;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  for (const max of [1, 2, 5, 40]) {
    const evicted: string[] = [];
    const m = new BoundedMap<string, number>(max, (k) => evicted.push(k));
    const order: string[] = []; // the model: least recent first
    const expected: string[] = [];
    const touch = (k: string) => {
      const i = order.indexOf(k);
      if (i >= 0) order.splice(i, 1);
      order.push(k);
    };
    for (let step = 0; step < 20000; step++) {
      const k = `k${rand(max * 3)}`;
      const op = rand(10);
      if (op < 6) {
        m.set(k, step);
        touch(k);
        while (order.length > max) expected.push(order.shift()!);
      } else if (op < 8) {
        const had = order.includes(k);
        assert.equal(m.get(k) !== undefined, had);
        if (had) touch(k);
      } else {
        const i = order.indexOf(k);
        assert.equal(m.delete(k), i >= 0);
        if (i >= 0) order.splice(i, 1);
      }
    }
    assert.deepEqual(evicted, expected, `max ${max}`);
    assert.equal(m.size, order.length);
  }
});
