import t from 'tap';
import { MessageChannel, Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { ObjectStore, ObjectStoreLockError, ObjectReleasedError, type ObjectRef } from '../../src/store/index.ts';

const boot = new URL('../fixtures/store/boot.mjs', import.meta.url);
const entry = new URL('../fixtures/store/store-worker.ts', import.meta.url).href;
const MiB = 1024 * 1024;

function startWorker(store: ObjectStore, holder: number, mode: string, extra: Record<string, unknown> = {}): Worker {
  return new Worker(boot, { execArgv: [], workerData: { entry, share: store.share(), holder, mode, ...extra } });
}

async function reply<T>(worker: Worker, msg?: unknown): Promise<T> {
  const answer = once(worker, 'message');
  if (msg !== undefined) worker.postMessage(msg);
  return (await answer)[0] as T;
}

t.test('zero copy: a write through one thread\'s view is seen through another\'s', async (t) => {
  const store = ObjectStore.create({ capacity: 16 * MiB });
  const worker = startWorker(store, 1, 'zero-copy');
  t.teardown(async () => { await worker.terminate(); store.close(); });
  const ref = await store.put(new Float32Array(4 * MiB / 4));
  const mine = store.get(ref) as Float32Array;
  store.retain(ref, 1); // the ref is held by the worker while it is in transit and after
  const wrote = await reply<{ isShared: boolean }>(worker, { ref, step: 'write' });
  t.ok(wrote.isShared, 'the worker\'s view is on the SharedArrayBuffer');
  t.equal(mine[0], 123.5, 'main sees the worker\'s write at the start');
  t.equal(mine[mine.length - 1], -7, 'and at the end of 4 MiB');
  mine[0] = 99;
  mine[mine.length - 1] = 98;
  const read = await reply<{ first: number; last: number }>(worker, { ref, step: 'read' });
  t.same(read, { done: 'read', first: 99, last: 98 }, 'the worker sees main\'s write');
  store.release(ref);
  t.equal(store.stats().objects, 1, 'still held by the worker');
  await reply(worker, { ref, step: 'release' });
  t.same({ objects: store.stats().objects, used: store.stats().used }, { objects: 0, used: 0 });
});

t.test('four workers: thousands of concurrent puts, hand-offs and gets; refcounts end at zero', async (t) => {
  const store = ObjectStore.create({ capacity: 4 * MiB, maxHolders: 8 });
  const count = 1000;
  const workers = [1, 2, 3, 4].map((holder) => startWorker(store, holder, 'ring', { count, nextHolder: (holder % 4) + 1 }));
  t.teardown(async () => { await Promise.all(workers.map((w) => w.terminate())); store.close(); });
  const channels = workers.map(() => new MessageChannel());
  // channel i carries worker i -> worker i+1
  const results = workers.map((w) => once(w, 'message'));
  // Listen for exits now: a worker ends as soon as it has reported, maybe before the others have.
  const exits = workers.map((w) => once(w, 'exit'));
  workers.forEach((w, i) => {
    const toNext = channels[i]!.port1;
    const fromPrev = channels[(i + 3) % 4]!.port2;
    w.postMessage({ toNext, fromPrev }, [toNext, fromPrev]);
  });
  const done = (await Promise.all(results)).map(([r]) => r as { received: number; bad: number; privateOps: number });
  await Promise.all(exits);
  for (const [i, r] of done.entries()) {
    t.same(r, { received: count, bad: 0, privateOps: count }, `worker ${i + 1} received every object intact`);
  }
  const stats = store.stats();
  t.same({ objects: stats.objects, used: stats.used, freeBlocks: stats.freeBlocks }, { objects: 0, used: 0, freeBlocks: 1 }, 'every byte came back');
  t.equal(stats.puts, 2 * 4 * count);
  t.equal(stats.frees, 2 * 4 * count);
  t.ok(stats.peakObjects > 1, `peak objects ${stats.peakObjects}, peak bytes ${stats.peak}`);
});

t.test('a worker that dies holding refs: releaseHolder gives everything back', async (t) => {
  const store = ObjectStore.create({ capacity: 8 * MiB });
  const worker = startWorker(store, 5, 'hold-and-hang', { own: 10 });
  t.teardown(async () => { await worker.terminate(); store.close(); });
  const shared: ObjectRef[] = [];
  for (let i = 0; i < 5; i++) {
    const ref = store.putSync(new Float32Array(64 * 1024));
    store.retain(ref, 5);
    shared.push(ref);
  }
  const { holding } = await reply<{ holding: number }>(worker, { refs: shared });
  t.equal(holding, 15);
  for (const ref of shared) store.release(ref);
  t.equal(store.stats().objects, 15, 'the worker still holds 5 shared and 10 of its own');
  await worker.terminate();
  const dropped = store.releaseHolder(5);
  t.same(dropped, { objects: 15, holds: 15, freed: 15, recovered: false });
  t.same({ objects: store.stats().objects, used: store.stats().used }, { objects: 0, used: 0 });
  t.throws(() => store.get(shared[0]!), ObjectReleasedError);
});

t.test('a worker that dies inside the store lock: the lock is broken and the store rebuilt', async (t) => {
  const store = ObjectStore.create({ capacity: 4 * MiB, lockTimeoutMs: 50 });
  const worker = startWorker(store, 6, 'die-in-lock');
  t.teardown(async () => { await worker.terminate(); store.close(); });
  const keep = store.putSync(new Uint8Array(5000).fill(4));
  const { ref } = await reply<{ ref: ObjectRef }>(worker);
  const err = t.throws(() => store.putSync(new Uint8Array(10)), ObjectStoreLockError) as unknown as ObjectStoreLockError;
  t.match(err.message, /holder 6/);
  await worker.terminate();
  const dropped = store.releaseHolder(6);
  t.equal(dropped.recovered, true);
  t.equal(dropped.freed, 1, 'the dead worker\'s own object is freed');
  t.throws(() => store.get(ref), ObjectReleasedError);
  t.equal((store.get(keep) as Uint8Array)[4999], 4, 'live objects survive the rebuild');
  const again = store.putSync(new Uint8Array(100_000));
  t.not(again.offset, keep.offset);
  store.release(again);
  store.release(keep);
  t.same({ objects: store.stats().objects, used: store.stats().used, recoveries: store.stats().recoveries }, { objects: 0, used: 0, recoveries: 1 });
});
