// runBatch on the model path: inputs gathered by the addon or by TypeScript give the same results; outputs whose
// shape the model declares are written by ORT into arrays allocated for the batch, and each request gets a copy
// (default) or a view of them.
import t from 'tap';
import { OnnxModel, tensor, type TensorLike } from '../../src/models/index.ts';
import { nativeAvailable } from '../../src/native/index.ts';
import { ocrModelPaths } from '../../examples/ocr/models.ts';

const clsPath = ocrModelPaths().angle; // output softmax_0.tmp_0: [batch, 2]
const OUT = 'softmax_0.tmp_0';
const crops = (n: number, width: number, fill: number): TensorLike => {
  const data = new Float32Array(n * 3 * 48 * width);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37 + fill);
  return tensor('float32', [n, 3, 48, width], data);
};
const requests = [{ x: crops(2, 160, 0) }, { x: crops(1, 192, 1) }, { x: crops(3, 120, 2) }];
const values = (outs: Array<Record<string, TensorLike>>) => outs.map(o => Array.from(o[OUT].data as Float32Array));

t.test('outputs in place: ORT writes the batch output into an array of ours; copies and views hold the same values', async t => {
  const model = await OnnxModel.load(clsPath, { name: 'angle' });
  t.teardown(() => model.dispose());
  const before = model.stats.outputsInPlace;
  const copied = await model.runBatch(requests, { outputsInPlace: false });
  t.equal(model.stats.outputsInPlace, before, 'outputsInPlace: false lets ORT allocate');
  t.equal((await model.runBatch(requests)) && model.stats.outputsInPlace, before, 'copies by default: ORT allocates');
  const inPlace = await model.runBatch(requests, { outputsInPlace: true });
  t.equal(model.stats.outputsInPlace, before + 1, 'asked for: the one output is written in place');
  const views = await model.runBatch(requests, { results: 'view' });
  t.equal(model.stats.outputsInPlace, before + 2, 'views: in place by default');
  t.same(values(inPlace), values(copied), 'same values in place as copied');
  t.same(values(views), values(copied), 'same values as views');
  t.same(inPlace.map(r => r[OUT].shape), [[2, 2], [1, 2], [3, 2]]);
  for (const r of inPlace) t.equal((r[OUT].data as Float32Array).buffer.byteLength, r[OUT].data.byteLength, 'a copy has its own buffer');
  const buffer = (views[0][OUT].data as Float32Array).buffer;
  t.equal(buffer.byteLength, 6 * 2 * 4, 'views share the batch output: 6 rows of 2');
  t.ok(views.every(r => (r[OUT].data as Float32Array).buffer === buffer));
  t.equal((views[2][OUT].data as Float32Array).byteOffset, 3 * 2 * 4, 'request 2 starts at row 3');
  // A second batch does not write over the first one's views.
  const first = values(views);
  await model.runBatch([{ x: crops(6, 100, 9) }], { results: 'view' });
  t.same(values(views), first, 'each batch has its own output arrays');
  // Fetching a named output goes in place too; stack mode as well.
  t.same(values(await model.runBatch(requests, { outputs: [OUT], results: 'view' })), values(copied));
  const sample = (fill: number) => ({ x: { dtype: 'float32' as const, shape: [3, 48, 160], data: crops(1, 160, fill).data } });
  const stacked = await model.runBatch([sample(0), sample(1)], { mode: 'stack' });
  t.same(stacked.map(r => r[OUT].shape), [[2], [2]]);
});

t.test('inputs gathered by the addon and by TypeScript give the same outputs', { skip: !nativeAvailable() && 'the addon is not built' }, async t => {
  const model = await OnnxModel.load(clsPath, { name: 'angle' });
  t.teardown(() => model.dispose());
  const ts = await model.runBatch(requests, { copyPath: 'typescript', padValue: 0.5 });
  const native = await model.runBatch(requests, { copyPath: 'native', padValue: 0.5 });
  t.same(values(native), values(ts));
  // A request the batch cannot take is refused the same way on both paths, and the model keeps serving.
  for (const copyPath of ['native', 'typescript'] as const) {
    await t.rejects(model.runBatch([{ x: crops(1, 100, 0) }, { x: tensor('float32', [1, 3, 48]) }], { copyPath }), { name: 'ModelInputError', message: /cannot batch input "x"/ });
  }
  t.same(values(await model.runBatch(requests, { padValue: 0.5 })), values(ts), 'still serving');
});
