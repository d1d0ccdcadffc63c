// The OCR pipeline run in-process, images one after another, no HTTP and no serving layer, in a few
// configurations (ORT intra-op threads x recognizer batch x copies side by side), each pipeline in a worker
// thread of its own, measured in interleaved rounds so that load from other work falls on all of them alike.
// Three readings come from it:
// - the most one process gets out of ONNX Runtime for this pipeline (the limit the servers are read against);
// - the ceiling of troupe's ratio against the baseline (ceilingOfRatio): troupe's gain is N one-thread
//   replicas keeping N cores busy on N images at once, where the baseline spreads one image over N threads;
// - the same with the cost that no serving layer can remove: N one-thread pipelines side by side, whose
//   models share the caches and the memory bus.
import { Worker } from 'node:worker_threads';
import type { BenchImage } from './images.ts';

export interface InProcessConfig {
  threads: number;
  recognizeBatch: number;
  /** Pipelines running at once, each in its own thread (default 1); the row's rate is their sum. */
  copies?: number;
}

export interface InProcessRow extends Required<InProcessConfig> {
  images: number;
  imagesPerSecond: number;
  /** Per image of one copy. */
  msPerImage: number;
}

const boot = new URL('../../src/core/boot.mjs', import.meta.url);
const entry = new URL('./in-process-worker.ts', import.meta.url).href;

function startPipeline(threads: number, recognizeBatch: number, images: Uint8Array[]): Promise<Worker> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(boot, { workerData: { entry, threads, recognizeBatch, images } });
    worker.once('error', reject);
    worker.once('message', () => resolve(worker));
  });
}

function runFor(worker: Worker, ms: number): Promise<{ done: number; elapsed: number }> {
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', resolve);
    worker.postMessage(ms);
  });
}

/** Every configuration over the bench images, in rotation. */
export async function measureInProcessPipeline(
  images: BenchImage[],
  { configs, seconds = 3, rounds = 2 }: { configs: InProcessConfig[]; seconds?: number; rounds?: number },
): Promise<InProcessRow[]> {
  const bytes = images.map((i) => i.bytes);
  const groups: Worker[][] = [];
  try {
    for (const c of configs) {
      groups.push(await Promise.all(Array.from({ length: c.copies ?? 1 }, () => startPipeline(c.threads, c.recognizeBatch, bytes))));
    }
    const done = configs.map(() => 0);
    const perSecond = configs.map(() => 0);
    const msPerImage = configs.map(() => 0);
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < configs.length; i++) {
        const runs = await Promise.all(groups[i]!.map((w) => runFor(w, (seconds * 1000) / rounds)));
        for (const r of runs) {
          done[i] += r.done;
          perSecond[i] += (r.done * 1000) / r.elapsed / rounds;
          msPerImage[i] += r.elapsed / r.done / runs.length / rounds;
        }
      }
    }
    return configs.map((c, i) => ({ copies: 1, ...c, images: done[i]!, imagesPerSecond: perSecond[i]!, msPerImage: msPerImage[i]! }));
  } finally {
    await Promise.all(groups.flat().map((w) => w.terminate()));
  }
}

export interface RatioCeiling {
  /** N x (one-thread rate) / (N-thread rate): no serving cost, and the models not slowing each other down. */
  ceiling: number;
  /** (N one-thread pipelines side by side) / (N-thread rate): the same with the models sharing the machine. */
  sideBySide: number | undefined;
  one: InProcessRow;
  all: InProcessRow;
}

/** The best ratio N one-thread replicas can reach against one N-thread process doing the same work per image
 *  (recognizer batch 1, as both servers run it); undefined when the rows lack either configuration. */
export function ceilingOfRatio(rows: InProcessRow[], cores: number): RatioCeiling | undefined {
  const one = rows.find((r) => r.threads === 1 && r.recognizeBatch === 1 && r.copies === 1);
  const all = rows.find((r) => r.threads === cores && r.recognizeBatch === 1 && r.copies === 1);
  const pair = rows.find((r) => r.threads === 1 && r.recognizeBatch === 1 && r.copies === cores);
  if (!one || !all || cores < 2) return undefined;
  return {
    ceiling: (cores * one.imagesPerSecond) / all.imagesPerSecond,
    sideBySide: pair ? pair.imagesPerSecond / all.imagesPerSecond : undefined,
    one,
    all,
  };
}
