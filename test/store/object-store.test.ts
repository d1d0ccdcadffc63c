import t from 'tap';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  ObjectStore, toRecord, fromRecord, isObjectRef, ObjectReleasedError, ObjectStoreFullError, ForeignObjectRefError,
  InvalidObjectRefError, InvalidTensorError, ObjectNotHeldError, ObjectStoreConfigError, type ObjectRef,
} from '../../src/store/index.ts';
import { TroupeError, fromErrorRecord, toErrorRecord } from '../../src/errors/index.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

t.test('put copies a typed array in and get returns a view on the arena, not a copy', async (t) => {
  const store = ObjectStore.create({ capacity: 4 * MiB });
  t.teardown(() => store.close());
  const src = Float32Array.from({ length: 1000 }, (_, i) => i * 0.5);
  const ref = await store.put(src);
  t.match(ref, { store: store.id, dtype: 'float32', shape: [1000], length: 4000 });
  const a = store.get(ref) as Float32Array;
  const b = store.get(ref) as Float32Array;
  t.ok(a instanceof Float32Array);
  t.same(Array.from(a.subarray(0, 4)), [0, 0.5, 1, 1.5]);
  t.ok(a.buffer instanceof SharedArrayBuffer, 'the view is backed by the shared arena');
  a[3] = 42;
  t.equal(b[3], 42, 'two views share memory');
  src[0] = -1;
  t.equal(a[0], 0, 'put copied the source');
  t.equal(store.stats().objects, 1);
  store.release(ref);
  t.same({ used: store.stats().used, objects: store.stats().objects }, { used: 0, objects: 0 });
});

t.test('every dtype round-trips and keeps its typed array class; offsets are 64-byte aligned', async (t) => {
  const store = ObjectStore.create({ capacity: MiB });
  t.teardown(() => store.close());
  const arrays = [
    new Float64Array([1.25, -2]), new Int8Array([-3, 4]), new Uint8Array([5]), new Int16Array([-600]),
    new Uint16Array([60000]), new Int32Array([-70000]), new Uint32Array([4e9]), new BigInt64Array([-5n]),
    new BigUint64Array([2n ** 63n]), new Float32Array([3.5]),
  ];
  for (const arr of arrays) {
    const ref = store.putSync(arr);
    t.equal(ref.offset % 64, 0);
    const view = store.get(ref);
    t.equal(view.constructor, arr.constructor, `${arr.constructor.name}`);
    t.same(Array.from(view as ArrayLike<unknown>), Array.from(arr as ArrayLike<unknown>));
    store.release(ref);
  }
  const bytes = store.putSync(new Uint8Array([1, 2, 3]).buffer);
  t.equal(bytes.dtype, 'uint8');
  const dv = store.putSync(new DataView(new ArrayBuffer(6)));
  t.same({ dtype: dv.dtype, shape: dv.shape }, { dtype: 'uint8', shape: [6] });
  store.release(bytes);
  store.release(dv);
  t.equal(store.stats().objects, 0);
});

