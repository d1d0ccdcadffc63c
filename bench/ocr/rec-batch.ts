// The recognizer run in-process with raw ONNX Runtime at fixed crop widths, batch sizes 1..8 and 1 or 2
// intra-op threads: ms per crop. Two questions it answers on this machine: does batching crops pay when no
// padding is involved (all crops of a run equally wide), and how much faster is one run on two threads than
// on one (the speed-up that bounds what two one-thread replicas can gain over one two-thread process).
//
//   node --import tsx bench/ocr/rec-batch.ts [--widths=320,640,960] [--batches=1,2,4,8] [--threads=1,2] [--runs=8]
//
// This file imports onnxruntime-node directly on purpose: it measures the library without troupe's wrapper.
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { ocrModelPaths, REC_HEIGHT } from '../../examples/ocr/index.ts';
import { openRawSession } from './raw-ort.ts';

export interface RecBatchRow {
  threads: number;
  width: number;
  batchSize: number;
  msPerCrop: number;
}

/** Deterministic input in [-0.5, 0.5): timing of a conv net does not depend on the pixels. */
function input(batchSize: number, width: number): ort.Tensor {
  const data = new Float32Array(batchSize * 3 * REC_HEIGHT * width);
  let x = 12345;
  for (let i = 0; i < data.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    data[i] = x / 0x80000000 - 0.5;
  }
  return new ort.Tensor('float32', data, [batchSize, 3, REC_HEIGHT, width]);
}

export async function measureRecognizerBatches(widths: number[], batches: number[], threads: number[], crops: number): Promise<RecBatchRow[]> {
  const rows: RecBatchRow[] = [];
  for (const t of threads) {
    const session = await openRawSession(ocrModelPaths().recognition, t);
    try {
      for (const width of widths) {
        for (const batchSize of batches) {
          const feeds = { x: input(batchSize, width) };
          await session.run(feeds); // warm-up: first run of a shape plans its memory
          const runs = Math.max(2, Math.ceil(crops / batchSize));
          const started = performance.now();
          for (let i = 0; i < runs; i++) await session.run(feeds);
          rows.push({ threads: t, width, batchSize, msPerCrop: (performance.now() - started) / runs / batchSize });
        }
      }
    } finally {
      await session.release();
    }
  }
  return rows;
}

export function formatRecBatches(rows: RecBatchRow[]): string {
  const batches = [...new Set(rows.map((r) => r.batchSize))];
  const lines = [
    `| intra-op threads | width | ${batches.map((b) => `batch ${b}`).join(' | ')} |`,
    `|---:|---:|${batches.map(() => '---:').join('|')}|`,
  ];
  for (const t of [...new Set(rows.map((r) => r.threads))]) {
    for (const w of [...new Set(rows.map((r) => r.width))]) {
      const cells = batches.map((b) => rows.find((r) => r.threads === t && r.width === w && r.batchSize === b)!.msPerCrop.toFixed(1));
      lines.push(`| ${t} | ${w} | ${cells.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const list = (name: string, fallback: number[]) => {
    const hit = process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
    return hit ? hit.split(',').map(Number) : fallback;
  };
  const rows = await measureRecognizerBatches(list('widths', [320, 640, 960]), list('batches', [1, 2, 4, 8]), list('threads', [1, 2]), list('runs', [8])[0]!);
  console.log('ms per crop (lower is better)\n');
  console.log(formatRecBatches(rows));
  const one = rows.filter((r) => r.threads === 1 && r.batchSize === 1);
  const two = rows.filter((r) => r.threads === 2 && r.batchSize === 1);
  for (const a of one) {
    const b = two.find((r) => r.width === a.width);
    if (b) console.log(`width ${a.width}, batch 1: 2 threads are ${(a.msPerCrop / b.msPerCrop).toFixed(2)}x as fast as 1`);
  }
}
