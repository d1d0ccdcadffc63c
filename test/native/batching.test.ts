import t from 'tap';
import {
  DTypeMismatchError, DetachedBufferError, EmptyBatchError, RankMismatchError, TensorShapeError, gather, gatherAsync,
  gatherReference, nativeAvailable, scatter, scatterReference, toFloat16Bits, type Dtype, type Tensor,
} from '../../src/native/index.ts';

t.ok(nativeAvailable(), 'the addon is built (npm run build:native)');

const ctors: Partial<Record<Dtype, new (n: number) => unknown>> = { float32: Float32Array, float16: Uint16Array, int32: Int32Array, int64: BigInt64Array, uint8: Uint8Array };
const dtypes = Object.keys(ctors) as Dtype[];

// Deterministic PRNG so a failure can be replayed.
let seed = 12345;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const randInt = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

function tensor(dtype: Dtype, shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new ctors[dtype]!(n) as any;
  for (let i = 0; i < n; i++) {
    (data as any)[i] = dtype === 'int64' ? BigInt(randInt(-1e6, 1e6)) : dtype === 'float32' ? rand() * 100 - 50 : randInt(0, 250);
  }
  return { dtype, shape, data } as Tensor;
}

t.test('gather equals the TypeScript reference on random shapes and dtypes', async (t) => {
  let cases = 0;
  for (let round = 0; round < 200; round++) {
    const dtype = dtypes[round % dtypes.length]!;
    const rank = randInt(0, 4);
    const base = Array.from({ length: rank }, () => randInt(1, 6));
    const padDims = base.map((_, d) => d).filter(() => rand() < 0.5);
    const count = randInt(1, 9);
    const tensors = Array.from({ length: count }, () =>
      tensor(dtype, base.map((d, k) => (padDims.includes(k) ? randInt(0, d) : d))),
    );
    const options = {
      padDims,
      padValue: dtype === 'int64' ? -7n : dtype === 'float16' ? 1.5 : 3,
      bucket: round % 3 === 0 ? 4 : round % 3 === 1 ? [2, 8] : undefined,
      batchSize: round % 4 === 0 ? count + 2 : undefined,
    };
    const native = gather(tensors, options);
    const ref = gatherReference(tensors, options);
    if (!t.same(native.batch.shape, ref.batch.shape, `round ${round} shape`)) break;
    if (!t.same(Array.from(native.batch.data as any), Array.from(ref.batch.data as any), `round ${round} data`)) break;
    t.same(native.lengths, ref.lengths);
    const asyncResult = await gatherAsync(tensors, options);
    t.same(Array.from(asyncResult.batch.data as any), Array.from(ref.batch.data as any));
    // scatter gives back exactly the inputs
    const parts = scatter(native.batch, native.lengths.map((l) => [...l]).slice(0, count).map((l) => l), { dims: padDims });
    if (padDims.length > 0) {
      parts.forEach((p, i) => {
        t.same(p.shape, tensors[i]!.shape);
        t.same(Array.from(p.data as any), Array.from(tensors[i]!.data as any));
      });
      const refParts = scatterReference(ref.batch, ref.lengths, { dims: padDims });
      refParts.forEach((p, i) => t.same(Array.from(p.data as any), Array.from(parts[i]!.data as any)));
    }
    cases++;
  }
  t.equal(cases, 200);
});

t.test('ragged padding: sequences padded to the batch maximum or a bucket, pad value, true lengths', async (t) => {
  const seqs = [[1, 2, 3], [4], [5, 6]].map((s) => ({ dtype: 'int64' as const, shape: [s.length], data: BigInt64Array.from(s.map(BigInt)) }));
  const g = gather(seqs, { padDims: [0], padValue: -1n });
  t.same(g.batch.shape, [3, 3]);
  t.same(Array.from(g.batch.data as BigInt64Array), [1n, 2n, 3n, 4n, -1n, -1n, 5n, 6n, -1n]);
  t.same(g.lengths, [[3], [1], [2]]);
  const b = gather(seqs, { padDims: [0], bucket: [4, 16], batchSize: 4 });
  t.same(b.batch.shape, [4, 4]);
  t.same(Array.from(b.batch.data as BigInt64Array).slice(12), [0n, 0n, 0n, 0n], 'extra batch rows are padding');

  const half = gather([{ dtype: 'float16', shape: [1], data: Uint16Array.of(toFloat16Bits(2)) }, { dtype: 'float16', shape: [2], data: Uint16Array.of(1, 2) }], { padDims: [0], padValue: -Infinity });
  t.equal((half.batch.data as Uint16Array)[1], 0xfc00, 'float16 pad value as raw half bits');
  t.equal(toFloat16Bits(1), 0x3c00);
  t.equal(toFloat16Bits(65504), 0x7bff);

  // 2-D padding, cropped back: a copy, since inner rows are cropped
  const imgs = [tensor('float32', [2, 3]), tensor('float32', [3, 1])];
  const gi = gather(imgs, { padDims: [0, 1] });
  t.same(gi.batch.shape, [2, 3, 3]);
  const back = scatter(gi.batch, gi.lengths, { dims: [0, 1] });
  t.same(Array.from(back[1]!.data as Float32Array), Array.from(imgs[1]!.data as Float32Array));
  t.not(back[1]!.data.buffer, gi.batch.data.buffer, 'inner crop copies');
});

