// The OCR application served by troupe: four deployments, composed with bind().
//   Api (ingress)  POST /ocr: image bytes → [{ text, confidence, box }]
//   Detector       decode + text boxes + crops (autoscales: 1 to one replica per core)
//   AngleClassifier  @batch over crops from many requests: turns upside-down crops
//   Recognizer     @batch over crops of different widths, CTC decoding (autoscales: 1 to one replica per core)
// Run it: npm start   (troupe run examples/ocr/app.ts:app)
// Under load Detector and Recognizer grow within a couple of seconds and shrink 30 s after it ends.
// From the environment: OCR_DETECTOR_REPLICAS, OCR_RECOGNIZER_REPLICAS (a fixed replica count for that stage,
// which turns its autoscaling off), OCR_REC_BATCH (crops per recognizer run, padded to the widest; default 1,
// the cheapest per crop on a CPU).
import { availableParallelism } from 'node:os';
import { Type } from '@sinclair/typebox';
import {
  deployment, ingress, get, post, batch, HttpError, OnnxModel, replicaContext,
  type Batch, type DeploymentHandle, type DeploymentOptions, type RouteInput, type Unbatched, type UploadedFile,
} from 'troupe';
import { decodeImage, type RgbImage } from './image.ts';
import { loadAngleModel, loadDetectionModel, loadRecognitionModel, ocrModelPaths } from './models.ts';
import { loadDictionary, type Recognition } from './recognition.ts';
import { classifyAngles, cropBoxes, detectText, recognizeText } from './stages.ts';
import { applyAngles } from './angle.ts';
import type { Quad } from './geometry.ts';

const recBatch = Number(process.env.OCR_REC_BATCH ?? 1);

/**
 * A stage's replica count: fixed when its environment variable is set, otherwise autoscaled from one replica up
 * to one per core (each replica runs its model on one thread, so more than that would only share cores).
 * numReplicas and autoscalingConfig together are an error, hence one or the other.
 */
function replicas(variable: string, targetOngoingRequests: number): Pick<DeploymentOptions, 'numReplicas' | 'autoscalingConfig'> {
  const fixed = process.env[variable];
  if (fixed !== undefined && fixed !== '') {
    const n = Number(fixed);
    if (!Number.isInteger(n) || n < 1) throw new TypeError(`${variable} must be a whole number >= 1, got "${fixed}"; leave it unset to autoscale`);
    return { numReplicas: n };
  }
  return {
    autoscalingConfig: {
      minReplicas: 1,
      maxReplicas: availableParallelism(),
      targetOngoingRequests,
      // Up after a second of load (a replica then takes a second or a few to load its model), down after 30 s
      // without it, so the pauses of a bursty load do not stop and restart replicas.
      upscaleDelayMs: 1_000,
      downscaleDelayMs: 30_000,
    },
  };
}

// CPUs each replica reserves: the share of a core it keeps busy when the pipeline runs flat out. Recognition is
// most of an image's model time, detection a small part, the angle classifier little, the Api none (stage times:
// bench/results/ocr.md). With these, both scaled stages at one replica per core still fit the machine
// (0.05 + N x (0.15 + 0.8) <= N cores), which placement requires of every replica past a deployment's first.
const CPUS = { detector: 0.15, angles: 0.05, recognizer: 0.8 } as const;
// ORT intra-op threads from the CPUs the replica reserved: one per whole CPU, at least one, so each of these
// fractions gets one thread. ORT's own default of one thread per core would oversubscribe the machine as soon
// as two replicas run models.
const models = () => ({ numCpus: replicaContext()?.numCpus || 1 });

export interface Detection {
  boxes: Quad[];
  crops: RgbImage[];
}

// Target 1 image (of at most 2 ongoing): a second replica once images wait for detection.
@deployment({ ...replicas('OCR_DETECTOR_REPLICAS', 1), maxOngoingRequests: 2, actorOptions: { numCpus: CPUS.detector } })
export class Detector {
  model!: OnnxModel;
  async init(): Promise<void> {
    this.model = await loadDetectionModel(ocrModelPaths().detection, models());
  }
  /** Decodes the image (bad images throw typed errors with an HTTP status) and finds the text lines. */
  async detect(imageBytes: Uint8Array): Promise<Detection> {
    const image = await decodeImage(imageBytes);
    const boxes = await detectText(this.model, image);
    return { boxes: boxes.map(b => b.box), crops: cropBoxes(image, boxes) };
  }
}

