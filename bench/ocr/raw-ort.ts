// The angle classifier run in-process with raw ONNX Runtime (no troupe, no HTTP,
// no pre-processing in the timed loop) at batch sizes 1..64: items/s per batch size.
// Its best value is the limit the served `@batch` classifier is measured against.
//
//   node --import tsx bench/ocr/raw-ort.ts [--seconds=1.5] [--threads=1,2] [--json]
//
// This file imports onnxruntime-node directly on purpose: it measures the library
// without troupe's wrapper.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { cropBoxes, decodeImage, detectText, loadDetectionModel, ocrModelPaths, preprocessAnglesBatch } from '../../examples/ocr/index.ts';
import type { RgbImage } from '../../examples/ocr/index.ts';
import { benchImages } from './images.ts';

export interface RawOrtRow {
  threads: number;
  batchSize: number;
  runs: number;
  itemsPerSecond: number;
  msPerRun: number;
}

export interface RawOrtOptions {
  batchSizes?: number[];
  threads?: number[];
  /** Time spent at each batch size, after one warm-up run. */
  secondsPerSize?: number;
  /** Inputs (default: benchCrops()). */
  crops?: RgbImage[];
}

/** Real text crops from the bench images, the same inputs the served classifier sees. */
export async function benchCrops(): Promise<RgbImage[]> {
  const det = await loadDetectionModel(ocrModelPaths().detection);
  try {
    const crops: RgbImage[] = [];
    for (const image of await benchImages()) {
      const decoded = await decodeImage(image.bytes);
      crops.push(...cropBoxes(decoded, await detectText(det, decoded)));
    }
    return crops;
  } finally {
    await det.dispose();
  }
}

/** A plain ONNX Runtime session with `threads` intra-op threads, as a user without troupe opens one. */
export function openRawSession(path: string, threads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
}

export async function measureRawAngleClassifier(options: RawOrtOptions = {}): Promise<RawOrtRow[]> {
  const batchSizes = options.batchSizes ?? [1, 2, 4, 8, 16, 32, 64];
  const threadCounts = options.threads ?? [1, availableParallelism()];
  const seconds = options.secondsPerSize ?? 1.5;
  const crops = options.crops ?? (await benchCrops());
  const rows: RawOrtRow[] = [];
  for (const threads of [...new Set(threadCounts)]) {
    const session = await openRawSession(ocrModelPaths().angle, threads);
    try {
      for (const batchSize of batchSizes) {
        const batch = preprocessAnglesBatch(Array.from({ length: batchSize }, (_, i) => crops[i % crops.length]));
        const feeds = { x: new ort.Tensor('float32', batch.data as Float32Array, batch.shape as number[]) };
        await session.run(feeds);
        let runs = 0;
        const started = performance.now();
        const until = started + seconds * 1000;
        while (performance.now() < until) {
          await session.run(feeds);
          runs++;
        }
        const elapsed = (performance.now() - started) / 1000;
        rows.push({ threads, batchSize, runs, itemsPerSecond: (runs * batchSize) / elapsed, msPerRun: (elapsed * 1000) / runs });
      }
    } finally {
      await session.release();
    }
  }
  return rows;
}

export function formatRawOrt(rows: RawOrtRow[]): string {
  const lines = ['| intra-op threads | batch | runs | ms/run | items/s |', '|---:|---:|---:|---:|---:|'];
  for (const r of rows) lines.push(`| ${r.threads} | ${r.batchSize} | ${r.runs} | ${r.msPerRun.toFixed(2)} | ${Math.round(r.itemsPerSecond)} |`);
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const rows = await measureRawAngleClassifier({
    secondsPerSize: arg('seconds') ? Number(arg('seconds')) : undefined,
    threads: arg('threads') ? arg('threads')!.split(',').map(Number) : undefined,
  });
  if (process.argv.includes('--json')) console.log(JSON.stringify(rows, null, 2));
  else {
    console.log(formatRawOrt(rows));
    for (const threads of [...new Set(rows.map((r) => r.threads))]) {
      const best = rows.filter((r) => r.threads === threads).reduce((a, b) => (b.itemsPerSecond > a.itemsPerSecond ? b : a));
      console.log(`best with ${threads} thread(s): batch ${best.batchSize}, ${Math.round(best.itemsPerSecond)} items/s`);
    }
  }
}
