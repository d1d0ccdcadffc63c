import t from 'tap';
import { Worker } from 'node:worker_threads';
import {
  DeviceNotFoundError, NativeArgumentError, PoolExhaustedError, SlotBufferFreedError, SlotQuotaError, SlotReleasedError,
  acquireSlot, closePool, devices, gatherReference, ownedSlotCount, poolStats, reservePool, type Tensor,
} from '../../src/native/index.ts';

const MB = 2 ** 20;
const entry = new URL('../fixtures/native/slot-worker.ts', import.meta.url).href;
const worker = new URL('../fixtures/native/ts-worker.mjs', import.meta.url);
const hostPool = () => poolStats().find((p) => p.device === 'host')!;

t.before(() => {
  closePool('host');
  reservePool('host', { bytes: 64 * MB });
});
t.teardown(() => {
  closePool('host');
});

t.test('slots carve the pool by fraction or bytes and hold their quota', async (t) => {
  const a = acquireSlot({ device: 'host', fraction: 0.25 });
  const b = acquireSlot({ device: 'host', bytes: 8 * MB });
  t.equal(a.bytes, 16 * MB, 'a quarter of the pool');
  t.equal(b.bytes, 8 * MB);
  const big = a.alloc(15 * MB);
  const err = t.throws(() => a.alloc(2 * MB), SlotQuotaError) as SlotQuotaError;
  t.equal(err.requested, 2 * MB);
  t.equal(err.used, 15 * MB);
  t.equal(err.limit, 16 * MB);
  t.match(err.message, /free buffers or ask for a larger slot/);
  const inB = b.alloc(8 * MB);
  t.equal(inB.byteLength, 8 * MB, 'the other slot is not disturbed');
  big.free();
  t.equal(a.stats().used, 0, 'free returns the quota');
  t.ok(a.alloc(16 * MB), 'the whole quota after free');
  t.throws(() => acquireSlot({ device: 'host', bytes: 48 * MB }), PoolExhaustedError);
  a.release();
  b.release();
  t.equal(hostPool().slots, 0);
  t.equal(hostPool().used, 0);
});

t.test('a released slot refuses use; a freed buffer refuses use; views detach', async (t) => {
  const s = acquireSlot({ device: 'host', bytes: MB });
  const buf = s.alloc(1024);
  const view = new Uint8Array(buf.hostView());
  await buf.write(Uint8Array.from([1, 2, 3]), 10);
  t.same(Array.from(view.subarray(10, 13)), [1, 2, 3], 'write lands in the host view');
  const out = new Uint8Array(3);
  await buf.read(out, 10);
  t.same(Array.from(out), [1, 2, 3]);
  const shared = new Uint8Array(new SharedArrayBuffer(16)).fill(9);
  await buf.write(shared, 0);
  t.equal(view[0], 9, 'a SharedArrayBuffer view is a valid source');
  await t.rejects(buf.write(new Uint8Array(2000), 0), { code: 'TROUPE_ERR_OUT_OF_RANGE' });
  const other = s.alloc(256);
  other.free();
  await t.rejects(other.write(new Uint8Array(1), 0), SlotBufferFreedError);
  s.release();
  t.equal(view.length, 0, 'host views are detached on release');
  t.ok(buf.freed);
  t.throws(() => s.alloc(1), SlotReleasedError);
  await t.rejects(buf.write(new Uint8Array(1), 0), SlotReleasedError);
  await t.rejects(s.gather([{ dtype: 'uint8', shape: [1], data: Uint8Array.of(1) }]), SlotReleasedError);
  t.doesNotThrow(() => s.release(), 'release twice is harmless');
});

t.test('gather into a host slot equals the reference', async (t) => {
  const s = acquireSlot({ device: 'host', bytes: 4 * MB });
  const tensors: Tensor[] = [2, 5, 3].map((n, i) => ({ dtype: 'int32', shape: [n, 3], data: new Int32Array(n * 3).map((_, k) => k * 10 + i) }));
  const batch = await s.gather(tensors, { padDims: [0], padValue: -1, batchSize: 4 });
  t.same(batch.shape, [4, 5, 3]);
  const host = await batch.toHost();
  t.same(Array.from(host.data as Int32Array), Array.from(gatherReference(tensors, { padDims: [0], padValue: -1, batchSize: 4 }).batch.data as Int32Array));
  t.same(Array.from(new Int32Array(batch.buffer.hostView(), 0, 6)), Array.from(tensors[0]!.data as Int32Array));
  const err = await s.gather([{ dtype: 'float32', shape: [2 * MB], data: new Float32Array(2 * MB) }]).catch((e) => e);
  t.type(err, SlotQuotaError, 'a batch larger than the quota is refused');
  s.release();
});