t.test('tensors: dtype and shape travel in the ref; onnxruntime-style tensors are accepted', async (t) => {
  const store = ObjectStore.create({ capacity: MiB });
  t.teardown(() => store.close());
  const ref = await store.putTensor({ dtype: 'float32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) });
  const tensor = store.getTensor(ref);
  t.same(tensor.shape, [2, 3]);
  t.equal(tensor.dtype, 'float32');
  t.same(Array.from(tensor.data as Float32Array), [1, 2, 3, 4, 5, 6]);
  const ortLike = { type: 'int64', dims: [2], data: new BigInt64Array([7n, 8n]) };
  const ref2 = store.putTensorSync(ortLike);
  t.same({ dtype: ref2.dtype, shape: ref2.shape }, { dtype: 'int64', shape: [2] });
  const boolRef = store.putTensorSync({ dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) });
  t.equal(store.getTensor(boolRef).dtype, 'bool');

  t.throws(() => store.putTensorSync({ dtype: 'float32', shape: [4], data: new Float32Array(3) }), InvalidTensorError, 'shape does not match length');
  t.throws(() => store.putTensorSync({ dtype: 'float32', shape: [3], data: new Int32Array(3) as never }), InvalidTensorError, 'dtype does not match the array class');
  t.throws(() => store.putTensorSync({ dtype: 'complex64' as never, shape: [1], data: new Float32Array(2) }), InvalidTensorError, 'unknown dtype');
  t.throws(() => store.putTensorSync({ dtype: 'float32', shape: [-1], data: new Float32Array(1) }), InvalidTensorError, 'negative dimension');

  const { ref: out, data } = await store.allocate('float32', [4, 4]);
  (data as Float32Array).fill(9);
  t.equal((store.get(out) as Float32Array)[15], 9, 'allocate gives a writable view on the arena');
  for (const r of [ref, ref2, boolRef, out]) store.release(r);
  t.equal(store.stats().objects, 0);
});

t.test('refs survive structured clone and the flat record form', async (t) => {
  const store = ObjectStore.create({ capacity: MiB });
  t.teardown(() => store.close());
  const ref = store.putTensorSync({ dtype: 'uint16', shape: [2, 2, 2], data: new Uint16Array(8).fill(3) });
  const record = toRecord(ref);
  t.ok(record.every((n) => typeof n === 'number'), 'the record is numbers only');
  const back = fromRecord(structuredClone(record));
  t.same(back, ref);
  t.ok(Object.isFrozen(back));
  const cloned = structuredClone(ref);
  t.ok(isObjectRef(cloned));
  t.equal((store.get(cloned) as Uint16Array)[7], 3, 'a cloned ref reads the same object');
  t.throws(() => fromRecord([1, 2, 3]), InvalidObjectRefError);
  t.throws(() => fromRecord([...record.slice(0, 5), 99, 2]), InvalidObjectRefError, 'unknown dtype code');
  store.release(ref);
});

t.test('bad refs get clear errors: released, foreign, forged, wrong dtype or shape, double release', async (t) => {
  const store = ObjectStore.create({ capacity: MiB });
  const other = ObjectStore.create({ capacity: MiB });
  t.teardown(() => { store.close(); other.close(); });
  const ref = store.putSync(new Float32Array(256));

  const foreign = other.putSync(new Float32Array(256));
  t.throws(() => store.get(foreign), ForeignObjectRefError);
  t.throws(() => store.release(foreign), ForeignObjectRefError);

  t.throws(() => store.get({ ...ref, offset: ref.offset + 64 }), InvalidObjectRefError, 'forged offset');
  t.throws(() => store.get({ ...ref, length: 512, shape: [128] }), InvalidObjectRefError, 'forged length');
  t.throws(() => store.get({ ...ref, id: 1 << 20 }), InvalidObjectRefError, 'id outside the table');
  t.throws(() => store.get({ ...ref, dtype: 'int32' }), InvalidObjectRefError, 'wrong dtype for the stored object');
  t.throws(() => store.get({ ...ref, shape: [2, 100] }), InvalidObjectRefError, 'shape does not match the length');
  t.throws(() => store.get({ ...ref, dtype: 'float64' }), InvalidObjectRefError, 'dtype whose size does not match');
  t.throws(() => store.get({ nope: 1 } as never), InvalidObjectRefError, 'not a ref at all');

  store.release(ref);
  const err = t.throws(() => store.get(ref), ObjectReleasedError) as unknown as TroupeError;
  t.equal(err.code, 'TROUPE_ERR_OBJECT_RELEASED');
  t.throws(() => store.release(ref), ObjectReleasedError, 'release after free');

  // The slot is reused by the next object: the stale ref still fails, the new one works.
  const next = store.putSync(new Float32Array(256));
  t.equal(next.id, ref.id, 'same slot reused');
  t.not(next.gen, ref.gen, 'with a new generation');
  t.throws(() => store.get(ref), ObjectReleasedError);
  store.retain(next, 3);
  store.release(next, 3);
  t.throws(() => store.release(next, 3), ObjectNotHeldError, 'holder 3 released twice');
  t.throws(() => store.retain(next, 9999), ObjectStoreConfigError, 'holder out of range');
  store.release(next);
  t.equal(store.stats().objects, 0);
  other.release(foreign);

  // Errors cross threads as records and come back as the same class.
  const rebuilt = fromErrorRecord(toErrorRecord(err));
  t.ok(rebuilt instanceof ObjectReleasedError);
});

t.test('holds per holder: the object lives until the last holder lets go', async (t) => {
  const store = ObjectStore.create({ capacity: MiB, maxHolders: 8 });
  t.teardown(() => store.close());
  const ref = store.putSync(new Uint8Array(100));
  store.retain(ref, 1);
  store.retain(ref, 2, 2);
  t.equal(store.holdCount(ref), 4);
  t.equal(store.holdCount(ref, 2), 2);
  store.release(ref);
  store.release(ref, 2);
  t.equal(store.stats().objects, 1);
  const dropped = store.releaseHolder(2);
  t.same(dropped, { objects: 1, holds: 1, freed: 0, recovered: false });
  store.release(ref, 1);
  t.equal(store.stats().objects, 0, 'freed with the last hold');
  t.equal(store.stats().used, 0);
});

t.test('put of a view that already lives in the store hands out the same object, no copy', async (t) => {
  const store = ObjectStore.create({ capacity: MiB });
  t.teardown(() => store.close());
  const ref = store.putSync(new Float32Array(1024));
  const view = store.get(ref);
  const again = await store.put(view);
  t.equal(again.offset, ref.offset);
  t.equal(store.holdCount(ref), 2);
  t.equal(store.refOf(view), ref);
  const reshaped = store.putTensorSync({ dtype: 'float32', shape: [32, 32], data: view as Float32Array });
  t.same(reshaped.shape, [32, 32]);
  t.equal(store.stats().objects, 1);
  store.release(ref);
  store.release(again);
  store.release(reshaped);
  t.equal(store.stats().objects, 0);
});

t.test('a full arena: put waits for a free, times out with details, and recovers when refs are released', async (t) => {
  const store = ObjectStore.create({ capacity: 256 * KiB, putTimeoutMs: 100 });
  t.teardown(() => store.close());
  const refs: ObjectRef[] = [];
  for (let i = 0; i < 4; i++) refs.push(await store.put(new Uint8Array(64 * KiB)));
  t.equal(store.stats().free, 0);

  const err = await store.put(new Uint8Array(64 * KiB), { timeoutMs: 50 }).then(() => null, (e) => e);
  t.ok(err instanceof ObjectStoreFullError);
  t.match(err.details, { requested: 64 * KiB, free: 0, capacity: 256 * KiB, reason: 'space' });
  t.throws(() => store.putSync(new Uint8Array(1)), ObjectStoreFullError, 'putSync fails at once');
  t.throws(() => store.putSync(new Uint8Array(512 * KiB)), ObjectStoreFullError, 'larger than the arena');
  t.equal(store.stats().failedPuts, 3);

  // A put waiting on the full arena completes as soon as another ref is released.
  // Ordering, not a clock: the put must settle before a timer as long as its own timeout fires.
  const waiting = store.put(new Uint8Array(64 * KiB).fill(7), { timeoutMs: 5000 });
  let ownTimeoutPassed = false;
  const sentinel = setTimeout(() => { ownTimeoutPassed = true; }, 5000);
  setTimeout(() => store.release(refs.shift()!), 30);
  const ref = await waiting;
  clearTimeout(sentinel);
  t.notOk(ownTimeoutPassed, 'woken by the release, not by the timeout');
  t.equal((store.get(ref) as Uint8Array)[100], 7);
  refs.push(ref);
  for (const r of refs) store.release(r);
  t.same({ used: store.stats().used, objects: store.stats().objects, freeBlocks: store.stats().freeBlocks }, { used: 0, objects: 0, freeBlocks: 1 });
  t.equal(store.stats().peak, 256 * KiB);
});

t.test('the object table has a limit too, with the same error', async (t) => {
  const store = ObjectStore.create({ capacity: MiB, maxObjects: 4 });
  t.teardown(() => store.close());
  const refs = [1, 2, 3, 4].map(() => store.putSync(new Uint8Array(8)));
  const err = t.throws(() => store.putSync(new Uint8Array(8)), ObjectStoreFullError) as unknown as ObjectStoreFullError;
  t.equal(err.details.reason, 'objects');
  for (const r of refs) store.release(r);
  store.release(store.putSync(new Uint8Array(8)));
});

t.test('allocator: random puts and frees never overlap, and coalesce back to one block', async (t) => {
  const store = ObjectStore.create({ capacity: 8 * MiB, maxObjects: 4096 });
  t.teardown(() => store.close());
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const live: { ref: ObjectRef; tag: number }[] = [];
  let fails = 0;
  for (let step = 0; step < 4000; step++) {
    if (live.length > 0 && (rand() < 0.45 || live.length > 600)) {
      const i = Math.floor(rand() * live.length);
      const { ref, tag } = live[i]!;
      const view = store.get(ref) as Uint8Array;
      if (view[0] !== tag || view[view.length - 1] !== tag) t.fail(`object ${ref.id} was overwritten`);
      store.release(ref);
      live[i] = live[live.length - 1]!;
      live.pop();
    } else {
      const size = rand() < 0.1 ? 1 + Math.floor(rand() * 256 * KiB) : 1 + Math.floor(rand() * 8 * KiB);
      const tag = 1 + Math.floor(rand() * 250);
      try {
        const ref = store.putSync(new Uint8Array(size).fill(tag));
        live.push({ ref, tag });
      } catch (err) {
        if (!(err instanceof ObjectStoreFullError)) throw err;
        fails++;
      }
    }
  }
  // Overlap check over everything still alive.
  const spans = live.map(({ ref }) => [ref.offset, ref.offset + ref.length]).sort((a, b) => a[0]! - b[0]!);
  for (let i = 1; i < spans.length; i++) if (spans[i]![0]! < spans[i - 1]![1]!) t.fail('two live objects overlap');
  const mid = store.stats();
  t.ok(mid.used >= live.reduce((s, { ref }) => s + ref.length, 0), 'used counts every live byte');
  for (const { ref } of live) store.release(ref);
  const end = store.stats();
  t.same({ used: end.used, objects: end.objects, freeBlocks: end.freeBlocks, largestFree: end.largestFree }, { used: 0, objects: 0, freeBlocks: 1, largestFree: 8 * MiB });
  t.ok(end.puts > 1000, `exercised ${end.puts} puts (${fails} found the arena full)`);
});

t.test('safety net: a view from take() that is garbage-collected releases its hold', async (t) => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const store = ObjectStore.create({ capacity: MiB });
  t.teardown(() => store.close());
  const ref = store.putSync(new Float32Array(4096));
  store.retain(ref, 1);
  (() => {
    let view: Float32Array | null = store.take(ref) as Float32Array;
    view[0] = 1;
    view = null;
  })();
  for (let i = 0; i < 20 && store.stats().objects > 0; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
  t.equal(store.holdCount(ref), 1, 'the hold taken by the view was dropped; holder 1 still holds it');
  t.equal(store.stats().gcReleases, 1);
  store.release(ref, 1);
  t.equal(store.stats().objects, 0);

  // An explicit release(view) drops the hold now and disarms the safety net.
  const ref2 = store.putSync(new Float32Array(16));
  const view2 = store.take(ref2);
  store.release(view2);
  t.equal(store.stats().objects, 0);
  gc();
  await new Promise((r) => setTimeout(r, 20));
  t.equal(store.stats().gcReleases, 1, 'no second release from the collector');
  const elsewhere = store.putSync(new Uint8Array(1), { holder: 2 });
  t.throws(() => store.take(elsewhere), ObjectNotHeldError, 'take needs a hold of this thread');
  store.release(elsewhere, 2);
  t.equal(store.stats().objects, 0);
});

t.test('options are checked and a closed store refuses work', async (t) => {
  t.throws(() => ObjectStore.create({ capacity: 10 }), ObjectStoreConfigError);
  t.throws(() => ObjectStore.create({ capacity: -1 }), ObjectStoreConfigError);
  t.throws(() => ObjectStore.attach({} as never, { holder: 1 }), ObjectStoreConfigError);
  const store = ObjectStore.create({ capacity: MiB, maxHolders: 4 });
  t.throws(() => ObjectStore.attach(store.share(), { holder: 4 }), ObjectStoreConfigError);
  const def = ObjectStore.create();
  t.ok(def.capacity > 0 && def.capacity <= 1024 ** 3, `default capacity ${def.capacity}`);
  t.equal(def.inlineThreshold, 64 * KiB);
  def.close();
  const ref = store.putSync(new Uint8Array(4));
  store.close();
  t.throws(() => store.putSync(new Uint8Array(4)), ObjectStoreConfigError);
  const again = ObjectStore.attach(store.share(), { holder: 1 });
  t.equal(again.stats().objects, 0, 'closing released what the closed thread held');
  t.throws(() => again.get(ref), ObjectReleasedError);
  again.close();
});
