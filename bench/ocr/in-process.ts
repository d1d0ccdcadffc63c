// The OCR pipeline called in-process, one image after another, no HTTP and no serving
// layer: the most one process gets out of ONNX Runtime for this pipeline (the limit the
// served pipelines are read against). Measured at a few recognizer batch sizes; the best counts.
import { performance } from 'node:perf_hooks';
import { OcrPipeline } from '../../examples/ocr/index.ts';
import type { BenchImage } from './images.ts';

export interface InProcessRow {
  threads: number;
  recognizeBatch: number;
  images: number;
  imagesPerSecond: number;
  msPerImage: number;
}

export async function measureInProcessPipeline(
  images: BenchImage[],
  { threads, batchSizes = [1, 8], seconds = 3 }: { threads: number; batchSizes?: number[]; seconds?: number },
): Promise<InProcessRow[]> {
  const rows: InProcessRow[] = [];
  for (const recognizeBatch of batchSizes) {
    const pipeline = await OcrPipeline.load({ numCpus: threads, recognize: { batchSize: recognizeBatch } });
    try {
      await pipeline.run(images[0].bytes);
      let done = 0;
      const started = performance.now();
      while (performance.now() - started < seconds * 1000) await pipeline.run(images[done++ % images.length].bytes);
      const elapsed = performance.now() - started;
      rows.push({ threads, recognizeBatch, images: done, imagesPerSecond: (done * 1000) / elapsed, msPerImage: elapsed / done });
    } finally {
      await pipeline.dispose();
    }
  }
  return rows;
}
