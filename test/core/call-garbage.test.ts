// Settled calls must die young, also after a full GC under load. Long-lived Maps churned per call once made
// every call's objects survive scavenges after the first full GC with calls in flight (V8 allocates a Map's
// replacement tables in the old generation once its table is there, and a replaced table keeps its entries;
// see src/core/id-table.ts): ~40 MB/s promoted on the HTTP proxy, and a full GC every fraction of a second.
import t from 'tap';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Runtime } from '../../src/index.ts';
import { Counter } from '../fixtures/core/actors.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const oldSpaceUsed = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!.space_used_size;

t.test('objects of settled calls are not promoted after a full GC under load', async t => {
  const rt = new Runtime();
  t.teardown(() => rt.shutdown());
  const c = await rt.spawn(Counter, [0]);
  // Each call carries a fresh object (as an HTTP request's route input does): garbage once settled.
  const burst = async (n: number, collect = false) => {
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) calls.push(c.echo({ i, path: '/items', query: { q: 'x' } }));
    // A full GC with calls in flight moves the per-call tables in use into the old generation.
    if (collect) gc();
    await Promise.all(calls);
  };
  for (let i = 0; i < 50; i++) await burst(64, i % 10 === 9);
  // Growth of the old generation while 64,000 more calls run (a drop is a full GC: start counting again).
  let grown = 0;
  let last = oldSpaceUsed();
  for (let i = 0; i < 1000; i++) {
    await burst(64);
    const now = oldSpaceUsed();
    if (now > last) grown += now - last;
    last = now;
  }
  // With the bug ~60-100 MB (every call's objects); without it a few MB (code, feedback, what is in flight).
  t.ok(grown < 16 * 1024 * 1024, `old generation grew ${(grown / 1048576).toFixed(1)} MB over 64,000 calls (expected < 16 MB)`);
});
