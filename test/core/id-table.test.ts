import t from 'tap';
import { IdTable } from '../../src/core/index.ts';

t.test('holds what a Map would, through growth, wrap-around probes and deletions', async t => {
  const table = new IdTable<string>(8);
  const model = new Map<number, string>();
  // A fixed pseudo-random sequence: ids that count up (as call ids do) with some that stay for long,
  // and ids that collide modulo the capacity.
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  let next = 0;
  for (let step = 0; step < 20_000; step++) {
    const r = rand();
    if (r < 0.5) {
      const id = rand() < 0.1 ? next + 64 * Math.floor(rand() * 8) : next++;
      table.set(id, `v${id}`);
      model.set(id, `v${id}`);
    } else {
      const keys = [...model.keys()];
      if (keys.length === 0) continue;
      const id = keys[Math.floor(rand() * keys.length)]!;
      t.equal(table.delete(id), model.get(id));
      model.delete(id);
    }
    if (step % 997 === 0) {
      t.equal(table.size, model.size);
      for (const [id, v] of model) if (table.get(id) !== v) t.fail(`id ${id}: ${table.get(id)} != ${v}`);
      t.same(table.values().sort(), [...model.values()].sort());
    }
  }
  t.equal(table.size, model.size);
  for (const [id, v] of model) t.equal(table.get(id), v);
});

t.test('get, has and delete of an absent id; set replaces; clear empties', async t => {
  const table = new IdTable<number>();
  t.equal(table.get(1), undefined);
  t.equal(table.has(1), false);
  t.equal(table.delete(1), undefined);
  table.set(0, 10);
  table.set(64, 20); // the same home slot as 0 in a table of 64
  table.set(64, 21);
  t.equal(table.size, 2);
  t.equal(table.get(0), 10);
  t.equal(table.get(64), 21);
  t.equal(table.delete(0), 10);
  t.equal(table.get(64), 21, 'an entry moved up by the deletion is still found');
  table.clear();
  t.equal(table.size, 0);
  t.equal(table.get(64), undefined);
  t.same(table.values(), []);
});

t.test('ids past 2^32 keep working', async t => {
  const table = new IdTable<string>();
  const big = 2 ** 40 + 5;
  table.set(big, 'a');
  table.set(big + 64, 'b');
  t.equal(table.get(big), 'a');
  t.equal(table.delete(big), 'a');
  t.equal(table.get(big + 64), 'b');
});
