// onnxruntime-node is an optional peer dependency: importing troupe's models does not load it, the first model
// does. Its addon is not context-aware, so a worker asks the main thread to load it first: loaded only in a
// worker, it fails in every later worker with "Module did not self-register" once that worker has exited.
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import t from 'tap';
import '../../src/models/index.ts';
import { ocrModelPaths } from '../../examples/ocr/models.ts';

const require = createRequire(import.meta.url);
const ortLoaded = () => Object.keys(require.cache).some(file => file.includes('onnxruntime-node/dist/'));

/** A worker that loads a model, reports, and exits. */
async function modelInWorker(): Promise<{ ready?: boolean }> {
  const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), {
    workerData: { path: ocrModelPaths().angle, entry: new URL('./model-worker.ts', import.meta.url).href },
    execArgv: [],
  });
  const exited = once(worker, 'exit');
  const [message] = (await Promise.race([once(worker, 'message'), once(worker, 'error').then(([err]) => Promise.reject(err))])) as [{ ready?: boolean }];
  worker.postMessage({ close: true });
  await exited;
  return message;
}

t.test('importing the models layer does not load onnxruntime-node', async t => {
  t.notOk(ortLoaded());
});

t.test('models load in one worker after another, the first gone before the second starts', async t => {
  t.ok((await modelInWorker()).ready, 'the first worker loaded its model');
  t.ok(ortLoaded(), 'the main thread loaded onnxruntime-node for it');
  t.ok((await modelInWorker()).ready, 'the second worker loaded its model');
});