@deployment({ maxOngoingRequests: 64, actorOptions: { numCpus: CPUS.angles } })
export class AngleClassifier {
  model!: OnnxModel;
  async init(): Promise<void> {
    this.model = await loadAngleModel(ocrModelPaths().angle, models());
  }
  /** Crops from many requests at once, each turned upright. */
  @batch({ maxBatchSize: 16, batchWaitTimeoutMs: 5 })
  async upright(crops: Batch<RgbImage>): Promise<RgbImage[]> {
    return applyAngles(crops, await classifyAngles(this.model, crops));
  }
}

// Target one model run's worth of crops (OCR_REC_BATCH, default 1): crops past that wait for the model, so
// under steady load even one image at a time (3-5 crops) gets a second replica, which takes half of its crops.
@deployment({ ...replicas('OCR_RECOGNIZER_REPLICAS', recBatch), maxOngoingRequests: 64, actorOptions: { numCpus: CPUS.recognizer } })
export class Recognizer {
  model!: OnnxModel;
  dictionary!: string[];
  async init(): Promise<void> {
    const paths = ocrModelPaths();
    this.model = await loadRecognitionModel(paths.recognition, models());
    this.dictionary = await loadDictionary(paths.keys);
  }
  /**
   * Crops of different widths from many requests: grouped by aspect ratio into runs of OCR_REC_BATCH
   * crops, padded to the widest of each run, decoded. On a CPU a crop run alone costs least, so the
   * batch saves per-call overhead rather than model time; on a GPU larger runs pay.
   */
  @batch({ maxBatchSize: 8, batchWaitTimeoutMs: 2 })
  async recognize(crops: Batch<RgbImage>): Promise<Recognition[]> {
    return recognizeText(this.model, this.dictionary, crops, { batchSize: recBatch });
  }
}

const OcrLine = Type.Object({
  text: Type.String(),
  confidence: Type.Number(),
  box: Type.Array(Type.Array(Type.Number(), { minItems: 2, maxItems: 2 }), { minItems: 4, maxItems: 4, description: 'corners: top-left, top-right, bottom-right, bottom-left' }),
});

// Routing and JSON only, no model: it reserves no CPU.
@deployment({ maxOngoingRequests: 32, actorOptions: { numCpus: 0 } })
@ingress({ title: 'troupe OCR', version: '1.0.0', description: 'PaddleOCR (PP-OCRv4) detection, angle and recognition models served by troupe.' })
export class Api {
  constructor(
    private detector: DeploymentHandle<Detector>,
    private angles: DeploymentHandle<Unbatched<AngleClassifier>>,
    private recognizer: DeploymentHandle<Unbatched<Recognizer>>,
  ) {}

  @post('/ocr', {
    summary: 'Read the text in an image',
    description: 'Send the image as the raw body (image/png, image/jpeg, application/octet-stream) or as the field "file" of a multipart form.',
    accepts: ['image/*', 'application/octet-stream', 'multipart/form-data'],
    response: Type.Array(OcrLine),
  })
  async ocr(input: RouteInput<Uint8Array | { file?: UploadedFile }>) {
    const bytes = input.body instanceof Uint8Array ? input.body : input.body?.file?.data;
    if (!bytes) throw new HttpError(400, 'send the image as the request body, or as the field "file" of a multipart form');
    let detection: Detection;
    try {
      detection = await this.detector.detect(bytes);
    } catch (err) {
      const status = (err as { details?: { httpStatus?: unknown } }).details?.httpStatus;
      if (typeof status === 'number') throw new HttpError(status, (err as Error).message, { reason: (err as { code?: string }).code });
      throw err;
    }
    // Each crop goes on to the recognizer as soon as it is upright, not once all of them are.
    const lines = await Promise.all(detection.crops.map(async crop => this.recognizer.recognize(await this.angles.upright(crop))));
    return lines
      .map((line, i) => ({ text: line.text, confidence: line.confidence, box: detection.boxes[i] }))
      .filter(line => line.text.length > 0 && line.confidence >= 0.5);
  }

  @get('/health', { summary: 'Liveness of the OCR application' })
  health() {
    return { status: 'ok' };
  }
}


export const app = Api.bind(Detector.bind(), AngleClassifier.bind(), Recognizer.bind());
