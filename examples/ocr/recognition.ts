// Text recognition (PP-OCRv4 rec, CTC): crops resized to height 48 with width by
// aspect ratio, padded to the widest crop of the batch, and greedy CTC decoding
// against the character dictionary (ppocr_keys_v1.txt plus the space).
import { readFile } from 'node:fs/promises';
import type { TensorLike } from 'troupe';
import { normalizedPadded } from './angle.ts';
import type { RgbImage } from './image.ts';

export const REC_HEIGHT = 48;

export interface RecognitionPreOptions {
  /** Batches are at least this wide (PaddleOCR pads to 320 = ratio 6.67 at height 48). Default 320. */
  minWidth?: number;
  /** Crops wider than this (after scaling to height 48) are squeezed. Bounds memory per batch. Default 2400. */
  maxWidth?: number;
}

/**
 * Crops as one [n, 3, 48, W] tensor, W the widest crop's scaled width (within minWidth..maxWidth).
 * Crops of one request or of many requests: the batch is what the caller passes.
 */
export function preprocessForRecognition(crops: readonly RgbImage[], options: RecognitionPreOptions = {}): TensorLike {
  const minWidth = options.minWidth ?? 320;
  const maxWidth = options.maxWidth ?? 2400;
  let width = minWidth;
  for (const crop of crops) width = Math.max(width, Math.ceil((REC_HEIGHT * crop.width) / crop.height));
  width = Math.min(width, maxWidth);
  const one = 3 * REC_HEIGHT * width;
  const data = new Float32Array(crops.length * one);
  crops.forEach((crop, i) => data.set(normalizedPadded(crop, REC_HEIGHT, width, width), i * one));
  return { dtype: 'float32', shape: [crops.length, 3, REC_HEIGHT, width], data };
}

export interface Recognition {
  text: string;
  /** Mean probability of the characters kept (0 when none). */
  confidence: number;
}

/**
 * Greedy CTC decoding of a [n, T, C] probability tensor: the best class per time step, repeats
 * merged, blanks (class 0) dropped. `dictionary[k]` is the character of class k.
 */
export function ctcGreedyDecode(output: TensorLike, dictionary: readonly string[]): Recognition[] {
  const [n, steps, classes] = output.shape;
  if (classes !== dictionary.length) {
    throw new RangeError(`recognizer has ${classes} classes but the dictionary has ${dictionary.length} entries; use the dictionary the model was trained with`);
  }
  const probs = output.data as Float32Array;
  const results: Recognition[] = [];
  for (let i = 0; i < n; i++) {
    let text = '';
    let sum = 0;
    let kept = 0;
    let previous = -1;
    for (let t = 0; t < steps; t++) {
      const base = (i * steps + t) * classes;
      let best = 0;
      let bestP = probs[base];
      for (let c = 1; c < classes; c++) {
        const p = probs[base + c];
        if (p > bestP) {
          bestP = p;
          best = c;
        }
      }
      if (best !== 0 && best !== previous) {
        text += dictionary[best];
        sum += bestP;
        kept++;
      }
      previous = best;
    }
    results.push({ text, confidence: kept === 0 ? 0 : sum / kept });
  }
  return results;
}

/** The dictionary in class order: 'blank' (CTC's class 0), each line of the keys file, then ' '. */
export async function loadDictionary(keysPath: string): Promise<string[]> {
  const text = await readFile(keysPath, 'utf8');
  const keys = text.split(/\r?\n/);
  if (keys.length > 0 && keys[keys.length - 1] === '') keys.pop();
  return ['blank', ...keys, ' '];
}
