import t from 'tap';
import { OnnxModel, tensor } from '../../src/models/index.ts';
import { ObjectStore } from '../../src/store/index.ts';
import { oneNodeModel } from '../models/tiny-onnx.ts';

t.test('an OnnxModel takes a tensor over object-store memory without copying it', async (t) => {
  const model = await OnnxModel.load(oneNodeModel({
    op: 'Identity', inputs: [{ name: 'x', elemType: 1, shape: ['n'] }], outputs: [{ name: 'y', elemType: 1, shape: ['n'] }],
  }), { name: 'identity' });
  const store = ObjectStore.create({ capacity: 4 * 1024 * 1024 });
  t.teardown(() => { model.dispose(); store.close(); });
  const n = 64 * 1024;
  const ref = store.putSync(new Float32Array(n).map((_, i) => i / 2));
  const view = store.get(ref) as Float32Array;
  t.ok(view.buffer instanceof SharedArrayBuffer, 'the input lies in the arena');
  const out = await model.run({ x: tensor('float32', [n], view) });
  const y = out.y!.data as Float32Array;
  t.equal(y.length, n);
  t.ok(y.every((v, i) => v === i / 2), 'the output matches the stored input');
  t.equal(model.info.inputsCopied, 0, 'handed to ORT as an alias of the arena, not a copy');
  store.release(ref);
});
