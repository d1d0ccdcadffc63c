import t from 'tap';
import { stack, unstack, type CopyPath, type Tensor } from '../../src/serve/tensor-batch.ts';
import { nativeAvailable, toFloat16Bits } from '../../src/native/index.ts';

const paths: CopyPath[] = nativeAvailable() ? ['native', 'typescript'] : ['typescript'];
if (!nativeAvailable()) t.comment('native addon not built: only the TypeScript path is tested (run `npm run build:native`)');

function seq(n: number, start = 1): number[] {
  return Array.from({ length: n }, (_, i) => start + i);
}

function randomTensor(dtype: Tensor['dtype'], shape: number[], seed: number): Tensor {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) >>> 0) % 1000);
  const n = shape.reduce((a, b) => a * b, 1);
  switch (dtype) {
    case 'float32': return { dtype, shape, data: Float32Array.from({ length: n }, () => next() / 7) };
    case 'float16': return { dtype, shape, data: Uint16Array.from({ length: n }, () => toFloat16Bits(next() / 3)) };
    case 'int32': return { dtype, shape, data: Int32Array.from({ length: n }, () => next() - 500) };
    case 'int64': return { dtype, shape, data: BigInt64Array.from({ length: n }, () => BigInt(next()) * 10_000_000_000n) };
    case 'uint8': return { dtype, shape, data: Uint8Array.from({ length: n }, () => next() & 0xff) };
    default: throw new Error(`no generator for ${dtype}`);
  }
}

