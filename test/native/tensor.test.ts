// One tensor type ({ dtype, shape, data }) and one dtype list: the same object goes into the store and back, through
// the addon's gather/scatter, and into and out of a model, with no conversion in between.
import t from 'tap';
import {
  DTypeMismatchError, ObjectStore, OnnxModel, TensorShapeError, InvalidTensorError, type Dtype, type Tensor,
} from '../../src/index.ts';
import { DTYPES } from '../../src/store/index.ts';
import {
  ARRAY_OF, gather, gatherAsync, gatherReference, nativeAvailable, scatter, scatterReference, tensor, toFloat16Bits,
  type TensorData,
} from '../../src/native/index.ts';
import { tensorDtypes, type TensorLike } from '../../src/models/index.ts';
import { oneNodeModel } from '../models/tiny-onnx.ts';

t.ok(nativeAvailable(), 'the addon is built (npm run build:native)');

/** Element i of a test tensor, as the dtype's array stores it. */
function valueAt(dtype: Dtype, i: number): number | bigint {
  switch (dtype) {
    case 'int64': return BigInt(i) * -10_000_000_000n - 3n;
    case 'uint64': return 2n ** 63n + BigInt(i);
    case 'float64': return i / 3 - 1e300;
    case 'float32': return i * 0.25 - 7;
    case 'float16': return toFloat16Bits(i / 4 - 2);
    case 'bool': return i % 2;
    case 'int8': return -100 + i;
    case 'int16': return -30_000 + i;
    case 'uint16': return 65_000 + i;
    case 'int32': return -2_000_000_000 + i;
    case 'uint32': return 4_000_000_000 + i;
    default: return 200 + i;
  }
}

function filled<D extends Dtype>(dtype: D, shape: number[], offset = 0): Tensor<D> {
  const t = tensor(dtype, shape);
  for (let i = 0; i < t.data.length; i++) (t.data as unknown as (number | bigint)[])[i] = valueAt(dtype, offset + i);
  return t;
}

const padFor: Record<Dtype, number | bigint> = {
  float32: -1, float64: Number.NaN, float16: 1.5, int8: -128, uint8: 255, int16: -7, uint16: 65_535, int32: -1,
  uint32: 4_294_967_295, int64: -(2n ** 63n), uint64: 2n ** 64n - 1n, bool: 1,
};

/** The pad as the array stores it (float16: its bits). */
function storedPad(dtype: Dtype): number | bigint {
  return dtype === 'float16' ? toFloat16Bits(padFor[dtype] as number) : padFor[dtype];
}

t.test('one dtype list for the store, models and the addon', async (t) => {
  t.same([...DTYPES].sort(), ['bool', 'float16', 'float32', 'float64', 'int16', 'int32', 'int64', 'int8', 'uint16', 'uint32', 'uint64', 'uint8']);
  t.equal(tensorDtypes, DTYPES, 'models\' list is the same array');
  t.same(Object.keys(ARRAY_OF).sort(), [...DTYPES].sort(), 'a typed-array class for each');
});

t.test('a tensor round-trips through the store with its dtype, shape and data', async (t) => {
  const store = ObjectStore.create({ capacity: 1 << 20 });
  t.teardown(() => store.close());
  for (const dtype of DTYPES) {
    const x = filled(dtype, [2, 3]);
    const ref = store.putTensorSync(x);
    const back: Tensor = store.getTensor(ref);
    t.equal(back.dtype, dtype, `${dtype}: dtype kept`);
    t.same(back.shape, [2, 3], `${dtype}: shape kept`);
    t.equal(back.data.constructor, x.data.constructor, `${dtype}: the same array class`);
    t.same(Array.from(back.data as ArrayLike<unknown>), Array.from(x.data as ArrayLike<unknown>), `${dtype}: the same data`);
    store.release(ref);
  }
});

t.test('gather pads and scatter crops every dtype, the addon and the TypeScript reference alike', async (t) => {
  for (const dtype of ['int8', 'uint16', 'float64', 'bool', 'int64', 'float16', 'uint64', 'int16', 'uint32'] as const) {
    const a = filled(dtype, [2, 3]);
    const b = filled(dtype, [1, 2], 50);
    const options = { padDims: [0, 1], padValue: padFor[dtype], batchSize: 3 };
    const native = gather([a, b], options);
    const reference = gatherReference([a, b], options);
    t.equal(native.batch.dtype, dtype, `${dtype}: the batch keeps the dtype`);
    t.ok(native.batch.data instanceof ARRAY_OF[dtype], `${dtype}: in its own array class`);
    t.same(native.batch.shape, [3, 2, 3]);
    t.same(Buffer.from(native.batch.data.buffer), Buffer.from(reference.batch.data.buffer), `${dtype}: the same bytes on both paths`);
    const pad = storedPad(dtype);
    const at = (i: number) => (native.batch.data as unknown as ArrayLike<number | bigint>)[i];
    const same = (got: number | bigint | undefined, want: number | bigint) => (Number.isNaN(want) ? Number.isNaN(got as number) : got === want);
    t.ok(same(at(6), valueAt(dtype, 50)) && same(at(8), pad) && same(at(11), pad), `${dtype}: b's row, then padding`);
    t.ok([...Array(6).keys()].every((i) => same(at(12 + i), pad)), `${dtype}: the batchSize row is padding`);
    const async = await gatherAsync([a, b], options);
    t.same(Buffer.from(async.batch.data.buffer), Buffer.from(native.batch.data.buffer), `${dtype}: gatherAsync agrees`);

    const parts = scatter(native.batch, [[2, 3], [1, 2]], { dims: [0, 1] });
    const partsRef = scatterReference(native.batch, [[2, 3], [1, 2]], { dims: [0, 1] });
    for (const [i, src] of [a, b].entries()) {
      t.equal(parts[i]!.dtype, dtype);
      t.same(parts[i]!.shape, src.shape, `${dtype}: request ${i} cropped back`);
      t.same(Array.from(parts[i]!.data as ArrayLike<unknown>), Array.from(src.data as ArrayLike<unknown>), `${dtype}: request ${i}'s data`);
      t.same(Buffer.from(partsRef[i]!.data.buffer, partsRef[i]!.data.byteOffset, partsRef[i]!.data.byteLength),
        Buffer.from(parts[i]!.data.buffer, parts[i]!.data.byteOffset, parts[i]!.data.byteLength), `${dtype}: reference agrees`);
    }
  }
});

