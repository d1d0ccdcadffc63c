// The angle classifier served over HTTP the way a user would write it, one preprocessed crop
// ([3,48,192] float32, 110,592 bytes, raw body) per request, concurrent requests sharing one ORT
// run through @batch. Two ways of writing it:
//   app     an ingress calling a model deployment whose classify is @batch
//   single  one deployment, ingress and model, whose route method is itself @batch (one hop fewer)
//
//   node bin/troupe.js run bench/batching/http-app.ts:app --port 0     (or :single)
//   env: CLS_MAX_BATCH (default 8), CLS_WAIT_MS (default 2), CLS_THREADS (intra-op threads, default 1),
//        CLS_REPLICAS (replicas of the deployment that runs the model, default 1)
//
// POST /classify (application/octet-stream) → { rotated: probability the crop is upside down }
import { batch, deployment, HttpError, ingress, OnnxModel, post, type Batch, type DeploymentHandle, type RouteInput, type Unbatched } from 'troupe';
import { classifierPath, ROW } from './classifier-actors.ts';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const BYTES = ROW[0] * ROW[1] * ROW[2] * 4;
const BAD_BODY = `send one crop as ${BYTES} bytes of float32 [3,48,192] (application/octet-stream)`;

const PIXELS = BYTES / 4;

/** The body as float32 without a copy when it lies 4-byte aligned (it does when it came through the object store). */
function asFloats(body: Uint8Array): Float32Array {
  if (body.byteOffset % 4 === 0) return new Float32Array(body.buffer, body.byteOffset, PIXELS);
  return new Float32Array(Uint8Array.prototype.slice.call(body).buffer);
}

const loadClassifier = () =>
  OnnxModel.load(classifierPath(), { name: 'angle-cls', numCpus: env('CLS_THREADS', 1), warmup: { shapes: { x: [1, ...ROW] } } });

/** One ORT run over the crops (runBatch stacks them into a batch buffer it keeps for the next run of that
 *  size); the "upside down" probability of each. */
async function rotatedScores(model: OnnxModel, crops: readonly Float32Array[]): Promise<number[]> {
  const outs = await model.runBatch(crops.map((data) => ({ x: { dtype: 'float32' as const, shape: ROW, data } })), { mode: 'stack' });
  return outs.map((out) => Number(out[model.outputNames[0]!]!.data[1]));
}

@deployment({ numReplicas: env('CLS_REPLICAS', 1), maxOngoingRequests: 256 })
export class AngleModel {
  model!: OnnxModel;
  async init(): Promise<void> {
    this.model = await loadClassifier();
  }

  @batch({ maxBatchSize: env('CLS_MAX_BATCH', 8), batchWaitTimeoutMs: env('CLS_WAIT_MS', 2) })
  async classify(crops: Batch<Float32Array>): Promise<number[]> {
    return rotatedScores(this.model, crops);
  }
}

// An ingress that only forwards reserves no CPU (Ray users give such deployments num_cpus 0): with 1 it held one
// of the 2 cores and left the model's second replica PENDING.
@deployment({ maxOngoingRequests: 256, actorOptions: { numCpus: 0 } })
@ingress({ title: 'angle classifier', version: '1.0.0' })
export class ClassifyApi {
  constructor(private model: DeploymentHandle<Unbatched<AngleModel>>) {}

  @post('/classify', { accepts: ['application/octet-stream'], summary: 'One preprocessed crop, [3,48,192] float32, as the raw body' })
  async classify(input: RouteInput<Uint8Array>) {
    const body = input.body;
    if (!(body instanceof Uint8Array) || body.byteLength !== BYTES) {
      throw new HttpError(400, BAD_BODY);
    }
    return { rotated: await this.model.classify(asFloats(body)) };
  }
}

export const app = ClassifyApi.bind(AngleModel.bind());

/** The same model as the ingress itself: the route method is @batch, one hop fewer (proxy → replica). */
@deployment({ numReplicas: env('CLS_REPLICAS', 1), maxOngoingRequests: 256 })
@ingress({ title: 'angle classifier (one deployment)', version: '1.0.0' })
export class BatchedClassifyApi {
  model!: OnnxModel;
  async init(): Promise<void> {
    this.model = await loadClassifier();
  }

  @post('/classify', { accepts: ['application/octet-stream'], summary: 'One preprocessed crop, [3,48,192] float32, as the raw body' })
  @batch({ maxBatchSize: env('CLS_MAX_BATCH', 8), batchWaitTimeoutMs: env('CLS_WAIT_MS', 2) })
  async classify(inputs: Batch<RouteInput<Uint8Array>>): Promise<({ rotated: number } | Error)[]> {
    const ok = inputs.map((i) => i.body instanceof Uint8Array && i.body.byteLength === BYTES);
    const scores = await rotatedScores(this.model, inputs.filter((_, i) => ok[i]).map((i) => asFloats(i.body)));
    let k = 0;
    // An Error in the results answers only its own request.
    return inputs.map((_, i) => (ok[i] ? { rotated: scores[k++] } : new HttpError(400, BAD_BODY)));
  }
}

export const single = BatchedClassifyApi.bind();
