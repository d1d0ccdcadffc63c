// The model path's batch copies through the addon and through TypeScript give the same bytes: every dtype (through
// a same-width view), ragged dims, pad values, memory from an allocator that held an earlier batch.
import t from 'tap';
import { concatTensors, stackTensors, tensor, type TensorDtype, type TensorLike } from '../../src/models/index.ts';
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

t.test('the default path is the addon where built; what it cannot do exactly stays in TypeScript', async t => {
  const parts = [filled('int16', [1, 2], 1), filled('int16', [1, 3], 2)];
  const auto = concatTensors(parts, { padValue: -1 });
  t.same(Array.from(auto.batch.data as Int16Array).slice(0, 3), [(parts[0].data as Int16Array)[0], (parts[0].data as Int16Array)[1], -1], 'a 16-bit pad of -1 is -1');
  if (nativeAvailable()) t.throws(() => concatTensors(parts, { padValue: -1, path: 'native' }), { code: 'TROUPE_ERR_SHAPE_MISMATCH', message: /use path 'auto'/ });
  const integral = concatTensors([filled('int32', [1, 2], 1), filled('int32', [1, 3], 2)], { padValue: 0.5 });
  t.equal((integral.batch.data as Int32Array)[2], 0, 'a fractional pad in an int32 batch is what the TypeScript fill makes of it');
  t.throws(() => concatTensors([filled('float32', [1, 2], 1), filled('int32', [1, 2], 2)], { path: 'native' }), /dtype int32.*float32/, 'checks before either path');
});
