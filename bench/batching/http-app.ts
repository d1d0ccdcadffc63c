// The angle classifier served over HTTP the way a user would write it: an ingress that takes
// one preprocessed crop ([3,48,192] float32, 110,592 bytes, raw body) per request, and a model
// deployment whose classify is @batch, so concurrent requests share one ORT run.
//
//   node bin/troupe.js run bench/batching/http-app.ts:app --port 0
//   env: CLS_MAX_BATCH (default 8), CLS_WAIT_MS (default 2), CLS_THREADS (intra-op threads, default 1)
//
// POST /classify (application/octet-stream) → { rotated: probability the crop is upside down }
import { batch, deployment, HttpError, ingress, OnnxModel, post, type Batch, type DeploymentHandle, type RouteInput, type Unbatched } from 'troupe';
import { classifierPath, ROW } from './classifier-actors.ts';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const BYTES = ROW[0] * ROW[1] * ROW[2] * 4;

@deployment({ maxOngoingRequests: 256 })
export class AngleModel {
  model!: OnnxModel;
  async init(): Promise<void> {
    this.model = await OnnxModel.load(classifierPath(), { name: 'angle-cls', numCpus: env('CLS_THREADS', 1), warmup: { shapes: { x: [1, ...ROW] } } });
  }

  @batch({ maxBatchSize: env('CLS_MAX_BATCH', 8), batchWaitTimeoutMs: env('CLS_WAIT_MS', 2) })
  async classify(crops: Batch<Float32Array>): Promise<number[]> {
    const one = BYTES / 4;
    const x = new Float32Array(crops.length * one);
    crops.forEach((c, i) => x.set(c, i * one));
    const out = (await this.model.run({ x: { dtype: 'float32', shape: [crops.length, ...ROW], data: x } }))[this.model.outputNames[0]];
    const classes = out.shape[1];
    return crops.map((_, i) => Number(out.data[i * classes + 1]));
  }
}

@deployment({ maxOngoingRequests: 256 })
@ingress({ title: 'angle classifier', version: '1.0.0' })
export class ClassifyApi {
  constructor(private model: DeploymentHandle<Unbatched<AngleModel>>) {}

  @post('/classify', { accepts: ['application/octet-stream'], summary: 'One preprocessed crop, [3,48,192] float32, as the raw body' })
  async classify(input: RouteInput<Uint8Array>) {
    const body = input.body;
    if (!(body instanceof Uint8Array) || body.byteLength !== BYTES) {
      throw new HttpError(400, `send one crop as ${BYTES} bytes of float32 [3,48,192] (application/octet-stream)`);
    }
    // Copied into an aligned buffer of its own (the body may sit at any offset of a larger buffer).
    const crop = new Float32Array(Uint8Array.prototype.slice.call(body).buffer);
    return { rotated: await this.model.classify(crop) };
  }
}

export const app = ClassifyApi.bind(AngleModel.bind());
