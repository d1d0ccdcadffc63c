// Gather of 64 request tensors of 150 KB into one batch: the addon against a
// TypedArray.set loop in the same run, plus the padded (ragged) case against the
// TypeScript reference. On a machine with a GPU see gpu-check.mjs beside this file.
//   node --import tsx bench/native-batching/index.ts [--seconds 2]
import { gather, gatherAsync, gatherReference, nativeAvailable, type Tensor } from '../../src/native/index.ts';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 2;
const N = 64;
const ELEMS = (150 * 1024) / 4;
const tensors: Tensor[] = Array.from({ length: N }, (_, i) => ({ dtype: 'float32', shape: [ELEMS], data: new Float32Array(ELEMS).fill(i) }));
const out = new Float32Array(N * ELEMS);

function setLoop(): void {
  for (let i = 0; i < N; i++) out.set(tensors[i]!.data as Float32Array, i * ELEMS);
}

function measure(name: string, fn: () => void): number {
  for (let i = 0; i < 20; i++) fn();
  let iters = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < seconds * 1e9) {
    for (let i = 0; i < 10; i++) fn();
    iters += 10;
    elapsed = Number(process.hrtime.bigint() - t0);
  }
  const ms = elapsed / 1e6 / iters;
  console.log(`${name.padEnd(48)} ${ms.toFixed(3)} ms/batch  ${((N * ELEMS * 4) / (ms / 1e3) / 1e9).toFixed(2)} GB/s  (${iters} iterations)`);
  return ms;
}

async function measureAsync(name: string, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i++) await fn();
  let iters = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < seconds * 1e9) {
    await fn();
    iters++;
    elapsed = Number(process.hrtime.bigint() - t0);
  }
  const ms = elapsed / 1e6 / iters;
  console.log(`${name.padEnd(48)} ${ms.toFixed(3)} ms/batch  (${iters} iterations)`);
  return ms;
}

console.log(`node ${process.version}, native addon ${nativeAvailable() ? 'built' : 'MISSING (TypeScript fallback)'}; ${N} x ${(ELEMS * 4) / 1024} KB float32`);
const base = measure('TypedArray.set loop (baseline)', setLoop);
const nat = measure('gather (native, same shapes)', () => gather(tensors, { out }));
await measureAsync('gatherAsync (native, off the event loop)', () => gatherAsync(tensors, { out }));
console.log(`ratio native/set-loop: ${(nat / base).toFixed(2)} (below 1 = native faster)`);

// Ragged: lengths 50%..100% of 150 KB, padded to the maximum.
const ragged: Tensor[] = Array.from({ length: N }, (_, i) => {
  const len = Math.floor(ELEMS / 2 + ((i * 997) % (ELEMS / 2)));
  return { dtype: 'float32', shape: [len / 96 | 0, 96], data: new Float32Array((len / 96 | 0) * 96).fill(i) };
});
const raggedOut = new Float32Array(gatherReference(ragged, { padDims: [0] }).batch.data.length);
const ref = measure('ragged: gatherReference (TypeScript)', () => gatherReference(ragged, { padDims: [0], out: raggedOut }));
const natRagged = measure('ragged: gather (native, pads on the fly)', () => gather(ragged, { padDims: [0], out: raggedOut }));
console.log(`ratio native/reference (ragged): ${(natRagged / ref).toFixed(2)}`);
