// Round trip of a Float32Array main → actor → main: copied (the runtime's default), transferred, or as an
// ObjectRef to the shared arena. 16 MiB and 64 KiB, all in the same run, through the actor runtime
// (Runtime.spawn: objectStore: false against the store integrated) and through raw worker_threads.
//   node --import tsx bench/object-store/round-trip.ts [--quick]
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { Runtime, transfer } from '../../src/index.ts';
import { ObjectStore, type ObjectRef } from '../../src/index.ts';
import { Echo } from './echo-actor.ts';

const quick = process.argv.includes('--quick');
const MiB = 1024 * 1024;
const sizes = [
  { label: '16 MiB', bytes: 16 * MiB, iterations: quick ? 6 : 20, refIterations: quick ? 50 : 300 },
  { label: '64 KiB', bytes: 64 * 1024, iterations: quick ? 100 : 1000, refIterations: quick ? 100 : 1000 },
];

interface Row { path: string; size: string; mode: string; medianUs: number; p90Us: number; n: number }
const rows: Row[] = [];

async function measure(path: string, size: string, mode: string, n: number, once: () => Promise<void>): Promise<void> {
  for (let i = 0; i < Math.min(5, n); i++) await once();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await once();
    times.push((performance.now() - t0) * 1000);
  }
  times.sort((a, b) => a - b);
  const row = { path, size, mode, medianUs: times[Math.floor(n / 2)]!, p90Us: times[Math.floor(n * 0.9)]!, n };
  rows.push(row);
  console.error(`${path.padEnd(8)} ${size.padEnd(7)} ${mode.padEnd(22)} median ${row.medianUs.toFixed(1).padStart(9)} µs  p90 ${row.p90Us.toFixed(1).padStart(9)} µs  (n=${n})`);
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`benchmark sanity check failed: ${what}`);
}

// ---- through the actor runtime: objectStore: false (typed arrays copied) vs the store integrated, same run ----
const plain = new Runtime({ objectStore: false, taskThreads: 1 });
const plainEcho = await plain.spawn(Echo, []);
const runtime = new Runtime({ objectStore: { capacityBytes: 1024 * MiB }, taskThreads: 1 });
const rtStore = runtime.objectStore!;
const echo = await runtime.spawn(Echo, []);
// Touch every page of the arena once, as a server that has run a while has: otherwise each put into fresh
// memory pays page faults (a cold 16 MiB put measured ~6x slower under load).
{
  const { ref, data } = rtStore.allocateSync('uint8', [rtStore.capacity]);
  (data as Uint8Array).fill(1);
  rtStore.release(ref);
}

for (const { label, bytes, iterations, refIterations } of sizes) {
  const length = bytes / 4;
  let heap: Float32Array<ArrayBufferLike> = new Float32Array(length).fill(1);
  await measure('runtime', label, 'copy (default)', iterations, async () => {
    const back = await plainEcho.echo(heap);
    check(back.length === length && back[0] === heap[0]! + 1 && !(back.buffer instanceof SharedArrayBuffer), 'copy echo');
  });
  await measure('runtime', label, 'transfer', iterations, async () => {
    const before = heap[0]!;
    heap = await plainEcho.echoTransfer(transfer(heap));
    check(heap.length === length && heap[0] === before + 1, 'transfer echo');
  });
  // The store integrated: the same call, no code change. A heap array is put (one copy) and the actor's
  // view goes back by ref; an array that already lies in the arena is not copied at all.
  await measure('runtime', label, 'store, heap array (1 copy)', iterations, async () => {
    const back = await echo.echo(heap);
    check(back.length === length && back[0] === heap[0]! + 1 && back.buffer instanceof SharedArrayBuffer, 'store echo');
    rtStore.release(back);
  });
  const ref = await rtStore.put(heap);
  const mine = rtStore.get(ref) as Float32Array;
  await measure('runtime', label, 'store, view in arena (0 copies)', refIterations, async () => {
    const before = mine[0]!;
    const back = await echo.echo(mine);
    check(back[0] === before + 1 && mine[0] === before + 1, 'in-arena echo shares memory');
    rtStore.release(back);
  });
  await measure('runtime', label, 'explicit ObjectRef', refIterations, async () => {
    const before = mine[0]!;
    const back = (await echo.echoRef(ref)) as ObjectRef;
    check((rtStore.get(back) as Float32Array)[0] === before + 1, 'ref echo sees the actor\'s write');
  });
  rtStore.release(ref);
}
const beforeKill = rtStore.stats();
await runtime.kill(echo); // the actor's views of its arguments are dropped with its thread
const afterKill = rtStore.stats();
check(afterKill.objects === 0 && afterKill.used === 0, 'every stored object released once the actor is gone');
console.error(`store: ${beforeKill.puts} puts, peak ${(beforeKill.peak / MiB).toFixed(0)} MiB, ${beforeKill.failedPuts} sent inline (arena full), ${beforeKill.gcReleases} holds dropped by GC, ${afterKill.holderReleases} with the actor's thread`);
await runtime.shutdown();
await plain.shutdown();

const store = ObjectStore.create({ capacity: 256 * MiB });

// ---- raw worker_threads ----
const worker = new Worker(new URL('./boot.mjs', import.meta.url), {
  execArgv: [],
  workerData: { entry: new URL('./raw-echo-worker.ts', import.meta.url).href, share: store.share(), holder: 2 },
});
await once(worker, 'online');
async function ask(msg: unknown, transferList?: ArrayBuffer[]): Promise<any> {
  const reply = once(worker, 'message');
  worker.postMessage(msg, transferList);
  return (await reply)[0];
}
for (const { label, bytes, iterations, refIterations } of sizes) {
  const length = bytes / 4;
  let heap: Float32Array<ArrayBufferLike> = new Float32Array(length).fill(1);
  await measure('raw', label, 'structured clone', iterations, async () => {
    const back = await ask({ kind: 'clone', data: heap });
    check(back.length === length && back[0] === heap[0]! + 1, 'clone echo');
  });
  await measure('raw', label, 'transfer', iterations, async () => {
    const before = heap[0]!;
    heap = await ask({ kind: 'transfer', data: heap }, [heap.buffer as ArrayBuffer]);
    check(heap.length === length && heap[0] === before + 1, 'transfer echo');
  });
  const ref = await store.put(heap);
  const mine = store.get(ref) as Float32Array;
  await measure('raw', label, 'store ref', refIterations, async () => {
    const before = mine[0]!;
    store.retain(ref, 2);
    const back = await ask({ kind: 'ref', ref });
    check((store.get(back) as Float32Array)[0] === before + 1, 'raw ref echo');
    store.release(back);
  });
  store.release(ref);
}
await worker.terminate();

const stats = store.stats();
check(stats.objects === 0 && stats.used === 0, 'every object released at the end');
store.close();

// Ratios against the copying baselines of the same path and size, same run.
console.log('| path | size | mode | median µs | p90 µs | n | speed-up vs copy |');
console.log('|---|---|---|---:|---:|---:|---:|');
for (const r of rows) {
  const base = rows.find((b) => b.path === r.path && b.size === r.size && (b.mode === 'copy (default)' || b.mode === 'structured clone'))!;
  console.log(`| ${r.path} | ${r.size} | ${r.mode} | ${r.medianUs.toFixed(1)} | ${r.p90Us.toFixed(1)} | ${r.n} | ${(base.medianUs / r.medianUs).toFixed(1)}x |`);
}
