import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import t from 'tap';
import { fromErrorRecord } from '../../src/errors/index.ts';
import { ModelInputError, tensor } from '../../src/models/index.ts';
import { ocrModelPaths } from '../../examples/ocr/models.ts';

// Models are meant to run inside replicas (worker threads): the session must load
// and run there, and errors must come back as the same classes.
t.test('an OnnxModel loads and runs inside a worker thread', async (t) => {
  const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), {
    workerData: { path: ocrModelPaths().angle, entry: new URL('./model-worker.ts', import.meta.url).href },
    execArgv: [],
  });
  t.teardown(() => worker.terminate());
  const [ready] = await once(worker, 'message');
  t.ok(ready.ready);
  t.equal(ready.info.threads, 1);
  t.equal(ready.info.inputs[0].name, 'x');

  const call = (id: number, inputs: unknown) =>
    new Promise<any>((resolve) => {
      const onMessage = (msg: any) => {
        if (msg.id !== id) return;
        worker.off('message', onMessage);
        resolve(msg);
      };
      worker.on('message', onMessage);
      worker.postMessage({ id, inputs });
    });

  // The main thread's event loop keeps turning while the worker computes.
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const data = new Float32Array(8 * 3 * 48 * 192).map((_, i) => Math.sin(i));
  const replies = await Promise.all([1, 2, 3].map((id) => call(id, tensorMessage(data))));
  clearInterval(timer);
  for (const reply of replies) t.same(reply.outputs['softmax_0.tmp_0'].shape, [8, 2]);
  t.ok(ticks > 0, 'main thread timers ran during inference');

  const bad = await call(4, { x: tensor('float32', [1, 3, 48]) });
  const err = fromErrorRecord(bad.error);
  t.ok(err instanceof ModelInputError, 'rebuilt as ModelInputError');
  t.match(err.message, /model "angle-in-worker": input "x" has rank 3/);

  worker.postMessage({ close: true });
  const [code] = await once(worker, 'exit');
  t.equal(code, 0, 'worker exits once the model is disposed and the port closed');
});

function tensorMessage(data: Float32Array) {
  return { x: { dtype: 'float32', shape: [8, 3, 48, 192], data } };
}
