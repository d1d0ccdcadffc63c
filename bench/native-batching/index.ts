// Gather of 64 request tensors of 150 KB into one batch: the addon against a
// TypedArray.set loop in the same run, plus the padded (ragged) case against the
// TypeScript reference; then the model path (OnnxModel.runBatch): its input gather through the addon against its
// TypeScript path, and outputs written in place against copied. On a machine with a GPU see gpu-check.mjs.
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

function measure(name: string, fn: () => void, bytes = N * ELEMS * 4): number {
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
  console.log(`${name.padEnd(48)} ${ms.toFixed(3)} ms/batch  ${(bytes / (ms / 1e3) / 1e9).toFixed(2)} GB/s  (${iters} iterations)`);
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

// ---- the model path: OnnxModel.runBatch's input gather and its outputs, in the same run ----
// Inputs: 16 OCR recognizer crops [1, 3, 48, W], W from 100 to 320, padded to the widest (what runBatch does).
// Model-path gather: models' concatTensors through the addon against its TypeScript loops. Outputs: a one-node
// model (Relu, output as large as its input: 2.9 MB a batch) with ORT writing into arrays allocated for the batch
// and requests getting views, against ORT allocating and every request getting a copy (the previous behaviour).
const { concatTensors, OnnxModel, tensor } = await import('../../src/models/index.ts');
const { oneNodeModel } = await import('../../test/models/tiny-onnx.ts');
type Inputs = { x: ReturnType<typeof tensor> };
const crop = (width: number, seed: number): Inputs => {
  const data = new Float32Array(3 * 48 * width);
  for (let i = 0; i < data.length; i++) data[i] = ((i + seed) % 251) / 251;
  return { x: tensor('float32', [1, 3, 48, width], data) };
};
const crops: Inputs[] = Array.from({ length: 16 }, (_, i) => crop(100 + ((i * 37) % 221), i));
const parts = crops.map(c => c.x);
const spare = new Float32Array(16 * 3 * 48 * 320);
const allocate = (_dtype: string, length: number) => spare.subarray(0, length); // runBatch reuses its input buffers: so does this
const batchBytes = 16 * 3 * 48 * Math.max(...parts.map(p => p.shape[3]!)) * 4; // written, padding included
const tsGather = measure('model path gather: TypeScript (16 x [1,3,48,100..320])', () => void concatTensors(parts, { allocate, path: 'typescript' }), batchBytes);
const natGather = measure('model path gather: addon', () => void concatTensors(parts, { allocate, path: 'native' }), batchBytes);
console.log(`ratio addon/TypeScript (model path gather): ${(natGather / tsGather).toFixed(2)}`);

const relu = await OnnxModel.load(oneNodeModel({
  op: 'Relu',
  inputs: [{ name: 'x', elemType: 1, shape: ['n', 3, 48, 320] }],
  outputs: [{ name: 'y', elemType: 1, shape: ['n', 3, 48, 320] }],
}), { name: 'relu', warmup: false });
const wide: Inputs[] = Array.from({ length: 16 }, (_, i) => crop(320, i));
const copied = await measureAsync('runBatch outputs: ORT allocates, each request copied', () => relu.runBatch(wide, { outputsInPlace: false, results: 'copy' }));
const inPlace = await measureAsync('runBatch outputs: in place, each request a view', () => relu.runBatch(wide, { results: 'view' }));
const inPlaceCopy = await measureAsync('runBatch outputs: in place, each request copied', () => relu.runBatch(wide, { outputsInPlace: true }));
console.log(`ratio in place (views)/copied: ${(inPlace / copied).toFixed(2)}; in place (copies)/copied: ${(inPlaceCopy / copied).toFixed(2)}`);
await relu.dispose();
// The whole runBatch on ragged crops: a model whose width is free, so the batch is padded to the widest crop.
const reluAnyWidth = await OnnxModel.load(oneNodeModel({
  op: 'Relu',
  inputs: [{ name: 'x', elemType: 1, shape: ['n', 3, 48, 'w'] }],
  outputs: [{ name: 'y', elemType: 1, shape: ['n', 3, 48, 'w'] }],
}), { name: 'relu-any-width', warmup: false });
const tsBatch = await measureAsync('runBatch ragged crops, gather in TypeScript', () => reluAnyWidth.runBatch(crops, { copyPath: 'typescript', results: 'view' }));
const natBatch = await measureAsync('runBatch ragged crops, gather in the addon', () => reluAnyWidth.runBatch(crops, { copyPath: 'native', results: 'view' }));
console.log(`ratio addon/TypeScript (whole runBatch, ragged): ${(natBatch / tsBatch).toFixed(2)}`);
await reluAnyWidth.dispose();
