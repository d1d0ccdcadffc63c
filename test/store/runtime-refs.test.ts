import t from 'tap';
import {
  Runtime, ActorDiedError, ObjectStoreFullError, ObjectReleasedError, ForeignObjectRefError, InvalidObjectRefError,
  type ObjectRef,
} from '../../src/index.ts';
import { RefActor } from '../fixtures/store/ref-actor.ts';
import { filled } from '../fixtures/store/tasks.ts';

const MiB = 1024 * 1024;
const BIG = 64 * 1024 / 4; // 64 KiB of float32: the default threshold

function runtime(t: { teardown(fn: () => unknown): void }, options: ConstructorParameters<typeof Runtime>[0] = {}): Runtime {
  const rt = new Runtime({ taskThreads: 1, ...options });
  t.teardown(() => rt.shutdown());
  return rt;
}

function usage(rt: Runtime) {
  const s = rt.objectStore!.stats();
  return { objects: s.objects, used: s.used };
}

t.test('a >= 64 KiB Float32Array argument and result go through the store and arrive intact; small ones stay inline', async t => {
  const rt = runtime(t);
  const a = await rt.spawn(RefActor, []);
  const store = rt.objectStore!;
  const big = new Float32Array(BIG).map((_, i) => i);
  const described = await a.describe(big);
  t.same(described, { shared: true, ctor: 'Float32Array', length: BIG, first: 0, last: BIG - 1 }, 'the actor got a view of shared memory');
  t.equal(store.stats().puts, 1, 'one put: the argument went through the store');

  const made = await a.make(4 * MiB / 4, 2.5);
  t.ok(made instanceof Float32Array && made.buffer instanceof SharedArrayBuffer, 'the result is a view of the arena');
  t.equal(made.length, MiB);
  t.ok(made.every(v => v === 2.5), 'every element intact');
  t.equal(store.stats().puts, 2, 'the result went through the store too');
  store.release(made);

  const small = await a.describe(new Float32Array(BIG - 1));
  t.equal(small.shared, false, 'just under the threshold: copied inline');
  t.equal((await a.describe(Buffer.alloc(128 * 1024, 7) as never)).shared, false, 'a Buffer keeps msgpackr\'s inline form');
  t.equal(store.stats().puts, 2, 'no put for small arrays or Buffers');
  t.equal(await a.drop(), 0);
});

t.test('zero copy through actor calls: a write through one thread\'s view is seen through the others\'', async t => {
  const rt = runtime(t);
  const [a, b] = await Promise.all([rt.spawn(RefActor, []), rt.spawn(RefActor, [])]);
  const store = rt.objectStore!;
  await a.keep(new Float32Array(BIG), 5);
  const mine = await a.give(0);
  t.equal(mine[0], 5, 'main sees the write actor A made in its view');
  mine[0] = 6;
  t.equal(await a.peek(0), 6, 'actor A sees main\'s write');
  await b.keep(mine, 7); // a view already in the arena: passed on without a copy
  t.equal(await a.peek(0), 7, 'actor A sees the write actor B made through its own view');
  t.equal(mine[0], 7, 'so does main');
  t.equal(store.stats().puts, 1, 'one put for the whole exchange: nothing was copied after the first send');
  t.equal(store.holdCount(store.refOf(mine) ?? (() => { throw new Error('no ref'); })()), 3, 'held once by each of the three threads');
  store.release(mine);
  await a.drop();
  await b.drop();
  t.same(usage(rt), { objects: 0, used: 0 }, 'freed once every holder released it');
});

t.test('thousands of concurrent sends across four actors keep refcounts right', async t => {
  const rt = runtime(t, { objectStore: { capacityBytes: 512 * MiB } });
  const store = rt.objectStore!;
  const actors = await Promise.all([0, 1, 2, 3].map(() => rt.spawn(RefActor, [])));
  const N = 2000;
  const sums = await Promise.all(Array.from({ length: N }, (_, i) => actors[i % 4]!.sumAndRelease(new Float32Array(BIG).fill(i % 7))));
  t.ok(sums.every((s, i) => s === (BIG / 1024) * (i % 7)), 'every call saw its own data');
  t.equal(store.stats().puts, N, 'every argument went through the store');
  t.same(usage(rt), { objects: 0, used: 0 }, 'every actor released: the arena is empty');

  const results = await Promise.all(Array.from({ length: N }, (_, i) => actors[i % 4]!.make(BIG, i)));
  t.ok(results.every((r, i) => r[0] === i && r[BIG - 1] === i), 'every result intact');
  t.equal(store.stats().objects, N, 'one object per result, held by main');
  t.equal(store.holdCount(store.refOf(results[0]!)!, 0), 1, 'main holds each result once');
  for (const r of results) store.release(r);
  t.same(usage(rt), { objects: 0, used: 0 }, 'usage back to zero after every ref is released');
  t.equal(store.stats().failedPuts, 0);
});

t.test('an actor that dies holding refs gives them back', async t => {
  const rt = runtime(t);
  const store = rt.objectStore!;
  const a = await rt.spawn(RefActor, [], { name: 'holder-dies' });
  for (let i = 0; i < 3; i++) await a.keep(new Float32Array(BIG * 4), i);
  const shared = await a.give(0);
  t.equal(store.stats().objects, 3);
  const died = new Promise(resolve => rt.onActorDied(resolve));
  await a.crash();
  await died;
  t.equal(store.stats().objects, 1, 'only the object main still holds is left');
  t.equal(shared[0], 0, 'and main\'s view of it is intact');
  store.release(shared);
  t.same(usage(rt), { objects: 0, used: 0 });
  t.ok(store.stats().holderReleases >= 3, 'counted as holds dropped for a dead thread');
  const err = await a.peek(0).catch(e => e);
  t.ok(err instanceof ActorDiedError, 'calls after the death fail as usual');
});

