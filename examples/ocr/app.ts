// The OCR application served by troupe: four deployments, composed with bind().
//   Api (ingress)  POST /ocr: image bytes → [{ text, confidence, box }]
//   Detector       decode + text boxes + crops (scales on its own)
//   AngleClassifier  @batch over crops from many requests: turns upside-down crops
//   Recognizer     @batch over crops of different widths, CTC decoding (scales on its own)
// Run it: npm start   (troupe run examples/ocr/app.ts:app)
// Replicas and batch sizes from the environment: OCR_DETECTOR_REPLICAS, OCR_RECOGNIZER_REPLICAS (default 1),
// OCR_REC_BATCH (crops per recognizer run, padded to the widest; default 1, the cheapest per crop on a CPU).
import { Type } from '@sinclair/typebox';
import {
  deployment, ingress, get, post, batch, HttpError, OnnxModel, replicaContext,
  type Batch, type DeploymentHandle, type RouteInput, type Unbatched, type UploadedFile,
} from 'troupe';
import { decodeImage, type RgbImage } from './image.ts';
import { loadAngleModel, loadDetectionModel, loadRecognitionModel, ocrModelPaths } from './models.ts';
import { loadDictionary, type Recognition } from './recognition.ts';
import { classifyAngles, cropBoxes, detectText, recognizeText } from './stages.ts';
import { applyAngles } from './angle.ts';
import type { Quad } from './geometry.ts';

const replicas = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const recBatch = Number(process.env.OCR_REC_BATCH ?? 1);
// ORT intra-op threads = the CPUs the replica reserved (actorOptions.numCpus, default 1): ORT's own
// default of one thread per core oversubscribes the machine as soon as two replicas run models.
const models = () => ({ numCpus: replicaContext()?.numCpus || 1 });

export interface Detection {
  boxes: Quad[];
  crops: RgbImage[];
}

@deployment({ numReplicas: replicas('OCR_DETECTOR_REPLICAS', 1), maxOngoingRequests: 2 })
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

@deployment({ maxOngoingRequests: 64 })
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

@deployment({ numReplicas: replicas('OCR_RECOGNIZER_REPLICAS', 1), maxOngoingRequests: 64 })
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

@deployment({ maxOngoingRequests: 32 })
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
