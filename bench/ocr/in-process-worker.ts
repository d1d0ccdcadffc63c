// One OCR pipeline in a worker thread of its own (started by in-process.ts through troupe's worker entry,
// which registers tsx): loads, warms up, then on each message runs images one after another for the given
// milliseconds and answers how many it finished.
import { parentPort, workerData } from 'node:worker_threads';
import { OcrPipeline } from '../../examples/ocr/index.ts';
import { benchImages } from './images.ts';

const { threads, recognizeBatch } = workerData as { threads: number; recognizeBatch: number };
const images = await benchImages();
const pipeline = await OcrPipeline.load({ numCpus: threads, recognize: { batchSize: recognizeBatch } });
await pipeline.run(images[0].bytes); // warm-up: first runs of a shape plan their memory

parentPort!.on('message', async (ms: number | 'stop') => {
  if (ms === 'stop') {
    await pipeline.dispose();
    parentPort!.close();
    return;
  }
  const started = performance.now();
  let done = 0;
  while (performance.now() - started < ms) await pipeline.run(images[done++ % images.length].bytes);
  parentPort!.postMessage({ done, elapsed: performance.now() - started });
});
parentPort!.postMessage('ready');
