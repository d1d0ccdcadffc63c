import t from 'tap';
import {
  boxesFromProbabilityMap,
  ctcGreedyDecode,
  postprocessAngles,
  preprocessAnglesBatch,
  preprocessForDetection,
  preprocessForRecognition,
  type RgbImage,
} from '../../../examples/ocr/index.ts';
import { tensor } from '../../../src/models/index.ts';

const image = (width: number, height: number, value = 255): RgbImage => ({ width, height, data: new Uint8Array(width * height * 3).fill(value) });

t.test('detection input: multiples of 32 within the max side, normalized BGR', async (t) => {
  const input = await preprocessForDetection(image(1000, 500, 255), { maxSide: 640 });
  t.same(input.tensor.shape, [1, 3, 320, 640]);
  t.same([input.sourceWidth, input.sourceHeight], [1000, 500]);
  const d = input.tensor.data as Float32Array;
  t.ok(Math.abs(d[0] - (1 - 0.485) / 0.229) < 1e-4, 'white pixel, first (B) channel');
  const small = await preprocessForDetection(image(50, 10));
  t.same(small.tensor.shape, [1, 3, 32, 64], 'never below 32');
});

t.test('DB post-processing finds rectangles, scores them and maps them back', async (t) => {
  const w = 64;
  const h = 32;
  const prob = new Float32Array(w * h);
  const fill = (x0: number, y0: number, x1: number, y1: number, p: number) => {
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) prob[y * w + x] = p;
  };
  fill(30, 20, 60, 26, 0.95); // second line
  fill(4, 4, 40, 10, 0.9); // first line
  fill(50, 2, 56, 8, 0.4); // above threshold 0.3 but scores below 0.6: dropped
  const boxes = boxesFromProbabilityMap(prob, w, h, 128, 64);
  t.equal(boxes.length, 2);
  const [first, second] = boxes;
  t.ok(first.box[0][1] < second.box[0][1], 'reading order: top line first');
  t.ok(Math.abs(first.score - 0.9) < 1e-6);
  // Region x 4..39 (centres), y 4..9, unclipped by d = 35*5*1.5/80 ≈ 3.28, scaled by 2.
  const [tl, tr, br, bl] = first.box;
  t.ok(Math.abs(tl[0] - 2 * (4 - 3.28)) <= 1 && Math.abs(tl[1] - 2 * (4 - 3.28)) <= 1, `tl ${tl}`);
  t.ok(Math.abs(br[0] - 2 * (39 + 3.28)) <= 1 && Math.abs(br[1] - 2 * (9 + 3.28)) <= 1, `br ${br}`);
  t.ok(tr[0] > tl[0] && bl[1] > tl[1]);
  t.same(boxesFromProbabilityMap(new Float32Array(w * h), w, h, w, h), [], 'empty map, no boxes');
});

t.test('angle pre/post-processing', async (t) => {
  const batch = preprocessAnglesBatch([image(96, 48, 0), image(400, 20, 255)]);
  t.same(batch.shape, [2, 3, 48, 192]);
  const d = batch.data as Float32Array;
  t.equal(d[0], -1, 'black → -1');
  t.equal(d[100], 0, 'right of a 96-wide crop is padding (0)');
  t.equal(d[3 * 48 * 192 + 191], 1, 'a wide crop is squeezed to the full 192');
  const out = tensor('float32', [3, 2], Float32Array.of(0.1, 0.95, 0.2, 0.8, 0.99, 0.01));
  t.same(postprocessAngles(out), [
    { angle: 180, confidence: Float32Array.of(0.95)[0] },
    { angle: 0, confidence: Float32Array.of(0.8)[0] },
    { angle: 0, confidence: Float32Array.of(0.99)[0] },
  ]);
});

t.test('recognition input pads to the widest crop, at least 320', async (t) => {
  t.same(preprocessForRecognition([image(40, 20)]).shape, [1, 3, 48, 320]);
  t.same(preprocessForRecognition([image(40, 20), image(500, 20)]).shape, [2, 3, 48, 1200]);
  t.same(preprocessForRecognition([image(5000, 10)], { maxWidth: 2400 }).shape, [1, 3, 48, 2400]);
});

t.test('greedy CTC merges repeats, drops blanks and averages confidence', async (t) => {
  const dictionary = ['blank', 'a', 'b', ' '];
  // steps: a a blank a b b  → "aab"
  const steps = [1, 1, 0, 1, 2, 2];
  const probs = new Float32Array(steps.length * 4).fill(0.1);
  steps.forEach((c, i) => (probs[i * 4 + c] = 0.7));
  probs[4 * 4 + 2] = 0.9;
  const [r] = ctcGreedyDecode(tensor('float32', [1, steps.length, 4], probs), dictionary);
  t.equal(r.text, 'aab');
  t.ok(Math.abs(r.confidence - (0.7 + 0.7 + 0.9) / 3) < 1e-6);
  t.throws(() => ctcGreedyDecode(tensor('float32', [1, 1, 5]), dictionary), /5 classes but the dictionary has 4/);
});
