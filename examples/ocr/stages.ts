// The pipeline's three model stages as plain functions over an OnnxModel, one per
// deployment the integrator builds (Detector, AngleClassifier, Recognizer). Each
// takes a list where batching helps, so a `@batch` method can pass many requests'
// crops in one call.
import type { OnnxModel } from 'troupe';
import { applyAngles, postprocessAngles, preprocessAnglesBatch, type AngleResult } from './angle.ts';
import { cropQuad } from './crop.ts';
import { boxesFromProbabilityMap, preprocessForDetection, type DbOptions, type DetectionPreOptions, type TextBox } from './detection.ts';
import type { RgbImage } from './image.ts';
import { ctcGreedyDecode, preprocessForRecognition, type Recognition, type RecognitionPreOptions } from './recognition.ts';

export type DetectOptions = DetectionPreOptions & DbOptions;

/** Text boxes in the image's coordinates, in reading order. */
export async function detectText(model: OnnxModel, image: RgbImage, options: DetectOptions = {}): Promise<TextBox[]> {
  const input = await preprocessForDetection(image, options);
  const outputs = await model.run({ x: input.tensor });
  const prob = outputs[model.outputNames[0]];
  const [, , h, w] = prob.shape;
  return boxesFromProbabilityMap(prob.data as Float32Array, w, h, input.sourceWidth, input.sourceHeight, options);
}

/** Each box cut out of the image as an upright crop. */
export function cropBoxes(image: RgbImage, boxes: readonly TextBox[]): RgbImage[] {
  return boxes.map((b) => cropQuad(image, b.box));
}

export interface AngleOptions {
  /** A crop is flipped only when the 180° probability is above this. Default 0.9. */
  threshold?: number;
  /** Crops per model run. Default 8 (on a 2-core CPU, batches of 32+ ran slower per crop than 1 to 8). */
  batchSize?: number;
}

export async function classifyAngles(model: OnnxModel, crops: readonly RgbImage[], options: AngleOptions = {}): Promise<AngleResult[]> {
  const batchSize = options.batchSize ?? 8;
  const results: AngleResult[] = [];
  for (let i = 0; i < crops.length; i += batchSize) {
    const chunk = crops.slice(i, i + batchSize);
    const out = await model.run({ x: preprocessAnglesBatch(chunk) });
    results.push(...postprocessAngles(out[model.outputNames[0]], options.threshold));
  }
  return results;
}

/** Classifies the crops and turns the upside-down ones. */
export async function uprightCrops(model: OnnxModel, crops: readonly RgbImage[], options: AngleOptions = {}): Promise<RgbImage[]> {
  return applyAngles(crops, await classifyAngles(model, crops, options));
}

export interface RecognizeOptions extends RecognitionPreOptions {
  /**
   * Crops per model run; crops are grouped by aspect ratio so padding stays small. Default 1: on
   * a 2-core CPU a crop run alone cost least (bench crops, 1 ORT thread, quiet machine: 87 ms/crop
   * alone, 134 in groups of 4, 158 in groups of 8, padded to the widest of the group).
   */
  batchSize?: number;
}

/** Text and confidence for each crop, in the order given. */
export async function recognizeText(
  model: OnnxModel,
  dictionary: readonly string[],
  crops: readonly RgbImage[],
  options: RecognizeOptions = {},
): Promise<Recognition[]> {
  const batchSize = options.batchSize ?? 1;
  const order = crops.map((_, i) => i).sort((a, b) => crops[a].width / crops[a].height - crops[b].width / crops[b].height);
  const results = new Array<Recognition>(crops.length);
  for (let i = 0; i < order.length; i += batchSize) {
    const ids = order.slice(i, i + batchSize);
    const out = await model.run({ x: preprocessForRecognition(ids.map((k) => crops[k]), options) });
    ctcGreedyDecode(out[model.outputNames[0]], dictionary).forEach((r, j) => (results[ids[j]] = r));
  }
  return results;
}