t.test('a full arena: explicit put waits then throws; calls fall back to inline copies; both recover', async t => {
  const rt = runtime(t, { objectStore: { capacityBytes: 1 * MiB } });
  const store = rt.objectStore!;
  const a = await rt.spawn(RefActor, []);
  const quarter = new Float32Array(256 * 1024 / 4 - 16); // just under a quarter of the arena with rounding
  for (let i = 0; i < 4; i++) await a.keep(quarter, i);
  t.equal(store.stats().objects, 4, 'the actor keeps four objects: the arena is full');
  const err = await store.put(new Float32Array(BIG), { timeoutMs: 20 }).catch(e => e);
  t.ok(err instanceof ObjectStoreFullError, `explicit put: ${err?.name}`);
  t.match(err.details, { requested: BIG * 4, capacity: MiB });
  t.match(err.message, /release refs|raise capacity/, 'the message says what to do');
  const inline = await a.describe(new Float32Array(BIG).fill(1));
  t.same({ shared: inline.shared, first: inline.first }, { shared: false, first: 1 }, 'a call still goes through, copied inline');
  t.equal(await a.drop(), 4);
  t.same(usage(rt), { objects: 0, used: 0 }, 'released: the arena is empty again');
  const ref = await store.put(new Float32Array(BIG));
  t.equal((await a.describe(new Float32Array(BIG))).shared, true, 'calls use the store again');
  store.release(ref);
});

t.test('bad refs passed explicitly through an actor call fail that call with a clear error', async t => {
  const rt = runtime(t);
  const other = runtime(t);
  const store = rt.objectStore!;
  const a = await rt.spawn(RefActor, []);
  const ref = await store.put(new Float32Array(BIG).fill(4));
  t.equal(await a.readRef(ref), 4, 'a good ref reads through the actor\'s store');

  const foreign = await other.objectStore!.put(new Float32Array(BIG));
  const e1 = await a.readRef(foreign).catch(e => e);
  t.ok(e1 instanceof ForeignObjectRefError, `ref from another runtime: ${e1?.name}`);
  t.match(e1.message, /cannot cross runtimes/);

  const forged: ObjectRef = { ...ref, offset: ref.offset + 64 };
  const e2 = await a.readRef(forged).catch(e => e);
  t.ok(e2 instanceof InvalidObjectRefError, `forged offset: ${e2?.name}`);
  const wrongShape = { ...ref, shape: [BIG + 1] };
  const e3 = await a.readRef(wrongShape as ObjectRef).catch(e => e);
  t.ok(e3 instanceof InvalidObjectRefError && /dtype or shape does not match/.test(e3.message), `wrong shape: ${e3?.message}`);
  const wrongDtype = { ...ref, dtype: 'float64' };
  const e4 = await a.readRef(wrongDtype as ObjectRef).catch(e => e);
  t.ok(e4 instanceof InvalidObjectRefError, `wrong dtype for the length: ${e4?.name}`);

  store.release(ref);
  const e5 = await a.readRef(ref).catch(e => e);
  t.ok(e5 instanceof ObjectReleasedError, `released ref: ${e5?.name}`);
  t.match(e5.message, /released by every holder/);

  const released = await a.make(BIG, 1);
  store.release(released);
  const e6 = await a.describe(released).catch(e => e);
  t.ok(e6 instanceof ObjectReleasedError, `sending a view after releasing it fails that call: ${e6?.name}`);
  t.equal(await a.sumAndRelease(new Float32Array(BIG).fill(1)), BIG / 1024, 'the actor is still serving');
  t.same(usage(rt), { objects: 0, used: 0 }, 'nothing left behind');
  other.objectStore!.release(foreign);
});

t.test('objectStore: false copies large arrays inline, and actors see no store', async t => {
  const rt = runtime(t, { objectStore: false });
  const a = await rt.spawn(RefActor, []);
  t.equal(rt.objectStore, undefined);
  t.equal(await a.hasStore(), false);
  const d = await a.describe(new Float32Array(BIG * 4).fill(2));
  t.same({ shared: d.shared, first: d.first }, { shared: false, first: 2 });
});

t.test('a task\'s large result comes back through the store', async t => {
  const rt = runtime(t);
  const out = await rt.runTask(filled, [BIG * 2, 9]);
  t.ok(out.buffer instanceof SharedArrayBuffer && out.every(v => v === 9));
  t.equal(rt.objectStore!.stats().puts, 1);
  rt.objectStore!.release(out);
  t.same(usage(rt), { objects: 0, used: 0 });
});

t.test('an actor that drops the arrays it receives without releasing them does not fill the arena', async t => {
  // 8 MiB arena, 256 KiB arguments: 32 would fill it if only the actor's thread ending gave holds back.
  const rt = runtime(t, { objectStore: { capacityBytes: 8 * MiB } });
  const a = await rt.spawn(RefActor, []);
  const store = rt.objectStore!;
  const calls = 160;
  let shared = 0;
  for (let i = 0; i < calls; i++) {
    const arg = new Float32Array(256 * 1024 / 4).fill(i);
    const d = await a.describe(arg);
    if (d.shared) shared++;
    t.equal(d.first, i, `call ${i} saw its own data`);
  }
  const s = store.stats();
  t.ok(s.gcReleases > 0, `the actor's thread collected views it no longer used (${s.gcReleases} holds back)`);
  t.ok(shared > calls / 2, `most calls still went by ref (${shared} of ${calls}; the rest were copied inline while the arena was full)`);
});
