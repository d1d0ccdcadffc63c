// The text-direction classifier (PP-OCR mobile v2 cls): is a crop upside down?
// Pre-processing to 3x48x192 (aspect kept, right side padded), post-processing
// to 0° / 180° with a confidence, and the flip itself.
import type { TensorLike } from 'troupe';
import { resizeBilinear, rotate180 } from './crop.ts';
import type { RgbImage } from './image.ts';

export const ANGLE_INPUT = { height: 48, width: 192 } as const;

/** One crop as a [1, 3, 48, 192] tensor (so a request's crops can be batched by concatenation). */
export function preprocessForAngle(crop: RgbImage): TensorLike {
  return { dtype: 'float32', shape: [1, 3, ANGLE_INPUT.height, ANGLE_INPUT.width], data: normalizedPadded(crop, ANGLE_INPUT.height, ANGLE_INPUT.width, ANGLE_INPUT.width) };
}

/** Several crops as one [n, 3, 48, 192] tensor. */
export function preprocessAnglesBatch(crops: readonly RgbImage[]): TensorLike {
  const { height, width } = ANGLE_INPUT;
  const one = 3 * height * width;
  const data = new Float32Array(crops.length * one);
  crops.forEach((crop, i) => data.set(normalizedPadded(crop, height, width, width), i * one));
  return { dtype: 'float32', shape: [crops.length, 3, height, width], data };
}

export interface AngleResult {
  angle: 0 | 180;
  /** Probability of the chosen angle. */
  confidence: number;
}

/** Reads the [n, 2] softmax output: label 1 means 180°, trusted only above `threshold` (default 0.9). */
export function postprocessAngles(output: TensorLike, threshold = 0.9): AngleResult[] {
  const probs = output.data as Float32Array;
  const n = output.shape[0];
  const results: AngleResult[] = [];
  for (let i = 0; i < n; i++) {
    const p0 = probs[i * 2];
    const p180 = probs[i * 2 + 1];
    results.push(p180 > p0 && p180 > threshold ? { angle: 180, confidence: p180 } : { angle: 0, confidence: Math.max(p0, p180) });
  }
  return results;
}

/** Turns the crops the classifier found upside down. */
export function applyAngles(crops: readonly RgbImage[], angles: readonly AngleResult[]): RgbImage[] {
  return crops.map((crop, i) => (angles[i]?.angle === 180 ? rotate180(crop) : crop));
}

/**
 * Resizes a crop to `height`, width by aspect ratio (at most `maxWidth`), normalizes to [-1, 1]
 * in BGR channel order (as the Paddle models were trained) and pads the right side with 0 up to
 * `padWidth`. Returns CHW float32.
 */
export function normalizedPadded(crop: RgbImage, height: number, maxWidth: number, padWidth: number): Float32Array {
  const width = Math.max(1, Math.min(maxWidth, padWidth, Math.ceil((height * crop.width) / crop.height)));
  const resized = resizeBilinear(crop, width, height);
  const plane = height * padWidth;
  const out = new Float32Array(3 * plane);
  const px = resized.data;
  for (let c = 0; c < 3; c++) {
    const src = 2 - c; // RGB → BGR
    for (let y = 0; y < height; y++) {
      const row = c * plane + y * padWidth;
      const inRow = y * width;
      for (let x = 0; x < width; x++) out[row + x] = px[(inRow + x) * 3 + src] / 127.5 - 1;
    }
  }
  return out;
}