t.test('bad devices and arguments are typed errors', async (t) => {
  const missing = devices().length + 3;
  t.throws(() => acquireSlot({ device: missing, fraction: 0.5 }), DeviceNotFoundError);
  t.throws(() => reservePool(missing), DeviceNotFoundError);
  t.throws(() => acquireSlot({ device: 'host' }), NativeArgumentError);
  t.throws(() => acquireSlot({ device: 'host', fraction: 2 }), NativeArgumentError);
  t.throws(() => acquireSlot({ device: -2 as any, bytes: 10 }), NativeArgumentError);
  t.throws(() => reservePool('host', { bytes: 32 * MB }), { code: 'TROUPE_ERR_POOL_RESERVED' });
});

t.test('a slot goes back to the pool when its owning worker dies', async (t) => {
  const w = new Worker(worker, { workerData: { entry, mode: 'hold', slotBytes: 4 * MB, rounds: 0 } });
  const msg = await new Promise<any>((res, rej) => {
    w.once('message', res);
    w.once('error', rej);
  });
  t.equal(msg.owned, 1, 'the worker owns its slot');
  t.equal(hostPool().slots, 1);
  t.equal(hostPool().used, 4 * MB);
  const exited = new Promise<number>((res) => w.once('exit', res));
  w.once('error', () => {});
  w.postMessage('crash');
  t.equal(await exited, 1, 'the worker died with an error');
  t.equal(hostPool().slots, 0, 'its slot was returned');
  t.equal(hostPool().used, 0);
  t.equal(ownedSlotCount(), 0, 'the main thread owns none');

  const w2 = new Worker(worker, { workerData: { entry, mode: 'hold', slotBytes: 4 * MB, rounds: 0 } });
  await new Promise((res) => w2.once('message', res));
  await w2.terminate();
  t.equal(hostPool().slots, 0, 'also when the worker is terminated');
});

t.test('several worker threads gather, scatter and use slots at once', async (t) => {
  const runs = Array.from({ length: 4 }, () => new Promise<any>((res, rej) => {
    const w = new Worker(worker, { workerData: { entry, mode: 'work', slotBytes: 2 * MB, rounds: 200 } });
    w.once('message', (m) => w.terminate().then(() => res(m)));
    w.once('error', rej);
  }));
  const results = await Promise.all(runs);
  for (const r of results) {
    t.equal(r.mismatches, 0);
    t.equal(r.owned, 0);
  }
  t.equal(hostPool().slots, 0);
});

t.test('no leaked slot memory over 10 000 slot gathers', async (t) => {
  const s = acquireSlot({ device: 'host', bytes: MB });
  const tensors: Tensor[] = [{ dtype: 'float32', shape: [3, 8], data: new Float32Array(24) }, { dtype: 'float32', shape: [1, 8], data: new Float32Array(8) }];
  for (let i = 0; i < 10_000; i++) (await s.gather(tensors, { padDims: [0] })).buffer.free();
  t.equal(s.stats().used, 0, 'every buffer returned');
  t.equal(s.stats().buffers, 0);
  s.release();
});

t.test('GPU slots', async (t) => {
  const gpus = devices();
  if (gpus.length === 0) {
    t.plan(0, 'no GPU found (devices() is empty): GPU slot tests skipped; run bench/native-batching/gpu-check.mjs on a GPU machine');
    return;
  }
  const s = acquireSlot({ device: 0, bytes: 64 * MB });
  const tensors: Tensor[] = [4, 1, 3].map((n) => ({ dtype: 'float32', shape: [n, 5], data: new Float32Array(n * 5).map((_, k) => k) }));
  const batch = await s.gather(tensors, { padDims: [0], padValue: 9 });
  const host = await batch.toHost();
  t.same(Array.from(host.data as Float32Array), Array.from(gatherReference(tensors, { padDims: [0], padValue: 9 }).batch.data as Float32Array));
  t.throws(() => s.alloc(128 * MB), SlotQuotaError);
  s.release();
});
