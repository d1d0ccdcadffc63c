// Runs in a worker thread for worker.test.ts: loads a model the way a replica does
// and answers run requests on its port.
import { parentPort, workerData } from 'node:worker_threads';
import { toErrorRecord } from '../../src/errors/index.ts';
import { OnnxModel } from '../../src/models/index.ts';

const model = await OnnxModel.load(workerData.path, { name: 'angle-in-worker', numCpus: 1 });
parentPort!.on('message', async (msg: { id: number; inputs?: any; close?: true }) => {
  if (msg.close) {
    await model.dispose();
    parentPort!.close();
    return;
  }
  try {
    parentPort!.postMessage({ id: msg.id, outputs: await model.run(msg.inputs) });
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: toErrorRecord(err) });
  }
});
parentPort!.postMessage({ ready: true, info: { inputs: model.inputs, threads: model.info.intraOpThreads } });
