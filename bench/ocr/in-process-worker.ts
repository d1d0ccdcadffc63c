// One OCR pipeline in a worker thread of its own (started by in-process.ts through troupe's worker entry,
// which registers tsx): loads, warms up, then on each message runs the images it was given one after another
// for that many milliseconds and answers how many it finished. The parent terminates it when done.
import { parentPort, workerData } from 'node:worker_threads';
import { OcrPipeline } from '../../examples/ocr/index.ts';

const { threads, recognizeBatch, images } = workerData as { threads: number; recognizeBatch: number; images: Uint8Array[] };
const pipeline = await OcrPipeline.load({ numCpus: threads, recognize: { batchSize: recognizeBatch } });
await pipeline.run(images[0]!); // warm-up: first runs of a shape plan their memory

parentPort!.on('message', async (ms: number) => {
  const started = performance.now();
  let done = 0;
  while (performance.now() - started < ms) await pipeline.run(images[done++ % images.length]!);
  parentPort!.postMessage({ done, elapsed: performance.now() - started });
});
parentPort!.postMessage('ready');
