// One tensor shape ({ dtype, shape, data }) and one dtype list: tensors over object-store memory go through the
// addon's gather inside runBatch and come back from the model, in place, with the store's dtypes.
import t from 'tap';
import { OnnxModel, tensor, tensorDtypes } from '../../src/models/index.ts';
import { ARRAY_OF } from '../../src/native/index.ts';
import { DTYPES, ObjectStore } from '../../src/store/index.ts';
import { oneNodeModel } from './tiny-onnx.ts';

t.test('models use the store\'s dtype list; every dtype the addon copies is in it', async t => {
  t.equal(tensorDtypes, DTYPES, 'the same list');
  for (const d of Object.keys(ARRAY_OF)) t.ok(DTYPES.includes(d as never), `${d} is a store dtype`);
});

t.test('store tensors through the addon\'s gather, the model, and out in place', async t => {
  const model = await OnnxModel.load(oneNodeModel({
    op: 'Identity', inputs: [{ name: 'x', elemType: 1, shape: ['n', 3, 4] }], outputs: [{ name: 'y', elemType: 1, shape: ['n', 3, 4] }],
  }), { name: 'identity', warmup: false });
  const store = ObjectStore.create({ capacity: 1024 * 1024 });
  t.teardown(async () => { await model.dispose(); store.close(); });
  const a = store.putSync(Float32Array.from({ length: 12 }, (_, i) => i + 1)); // [1, 3, 4]
  const b = store.putSync(Float32Array.from({ length: 8 }, (_, i) => 100 + i)); // [1, 2, 4]: padded to 3 rows
  const va = store.get(a) as Float32Array;
  const vb = store.get(b) as Float32Array;
  t.ok(va.buffer instanceof SharedArrayBuffer && vb.buffer instanceof SharedArrayBuffer, 'inputs lie in the arena');
  const before = model.stats.outputsInPlace;
  const [ra, rb] = await model.runBatch([{ x: tensor('float32', [1, 3, 4], va) }, { x: tensor('float32', [1, 2, 4], vb) }], { padValue: -1, copyPath: 'auto', results: 'view' });
  t.equal(model.stats.outputsInPlace, before + 1, 'written in place');
  t.same(ra!.y!.shape, [1, 3, 4]);
  t.same(Array.from(ra!.y!.data as Float32Array), Array.from(va));
  t.same(Array.from(rb!.y!.data as Float32Array), [...Array.from(vb), -1, -1, -1, -1], 'the padded row comes back as padding');
  t.equal(ra!.y!.data.buffer, rb!.y!.data.buffer, 'both views of one batch output');
  store.release(a);
  store.release(b);
});
