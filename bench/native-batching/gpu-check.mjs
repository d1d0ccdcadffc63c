// Exercises the GPU path of the built addon on a machine with a GPU and no tsx:
// devices, a pool on device 0 carved into quota slots, gather with device padding
// checked against the host gather, host<->slot copy bandwidth against the device's
// pinned copy bandwidth, and slot return when the owning worker dies.
//   node bench/native-batching/gpu-check.mjs [path/to/troupe_native.node]
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { resolve } from 'node:path';

const file = resolve(process.argv[2] ?? 'build/Release/troupe_native.node');
const n = createRequire(import.meta.url)(file);
const log = (...a) => console.log(...a);
const MB = 1 << 20;
let failures = 0;
const check = (ok, what) => {
  log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
};

log('cudaCompiled', n.cudaCompiled, '| diagnostic:', n.diagnostic());
const devs = n.devices();
log('devices', JSON.stringify(devs, null, 1));
if (devs.length === 0) {
  log('no GPU: nothing to check');
  process.exit(0);
}

// Pool of 2 GiB on device 0, two quarter slots.
const poolBytes = n.reservePool(0, 2048 * MB);
const a = n.acquireSlot(0, 0, 0.25);
const b = n.acquireSlot(0, 0, 0.25);
check(a.bytes === poolBytes / 4 && b.bytes === poolBytes / 4, `two slots of a quarter (${a.bytes} bytes each)`);
const big = a.alloc(a.bytes - 4096);
try {
  a.alloc(8192);
  check(false, 'quota error past the quota');
} catch (e) {
  check(e.code === 'TROUPE_ERR_SLOT_QUOTA', `quota: ${e.code} requested=${e.details.requested} used=${e.details.used} limit=${e.details.limit}`);
}
const other = b.alloc(64 * MB);
check(other.byteLength === 64 * MB, 'the other slot allocates undisturbed');
big.free();
other.free();

// Round trip through device memory.
const src = new Float32Array(16 * MB / 4).map((_, i) => i % 1000);
const buf = a.alloc(src.byteLength);
await buf.write(src, 0);
const back = new Float32Array(src.length);
await buf.read(back, 0);
check(back.every((v, i) => v === src[i]), 'host -> device -> host round trip (16 MiB)');
buf.free();

// Gather with device padding vs host gather, all dtypes.
const ctor = { float32: Float32Array, float16: Uint16Array, int32: Int32Array, int64: BigInt64Array, uint8: Uint8Array };
for (const dtype of Object.keys(ctor)) {
  const C = ctor[dtype];
  const tensors = Array.from({ length: 7 }, (_, i) => {
    const shape = [1 + ((i * 5) % 9), 3, 2 + (i % 4)];
    const len = shape.reduce((x, y) => x * y, 1);
    const data = new C(len);
    for (let k = 0; k < len; k++) data[k] = dtype === 'int64' ? BigInt(k + i) : (k + i * 7) % 251;
    return { dtype, shape, data };
  });
  const target = [9, 3, 5];
  const rows = 8;
  const padBits = dtype === 'int64' ? 0xffffffffffffffffn : 3n;
  const host = new C(rows * 9 * 3 * 5);
  n.gather(tensors, host, target, rows, padBits);
  const out = await a.gather(tensors, target, rows, padBits);
  const dev = new C(host.length);
  await out.read(dev, 0);
  out.free();
  check(dev.every((v, i) => v === host[i]), `gather ${dtype} padded on the device equals the host gather`);
}

// Bandwidth: host -> slot from pageable and shared memory, slot -> host, vs pinned cudaMemcpy.
const size = 256 * MB;
const slotBuf = a.alloc(size);
const pageable = new Uint8Array(size).fill(7);
const shared = new Uint8Array(new SharedArrayBuffer(size)).fill(7);
async function timeit(fn, reps = 5) {
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return size / best;
}
const gbs = (x) => (x / 1e9).toFixed(2) + ' GB/s';
const h2dPage = await timeit(() => slotBuf.write(pageable, 0));
const h2dShared = await timeit(() => slotBuf.write(shared, 0));
const d2h = await timeit(() => slotBuf.read(pageable, 0));
const pinnedH2D = n.measureCopyBandwidth(0, size, 5, true);
const pinnedD2H = n.measureCopyBandwidth(0, size, 5, false);
log(`host->slot (pageable ArrayBuffer, 256 MiB): ${gbs(h2dPage)} = ${(100 * h2dPage / pinnedH2D).toFixed(0)}% of pinned cudaMemcpy ${gbs(pinnedH2D)}`);
log(`host->slot (SharedArrayBuffer view, 256 MiB): ${gbs(h2dShared)} = ${(100 * h2dShared / pinnedH2D).toFixed(0)}% of pinned`);
log(`slot->host (pageable, 256 MiB): ${gbs(d2h)} = ${(100 * d2h / pinnedD2H).toFixed(0)}% of pinned cudaMemcpy ${gbs(pinnedD2H)}`);
slotBuf.free();

// The benchmark's gather: 64 tensors of 150 KB, into a GPU slot vs into host memory.
const reqs = Array.from({ length: 64 }, () => ({ dtype: 'float32', shape: [150 * 1024 / 4], data: new Float32Array(150 * 1024 / 4).fill(1) }));
const hostOut = new Float32Array(64 * 150 * 1024 / 4);
const iters = 50;
let t0 = process.hrtime.bigint();
for (let i = 0; i < iters; i++) n.gather(reqs, hostOut, [150 * 1024 / 4], 64, 0n);
const hostMs = Number(process.hrtime.bigint() - t0) / 1e6 / iters;
t0 = process.hrtime.bigint();
for (let i = 0; i < iters; i++) (await a.gather(reqs, [150 * 1024 / 4], 64, 0n)).free();
const slotMs = Number(process.hrtime.bigint() - t0) / 1e6 / iters;
const bytes = 64 * 150 * 1024;
log(`gather 64 x 150 KB: host ${hostMs.toFixed(3)} ms (${gbs(bytes / hostMs * 1e3)}), into GPU slot incl. staging+pad kernel ${slotMs.toFixed(3)} ms (${gbs(bytes / slotMs * 1e3)})`);

// A worker acquires a slot and dies without releasing it: the slot returns to the pool.
const before = n.poolStats().find((p) => p.device === 0);
await new Promise((res, rej) => {
  const w = new Worker(`
    const n = require(${JSON.stringify(file)});
    const s = n.acquireSlot(0, 0, 0.25);
    s.alloc(1024);
    require('worker_threads').parentPort.postMessage('held');
    setInterval(() => {}, 1000);
  `, { eval: true });
  w.once('message', async () => {
    const during = n.poolStats().find((p) => p.device === 0);
    check(during.slots === before.slots + 1, `worker holds a slot (pool slots ${during.slots})`);
    await w.terminate();
    res();
  });
  w.once('error', rej);
});
const after = n.poolStats().find((p) => p.device === 0);
check(after.slots === before.slots && after.used === before.used, `slot returned after the worker was terminated (pool slots ${after.slots})`);

a.release();
b.release();
check(n.closePool(0), 'pool closed after all slots released');
log(failures === 0 ? 'ALL GPU CHECKS PASSED' : `${failures} GPU CHECK(S) FAILED`);
process.exit(failures === 0 ? 0 : 1);
