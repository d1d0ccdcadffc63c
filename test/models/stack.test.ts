import t from 'tap';
import { concatTensors, cropTensor, splitTensor, stackTensors, tensor, unstackTensor } from '../../src/models/index.ts';

const seq = (n: number, start = 0) => Float32Array.from({ length: n }, (_, i) => start + i);

t.test('concatTensors pads ragged dims and keeps each row in place', async (t) => {
  const a = tensor('float32', [1, 2, 2], seq(4, 1)); // [[1,2],[3,4]]
  const b = tensor('float32', [2, 1, 3], seq(6, 10)); // [[10,11,12]], [[13,14,15]]
  const { batch, counts, shapes } = concatTensors([a, b], { padValue: -1 });
  t.same(batch.shape, [3, 2, 3]);
  t.same(counts, [1, 2]);
  t.same(shapes, [[1, 2, 2], [2, 1, 3]]);
  t.same(Array.from(batch.data as Float32Array), [1, 2, -1, 3, 4, -1, 10, 11, 12, -1, -1, -1, 13, 14, 15, -1, -1, -1]);
  const [pa, pb] = splitTensor(batch, counts);
  t.same(pa.shape, [1, 2, 3]);
  t.same(pb.shape, [2, 2, 3]);
  t.same(Array.from(cropTensor(pa, [1, 2, 2]).data as Float32Array), [1, 2, 3, 4]);
  t.same(Array.from(cropTensor(pb, [2, 1, 3]).data as Float32Array), [10, 11, 12, 13, 14, 15]);
});

t.test('stackTensors adds a batch dim and unstackTensor removes it', async (t) => {
  const x = tensor('int32', [2], Int32Array.of(1, 2));
  const y = tensor('int32', [3], Int32Array.of(3, 4, 5));
  const { batch, shapes } = stackTensors([x, y]);
  t.same(batch.shape, [2, 3]);
  t.same(shapes, [[2], [3]]);
  t.ok(batch.data instanceof Int32Array);
  t.same(Array.from(batch.data as Int32Array), [1, 2, 0, 3, 4, 5]);
  const rows = unstackTensor(batch);
  t.same(rows.map((r) => r.shape), [[3], [3]]);
  t.same(Array.from(rows[1].data as Int32Array), [3, 4, 5]);
});

t.test('int64 tensors pad with bigint values', async (t) => {
  const a = tensor('int64', [1, 1], BigInt64Array.of(7n));
  const b = tensor('int64', [1, 2], BigInt64Array.of(8n, 9n));
  const { batch } = concatTensors([a, b], { padValue: 5 });
  t.same(Array.from(batch.data as BigInt64Array), [7n, 5n, 8n, 9n]);
});

t.test('splitTensor returns views, not copies', async (t) => {
  const whole = tensor('float32', [4, 2], seq(8));
  const [first] = splitTensor(whole, [1, 3]);
  (whole.data as Float32Array)[0] = 99;
  t.equal((first.data as Float32Array)[0], 99);
});

t.test('mismatched inputs are refused with a reason', async (t) => {
  t.throws(() => concatTensors([]), /empty list/);
  t.throws(() => concatTensors([tensor('float32', [1, 2]), tensor('int32', [1, 2])]), /dtype int32.*float32/);
  t.throws(() => concatTensors([tensor('float32', [1, 2]), tensor('float32', [1, 2, 1])]), /rank 3/);
  t.throws(() => concatTensors([{ dtype: 'float32', shape: [1, 3], data: new Float32Array(2) }]), /needs 3 elements/);
  t.throws(() => splitTensor(tensor('float32', [3, 1]), [1, 1]), /add up to 2 rows but the tensor has 3/);
  t.throws(() => cropTensor(tensor('float32', [2, 2]), [3, 1]), /does not fit/);
  t.throws(() => tensor('float32', [2, 2], new Float32Array(3)), /\(4 elements\) but 3/);
  t.throws(() => tensor('float32', [1], new Int32Array(1) as never), /Float32Array/);
});
