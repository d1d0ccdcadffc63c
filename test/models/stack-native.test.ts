// The model path's batch copies through the addon and through TypeScript give the same bytes: every dtype (through
// a same-width view), ragged dims, pad values, memory from an allocator that held an earlier batch.
import t from 'tap';
import { concatTensors, cropTensor, stackTensors, tensor, type TensorDtype, type TensorLike } from '../../src/models/index.ts';
import { allocateData } from '../../src/models/tensor.ts';
import { nativeAvailable } from '../../src/native/index.ts';

const dtypes: TensorDtype[] = ['float32', 'float64', 'float16', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool'];

function filled(dtype: TensorDtype, shape: number[], seed: number): TensorLike {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = allocateData(dtype, n);
  for (let i = 0; i < n; i++) {
    const v = ((i * 7 + seed * 13) % 100) + 1;
    if (data instanceof BigInt64Array || data instanceof BigUint64Array) data[i] = BigInt(v);
    else (data as Float32Array)[i] = dtype === 'bool' ? v % 2 : v;
  }
  return tensor(dtype, shape, data);
}

// An allocator that hands out memory full of an earlier batch's bytes: every element must be written.
const dirty = (dtype: TensorDtype, length: number) => {
  const data = allocateData(dtype, length);
  new Uint8Array(data.buffer, data.byteOffset, data.byteLength).fill(0xab);
  return data;
};

t.test('native and TypeScript concatenation agree for every dtype, ragged and padded', { skip: !nativeAvailable() && 'the addon is not built' }, async t => {
  for (const dtype of dtypes) {
    const parts = [filled(dtype, [1, 2, 3], 1), filled(dtype, [2, 3, 1], 2), filled(dtype, [1, 1, 2], 3)];
    const padValue = dtype === 'float16' || dtype === 'int16' || dtype === 'uint16' ? 0 : dtype === 'bool' ? 1 : 7;
    const ts = concatTensors(parts, { padValue, allocate: dirty, path: 'typescript' });
    const native = concatTensors(parts, { padValue, allocate: dirty, path: 'native' });
    t.same(native.batch.shape, [4, 3, 3], `${dtype}: shape`);
    t.same(native.counts, ts.counts);
    t.same(Array.from(native.batch.data as ArrayLike<unknown>), Array.from(ts.batch.data as ArrayLike<unknown>), `${dtype}: same elements`);
    t.equal(native.batch.data.constructor, ts.batch.data.constructor, `${dtype}: its own array type`);
  }
});

t.test('stackTensors and float pads: NaN, negative, a fractional value', { skip: !nativeAvailable() && 'the addon is not built' }, async t => {
  for (const padValue of [Number.NaN, -2.5, 0.125]) {
    for (const dtype of ['float32', 'float64'] as const) {
      const parts = [filled(dtype, [3, 2], 1), filled(dtype, [1, 4], 2)];
      const ts = stackTensors(parts, { padValue, allocate: dirty, path: 'typescript' });
      const native = stackTensors(parts, { padValue, allocate: dirty, path: 'native' });
      t.same(native.batch.shape, [2, 3, 4]);
      t.same(Array.from(native.batch.data as Float64Array), Array.from(ts.batch.data as Float64Array), `${dtype} pad ${padValue}`);
    }
  }
});

t.test('a pad means what array.fill makes of it, on both paths: 16-bit -1, a fractional int32 pad, NaN in int8', { skip: !nativeAvailable() && 'the addon is not built' }, async t => {
  const cases: Array<[TensorDtype, number, unknown]> = [['int16', -1, -1], ['uint16', -1, 65535], ['float16', 15360, 15360], ['int32', 0.5, 0], ['int8', Number.NaN, 0], ['uint8', 300, 44]];
  for (const [dtype, padValue, expected] of cases) {
    const parts = [filled(dtype, [1, 2], 1), filled(dtype, [1, 3], 2)];
    for (const path of ['native', 'typescript'] as const) {
      const { batch } = concatTensors(parts, { padValue, allocate: dirty, path });
      t.equal((batch.data as Int16Array)[2], expected, `${dtype} pad ${padValue} (${path})`);
    }
  }
  t.throws(() => concatTensors([filled('float32', [1, 2], 1), filled('int32', [1, 2], 2)], { path: 'native' }), /dtype int32.*float32/, 'checks before either path');
});

t.test('cropTensor copies the region out through the same scatter for any dtype', async t => {
  const whole = filled('float64', [2, 3], 1);
  const crop = cropTensor(whole, [2, 2]);
  const w = whole.data as Float64Array;
  t.ok(crop.data instanceof Float64Array);
  t.same(Array.from(crop.data as Float64Array), [w[0], w[1], w[3], w[4]]);
  t.equal(crop.data.buffer.byteLength, 4 * 8, 'its own buffer');
});

t.test('an input with no rows makes an empty batch', async t => {
  const { batch, counts } = concatTensors([tensor('float32', [0, 2], new Float32Array(0)), tensor('float32', [0, 2], new Float32Array(0))]);
  t.same(batch.shape, [0, 2]);
  t.same(counts, [0, 0]);
});