t.test('the same object from the store into the addon and a model, and the model\'s output back', async (t) => {
  const model = await OnnxModel.load(oneNodeModel({
    op: 'Identity', inputs: [{ name: 'x', elemType: 11, shape: ['n', 'm'] }], outputs: [{ name: 'y', elemType: 11, shape: ['n', 'm'] }],
  }), { name: 'identity-f64', warmup: false });
  const store = ObjectStore.create({ capacity: 1 << 20 });
  t.teardown(async () => { await model.dispose(); store.close(); });
  const refs = [store.putTensorSync(filled('float64', [2])), store.putTensorSync(filled('float64', [3], 10))];
  const views: Tensor[] = refs.map((r) => store.getTensor(r));
  const { batch } = gather(views, { padDims: [0], padValue: -1 });
  const { y } = await model.run({ x: batch });
  const out: TensorLike = y!;
  t.equal(out.dtype, 'float64');
  t.same(out.shape, [2, 3]);
  t.same(Array.from(out.data as Float64Array), [valueAt('float64', 0), valueAt('float64', 1), -1, ...[10, 11, 12].map((i) => valueAt('float64', i))]);
  const rows = scatter(out, [2, 3]);
  t.same(Array.from(rows[1]!.data as Float64Array), Array.from(views[1]!.data as Float64Array), 'scattered back to request 1');
  const outRef = store.putTensorSync(out);
  t.same(store.getTensor(outRef).shape, [2, 3], 'the model\'s output goes into the store as it is');
  for (const r of [...refs, outRef]) store.release(r);
});

t.test('int8 and bool tensors through a model', async (t) => {
  for (const [dtype, elemType] of [['int8', 3], ['bool', 9], ['uint16', 4]] as const) {
    const model = await OnnxModel.load(oneNodeModel({
      op: 'Identity', inputs: [{ name: 'x', elemType, shape: ['n', 2] }], outputs: [{ name: 'y', elemType, shape: ['n', 2] }],
    }), { name: `identity-${dtype}`, warmup: false });
    t.teardown(() => model.dispose());
    const x = filled(dtype, [3, 2]);
    const { y } = await model.run({ x });
    t.equal(y!.dtype, dtype);
    t.same(Array.from(y!.data as ArrayLike<number>), Array.from(x.data as ArrayLike<number>), `${dtype} comes back as it went in`);
  }
});

t.test('bad tensors get named errors from the bindings, the builder and the store', async (t) => {
  const store = ObjectStore.create({ capacity: 1 << 16 });
  t.teardown(() => store.close());
  const unknown = { dtype: 'bfloat16', shape: [2], data: new Uint16Array(2) } as unknown as Tensor;
  const wrongClass = { dtype: 'int8', shape: [2], data: new Uint8Array(2) } as unknown as Tensor;
  const wrongSize = { dtype: 'float64', shape: [2, 2], data: new Float64Array(3) } as Tensor;
  t.throws(() => gather([unknown]), DTypeMismatchError, 'an unknown dtype');
  t.throws(() => gather([unknown]), { message: /unknown dtype 'bfloat16'.*float64.*bool/ }, 'the message lists the dtypes');
  t.throws(() => gather([wrongClass]), DTypeMismatchError, 'int8 data in a Uint8Array');
  t.throws(() => gather([wrongClass]), { message: /int8 needs a Int8Array/ });
  t.throws(() => gather([wrongSize]), TensorShapeError, 'a shape of 4 elements over 3');
  t.throws(() => gatherReference([wrongSize]), TensorShapeError, 'the reference refuses it too');
  t.throws(() => scatter(wrongSize, 2), TensorShapeError);
  t.throws(() => tensor('bfloat16' as Dtype, [1]), DTypeMismatchError);
  t.throws(() => tensor('int8', [2], new Uint8Array(2) as unknown as TensorData as Int8Array), DTypeMismatchError);
  t.throws(() => tensor('float64', [2, 2], new Float64Array(3)), TensorShapeError);
  t.throws(() => store.putTensorSync(unknown), InvalidTensorError, 'the store names its own error');
  t.throws(() => store.putTensorSync(wrongClass), InvalidTensorError);
  t.throws(() => store.putTensorSync(wrongSize), InvalidTensorError);
  t.throws(() => gather([filled('uint16', [1])], { padValue: -1 }), { name: 'NativeArgumentError', message: /does not fit uint16/ }, 'a pad outside the dtype');
  t.throws(() => gather([filled('bool', [1])], { padValue: 2 }), { name: 'NativeArgumentError' }, 'bool pads with 0 or 1');
});
