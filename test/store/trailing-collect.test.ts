// Views that were still in use when a thread's collection ran (a burst of calls in flight) are collected after
// the burst, though nothing new reaches the thread: their arena memory comes back.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { Runtime } from '../../src/index.ts';
import { HoldingActor } from '../fixtures/store/holding-actor.ts';

const MiB = 1024 * 1024;

t.test('a burst of by-ref arguments held during the collection is given back after it', async (t) => {
  // 8 MiB arena: its share of 1 MiB is passed by the fourth of eight 256 KiB arguments, while all are in use.
  const rt = new Runtime({ taskThreads: 1, objectStore: { capacityBytes: 8 * MiB } });
  t.teardown(() => rt.shutdown());
  const a = await rt.spawn(HoldingActor, []);
  const calls = Array.from({ length: 8 }, (_, i) => a.hold(new Float32Array(256 * 1024 / 4).fill(i)));
  while ((await a.waiting()) < 8) await sleep(10);
  await sleep(50); // the collection the share asked for runs now, with every view in use
  await a.open();
  t.same(await Promise.all(calls), [0, 1, 2, 3, 4, 5, 6, 7]);
  const store = rt.objectStore!;
  // Polled, not timed: the later collections give the holds back within seconds; without them, never.
  for (let i = 0; i < 300 && store.stats().objects > 0; i++) await sleep(50);
  t.equal(store.stats().objects, 0, 'every argument\'s arena memory is back');
});
