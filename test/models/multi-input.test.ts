import t from 'tap';
import { ModelInputError, OnnxModel, tensor } from '../../src/models/index.ts';
import { oneNodeModel } from './tiny-onnx.ts';

// A two-input int64 model built in memory: Add(a, b) with a shared symbolic batch dim.
const addModel = (shape: (number | string)[]) =>
  oneNodeModel({
    op: 'Add',
    inputs: [
      { name: 'a', elemType: 7, shape },
      { name: 'b', elemType: 7, shape },
    ],
    outputs: [{ name: 'sum', elemType: 7, shape }],
  });
const i64 = (shape: number[], values: number[]) => tensor('int64', shape, BigInt64Array.from(values.map(BigInt)));

t.test('a model loaded from bytes: metadata of several inputs, default warm-up shapes', async (t) => {
  const model = await OnnxModel.load(addModel(['batch', 'n']), { name: 'add' });
  t.teardown(() => model.dispose());
  t.same(model.inputs, [
    { name: 'a', isTensor: true, dtype: 'int64', shape: ['batch', 'n'] },
    { name: 'b', isTensor: true, dtype: 'int64', shape: ['batch', 'n'] },
  ]);
  t.ok(model.info.warmupMs > 0);
  t.match(model.info.source, /^<\d+ bytes>$/);
  const out = await model.run({ a: i64([2, 2], [1, 2, 3, 4]), b: i64([2, 2], [10, 20, 30, 40]) });
  t.same(Array.from(out.sum.data as BigInt64Array), [11n, 22n, 33n, 44n]);
});

t.test('one symbolic dim must have one size across inputs', async (t) => {
  const model = await OnnxModel.load(addModel(['batch', 3]), { name: 'add' });
  t.teardown(() => model.dispose());
  const err = await model.run({ a: i64([2, 3], [0, 0, 0, 0, 0, 0]), b: i64([1, 3], [0, 0, 0]) }).catch((e) => e);
  t.ok(err instanceof ModelInputError);
  t.match(err.message, /model "add": input "b" dim 0 \(batch\) is 1 but input "a" has 2 for the same dim/);
  await t.rejects(model.run({ a: i64([1, 3], [0, 0, 0]) }), { message: /input "b" is missing; expected int64 \[\?batch, 3\]/ });
  await t.rejects(model.run({ a: i64([1, 3], [0, 0, 0]), b: tensor('int32', [1, 3]) }), { message: /input "b" has dtype int32; expected int64/ });
});

t.test('runBatch over two inputs with a ragged dim pads both and splits the output', async (t) => {
  const model = await OnnxModel.load(addModel(['batch', 'n']), { name: 'add' });
  t.teardown(() => model.dispose());
  const results = await model.runBatch(
    [
      { a: i64([1, 2], [1, 2]), b: i64([1, 2], [10, 20]) },
      { a: i64([2, 3], [1, 2, 3, 4, 5, 6]), b: i64([2, 3], [1, 1, 1, 1, 1, 1]) },
    ],
    { padValue: { a: 100, b: 0 } },
  );
  t.same(results[0].sum.shape, [1, 3], 'padded to the widest request');
  t.same(Array.from(results[0].sum.data as BigInt64Array), [11n, 22n, 100n], 'the padding is the pad value of a plus 0');
  t.same(results[1].sum.shape, [2, 3]);
  t.same(Array.from(results[1].sum.data as BigInt64Array), [2n, 3n, 4n, 5n, 6n, 7n]);
});

t.test('runBatch keeps its batch buffers for later batches: padding and values never leak between batches', async (t) => {
  const model = await OnnxModel.load(addModel(['batch', 'n']), { name: 'add' });
  t.teardown(() => model.dispose());
  const sums = (r: Awaited<ReturnType<typeof model.runBatch>>) => r.map((o) => Array.from(o.sum.data as BigInt64Array));
  // Same batch size (2 x 3) three times: padded with 100, then not padded, then padded with 0.
  t.same(sums(await model.runBatch([{ a: i64([1, 2], [1, 2]), b: i64([1, 2], [0, 0]) }, { a: i64([1, 3], [7, 8, 9]), b: i64([1, 3], [0, 0, 0]) }], { padValue: 100 })), [[1n, 2n, 200n], [7n, 8n, 9n]]);
  t.same(sums(await model.runBatch([{ a: i64([1, 3], [1, 1, 1]), b: i64([1, 3], [2, 2, 2]) }, { a: i64([1, 3], [3, 3, 3]), b: i64([1, 3], [4, 4, 4]) }])), [[3n, 3n, 3n], [7n, 7n, 7n]]);
  t.same(sums(await model.runBatch([{ a: i64([1, 1], [5]), b: i64([1, 1], [5]) }, { a: i64([1, 3], [1, 2, 3]), b: i64([1, 3], [1, 2, 3]) }])), [[10n, 0n, 0n], [2n, 4n, 6n]], 'padding is 0 again, not what the last batch left');
  // Batches of one size started together each get their own buffer.
  const together = await Promise.all(
    [1, 2, 3, 4].map((k) => model.runBatch([{ a: i64([1, 2], [k, k]), b: i64([1, 2], [k, k]) }, { a: i64([1, 2], [-k, -k]), b: i64([1, 2], [0, 0]) }])),
  );
  t.same(together.map(sums), [1, 2, 3, 4].map((k) => [[BigInt(2 * k), BigInt(2 * k)], [BigInt(-k), BigInt(-k)]]));
  // A batch that fails gives its buffer back; the next one of that size is still right.
  await t.rejects(model.runBatch([{ a: i64([1, 2], [1, 2]), b: i64([1, 2], [0, 0]) }, { a: i64([1, 2], [1, 2]) } as any]), { name: 'ModelInputError' });
  t.same(sums(await model.runBatch([{ a: i64([1, 2], [1, 2]), b: i64([1, 2], [1, 1]) }, { a: i64([1, 2], [3, 4]), b: i64([1, 2], [1, 1]) }])), [[2n, 3n], [4n, 5n]]);
});