t.test('scatter returns views where no copy is needed', async (t) => {
  const batch = { dtype: 'float32' as const, shape: [3, 4, 2], data: new Float32Array(24).map((_, i) => i) };
  const parts = scatter(batch, [4, 2, 1]);
  t.equal(parts[0]!.data.buffer, batch.data.buffer, 'full row: view');
  t.equal(parts[1]!.data.buffer, batch.data.buffer, 'prefix crop of the first row dim: view');
  t.same(parts[1]!.shape, [2, 2]);
  t.same(Array.from(parts[1]!.data as Float32Array), [8, 9, 10, 11]);
  const copied = scatter(batch, [4, 2, 1], { copy: true });
  t.not(copied[0]!.data.buffer, batch.data.buffer, 'copy: true copies');
  t.same(scatter(batch, 2).length, 2, 'a count selects the first requests');
  t.throws(() => scatter(batch, [5]), TensorShapeError, 'a length past the batch is refused');
});

t.test('bad input throws typed errors and the process goes on', async (t) => {
  const f = tensor('float32', [2, 2]);
  t.throws(() => gather([]), EmptyBatchError);
  t.throws(() => gather([f, tensor('int32', [2, 2])]), DTypeMismatchError);
  t.throws(() => gather([f, tensor('float32', [4])]), RankMismatchError);
  t.throws(() => gather([f, tensor('float32', [3, 2])]), TensorShapeError, 'differs along a dim not in padDims');
  t.throws(() => gather([{ dtype: 'float32', shape: [3, 2], data: new Float32Array(5) }]), TensorShapeError);
  t.throws(() => gather([{ dtype: 'float32', shape: [2], data: new Int32Array(2) as any }]), DTypeMismatchError);
  t.throws(() => gather([{ dtype: 'bfloat16' as any, shape: [2], data: new Uint16Array(2) as any }]), DTypeMismatchError);
  const detached = new Float32Array(4);
  structuredClone(detached.buffer, { transfer: [detached.buffer] });
  t.throws(() => gather([{ dtype: 'float32', shape: [4], data: detached }]), DetachedBufferError);
  t.throws(() => gather([f], { out: new Float32Array(3) }), TensorShapeError);
  const err = t.throws(() => gather([f, tensor('int32', [2, 2])]));
  t.match(err, { code: 'TROUPE_ERR_DTYPE_MISMATCH' });
  t.same(gather([f]).batch.shape, [1, 2, 2], 'still works after the errors');
});

t.test('no leaked memory over 10 000 gather/scatter cycles', async (t) => {
  const tensors = Array.from({ length: 16 }, (_, i) => tensor('float32', [1 + (i % 5), 64]));
  const cycle = () => {
    const g = gather(tensors, { padDims: [0] });
    scatter(g.batch, g.lengths, { copy: true });
  };
  for (let i = 0; i < 1000; i++) cycle();
  (globalThis as any).gc?.();
  const before = process.memoryUsage();
  for (let i = 0; i < 10_000; i++) cycle();
  (globalThis as any).gc?.();
  await new Promise((r) => setTimeout(r, 50));
  const after = process.memoryUsage();
  const growth = after.rss - before.rss;
  // One cycle allocates ~25 KB; a leak of it per cycle would be ~250 MB.
  t.ok(growth < 64 * 2 ** 20, `RSS grew ${(growth / 2 ** 20).toFixed(1)} MiB over 10 000 cycles`);
  t.ok(after.arrayBuffers - before.arrayBuffers < 32 * 2 ** 20, 'array buffers are collected');
});