for (const path of paths) {
  t.test(`${path}: ragged 2-D tensors are padded, and unstack crops them back`, async t => {
    const a: Tensor<'float32'> = { dtype: 'float32', shape: [2, 3], data: Float32Array.from(seq(6)) };
    const b: Tensor<'float32'> = { dtype: 'float32', shape: [1, 2], data: Float32Array.from([7, 8]) };
    const s = stack([a, b], { padValue: -1, path });
    t.same(s.batch.shape, [2, 2, 3]);
    t.same([...s.batch.data], [1, 2, 3, 4, 5, 6, 7, 8, -1, -1, -1, -1]);
    t.same(s.shapes, [[2, 3], [1, 2]]);
    const back = unstack(s.batch, s.shapes, { path });
    t.same(back.map(x => x.shape), [[2, 3], [1, 2]]);
    t.same([...back[0]!.data], [...a.data]);
    t.same([...back[1]!.data], [7, 8]);
  });

  t.test(`${path}: padTo fixes the row shape, batchSize adds padding rows, lengths crop sequences`, async t => {
    const x: Tensor<'int32'> = { dtype: 'int32', shape: [3], data: Int32Array.from([1, 2, 3]) };
    const y: Tensor<'int32'> = { dtype: 'int32', shape: [1], data: Int32Array.from([9]) };
    const s = stack([x, y], { padTo: [5], batchSize: 3, path });
    t.same(s.batch.shape, [3, 5]);
    t.same([...s.batch.data], [1, 2, 3, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const parts = unstack(s.batch, [3, 1], { path });
    t.same(parts.map(p => [...p.data]), [[1, 2, 3], [9]]);
    const rows = unstack(s.batch, 2, { path });
    t.same(rows.map(p => p.shape), [[5], [5]], 'a count takes whole rows and leaves padding rows out');
    const keep = stack([x, y], { padTo: [null], path });
    t.same(keep.batch.shape, [2, 3], 'null in padTo means the largest size');
    t.throws(() => stack([x, y], { padTo: [2], path }), { name: 'TensorShapeError', message: /tensor 0 has size 3 in dimension 0 .* padTo\[0\] is 2; stack pads, it never crops/ });
  });

  t.test(`${path}: every dtype keeps its bits, scalars stack into a vector`, async t => {
    const scalars = [1.5, 2.5, 3.5].map(v => ({ dtype: 'float32' as const, shape: [], data: Float32Array.of(v) }));
    const s = stack(scalars, { path });
    t.same(s.batch.shape, [3]);
    t.same([...s.batch.data], [1.5, 2.5, 3.5]);
    const big: Tensor<'int64'>[] = [
      { dtype: 'int64', shape: [2], data: BigInt64Array.of(2n ** 62n, -5n) },
      { dtype: 'int64', shape: [1], data: BigInt64Array.of(-(2n ** 63n)) },
    ];
    const si = stack(big, { padValue: -1n, path });
    t.same([...si.batch.data], [2n ** 62n, -5n, -(2n ** 63n), -1n]);
    const half: Tensor<'float16'>[] = [
      { dtype: 'float16', shape: [1], data: Uint16Array.of(toFloat16Bits(0.5)) },
      { dtype: 'float16', shape: [2], data: Uint16Array.of(toFloat16Bits(1), toFloat16Bits(2)) },
    ];
    const sh = stack(half, { padValue: -2, path });
    t.same([...sh.batch.data], [toFloat16Bits(0.5), toFloat16Bits(-2), toFloat16Bits(1), toFloat16Bits(2)], 'float16 pads with the half bits of padValue');
    const bytes: Tensor<'uint8'>[] = [
      { dtype: 'uint8', shape: [2, 1], data: Uint8Array.of(255, 254) },
      { dtype: 'uint8', shape: [1, 2], data: Uint8Array.of(1, 2) },
    ];
    const sb = stack(bytes, { padValue: 7, path });
    t.same(sb.batch.shape, [2, 2, 2]);
    t.same([...sb.batch.data], [255, 7, 254, 7, 1, 2, 7, 7]);
    t.same(unstack(sb.batch, sb.shapes, { path }).map(p => [...p.data]), [[255, 254], [1, 2]]);
  });

  t.test(`${path}: bad input is refused with the same errors`, async t => {
    const f = (shape: number[]): Tensor => ({ dtype: 'float32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
    t.throws(() => stack([], { path }), { name: 'EmptyBatchError' });
    t.throws(() => stack([f([2]), { dtype: 'int32', shape: [2], data: new Int32Array(2) }], { path }), { name: 'DTypeMismatchError', message: /tensor 1 is int32 but tensor 0 is float32/ });
    t.throws(() => stack([f([2]), f([2, 1])], { path }), { name: 'RankMismatchError' });
    t.throws(() => stack([{ dtype: 'float32', shape: [3], data: new Float32Array(2) }], { path }), { name: 'TensorShapeError', message: /shape \[3\] \(3 elements\) but 2 elements/ });
    t.throws(() => stack([{ dtype: 'float32', shape: [2], data: new Int32Array(2) } as any], { path }), { name: 'DTypeMismatchError', message: /needs a Float32Array/ });
    t.throws(() => stack([{ dtype: 'uint8', shape: [1], data: new Uint8Array(1) }], { padValue: 300, path }), { message: /from 0 to 255/ });
    t.throws(() => stack([f([2])], { batchSize: 0, path }), { message: /batchSize 0 is smaller/ });
    t.throws(() => stack([f([2])], { padTo: [2, 2], path }), { message: /padTo must list 1 sizes/ });
    const s = stack([f([2, 2])], { path });
    t.throws(() => unstack(s.batch, [[3, 2]], { path }), { name: 'TensorShapeError' }, 'a crop larger than the row');
    t.throws(() => unstack(s.batch, [[2]], { path }), { name: 'RankMismatchError' });
  });
}

t.test('the native and TypeScript paths give identical bytes', { skip: !nativeAvailable() && 'native addon not built' }, async t => {
  const dtypes: Tensor['dtype'][] = ['float32', 'float16', 'int32', 'int64', 'uint8'];
  let cases = 0;
  for (const dtype of dtypes) {
    for (let trial = 0; trial < 6; trial++) {
      const rank = 1 + (trial % 3);
      const tensors = Array.from({ length: 1 + trial }, (_, i) => {
        const shape = Array.from({ length: rank }, (_, d) => 1 + ((i * 7 + d * 3 + trial) % 5));
        return randomTensor(dtype, shape, 17 * trial + i + 1);
      });
      const padValue = dtype === 'int64' ? -3n : dtype === 'uint8' ? 9 : -3;
      const padTo = trial % 2 ? Array.from({ length: rank }, () => 6) : undefined;
      const batchSize = tensors.length + (trial % 2);
      const native = stack(tensors, { padValue, padTo, batchSize, path: 'native' });
      const ts = stack(tensors, { padValue, padTo, batchSize, path: 'typescript' });
      t.same(native.batch.shape, ts.batch.shape);
      t.ok(Buffer.from(native.batch.data.buffer).equals(Buffer.from(ts.batch.data.buffer)), `${dtype} trial ${trial}: same bytes`);
      const un = unstack(native.batch, native.shapes, { path: 'native' });
      const ut = unstack(ts.batch, ts.shapes, { path: 'typescript' });
      un.forEach((u, i) => {
        t.same(u.shape, tensors[i]!.shape);
        t.ok(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength).equals(Buffer.from(ut[i]!.data.buffer, ut[i]!.data.byteOffset, ut[i]!.data.byteLength)));
        t.ok(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength).equals(Buffer.from(tensors[i]!.data.buffer)), 'round trip returns the input');
      });
      cases++;
    }
  }
  t.equal(cases, 30);
});

t.test('unstack views share the batch memory unless copy is set', async t => {
  const s = stack([
    { dtype: 'float32', shape: [2], data: Float32Array.of(1, 2) },
    { dtype: 'float32', shape: [1], data: Float32Array.of(3) },
  ]);
  const views = unstack(s.batch, [2, 1]);
  t.equal(views[1]!.data.buffer, s.batch.data.buffer, 'a prefix crop is a view');
  const copies = unstack(s.batch, [2, 1], { copy: true });
  t.not(copies[1]!.data.buffer, s.batch.data.buffer);
  t.same([...copies[1]!.data], [3]);
});
