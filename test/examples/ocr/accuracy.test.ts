import sharp from 'sharp';
import t from 'tap';
import { closeOcrInProcess, runOcrInProcess } from '../../../examples/ocr/index.ts';
import { editDistance, renderText, type RenderOptions } from '../../fixtures/ocr/render.ts';

// 36 words in 12 images: sizes from ~15 px to ~37 px line height, angles up to ±8°,
// three fonts, plain and noisy backgrounds, PNG and JPEG, dark-on-light and light-on-dark.
const cases: { words: string[]; options: RenderOptions }[] = [
  { words: ['invoice', 'total', 'amount'], options: { dpi: 90 } },
  { words: ['shipping', 'address', 'Berlin'], options: { dpi: 200, angle: 5, noise: 12, font: 'serif' } },
  { words: ['customer', 'number', '48213'], options: { dpi: 120, angle: -4, font: 'mono' } },
  { words: ['payment', 'received', 'thanks'], options: { dpi: 160, noise: 20, seed: 7 } },
  { words: ['Station', 'Platform', 'Exit'], options: { dpi: 220, angle: 8, font: 'bold' } },
  { words: ['morning', 'coffee', 'latte'], options: { dpi: 110, angle: -7, noise: 8, font: 'serif', seed: 3 } },
  { words: ['Warning', 'HIGH', 'VOLTAGE'], options: { dpi: 140, foreground: [200, 20, 20], background: [250, 240, 200] } },
  { words: ['kitchen', 'window', 'garden'], options: { dpi: 130, angle: 3, format: 'jpeg' } },
  { words: ['Monday', 'Tuesday', 'Friday'], options: { dpi: 180, angle: -2, noise: 15, font: 'mono', seed: 11 } },
  { words: ['library', 'science', 'history'], options: { dpi: 100, foreground: [240, 240, 240], background: [30, 40, 60] } },
  { words: ['orange', 'yellow', 'purple'], options: { dpi: 150, angle: 6, font: 'serif', format: 'jpeg', noise: 10, seed: 5 } },
  { words: ['Room', '2048', 'Floor'], options: { dpi: 190, angle: -6, font: 'bold', noise: 6, seed: 9 } },
];

t.teardown(closeOcrInProcess);

t.test('character accuracy over 36 rendered words is at least 90%', async (t) => {
  let errors = 0;
  let total = 0;
  for (const { words, options } of cases) {
    const image = await renderText(words, options);
    const results = await runOcrInProcess(image);
    // Spaces are read inconsistently by this Chinese/English model; each word is its own line here.
    const expected = words.join('');
    const got = results.map((r) => r.text).join('').replace(/\s+/g, '');
    const distance = editDistance(expected, got);
    t.comment(`${JSON.stringify(words)} → ${JSON.stringify(results.map((r) => r.text))} (distance ${distance})`);
    errors += distance;
    total += expected.length;
    for (const r of results) {
      t.ok(r.confidence > 0 && r.confidence <= 1, 'confidence is a probability');
      t.equal(r.box.length, 4, 'a box has four corners');
    }
  }
  const accuracy = 1 - errors / total;
  t.comment(`character accuracy ${(accuracy * 100).toFixed(1)}% over ${total} characters`);
  t.ok(accuracy >= 0.9, `accuracy ${(accuracy * 100).toFixed(1)}% >= 90%`);
});

t.test('boxes map back to where the text is in the original image', async (t) => {
  const margin = 60;
  const image = await renderText(['alpha'], { dpi: 150, margin });
  const [line] = await runOcrInProcess(image);
  t.equal(line.text, 'alpha');
  const [tl, , br] = line.box;
  t.ok(Math.abs(tl[0] - margin) < 12 && Math.abs(tl[1] - margin) < 12, `top-left ${tl} near the margin ${margin}`);
  t.ok(br[0] > tl[0] + 40 && br[1] > tl[1] + 15, 'box spans the word');
});

t.test('strongly rotated lines are cropped upright through their rotated boxes', async (t) => {
  for (const angle of [25, -30]) {
    const results = await runOcrInProcess(await renderText(['rotated', 'words'], { dpi: 150, angle }));
    t.same(results.map((r) => r.text), ['rotated', 'words'], `${angle}°`);
    const [tl, tr] = results[0].box;
    const slope = (Math.atan2(tl[1] - tr[1], tr[0] - tl[0]) * 180) / Math.PI;
    t.ok(Math.abs(slope - angle) < 5, `box edge at ${slope.toFixed(1)}° follows the text at ${angle}°`);
  }
});

t.test('upside-down and vertical text are turned before recognition', async (t) => {
  const flipped = await runOcrInProcess(await renderText(['upside', 'down'], { dpi: 150, angle: 180 }));
  t.same(flipped.map((r) => r.text).sort(), ['down', 'upside']);
  const vertical = await runOcrInProcess(await renderText(['vertical'], { dpi: 150, angle: 90 }));
  t.same(vertical.map((r) => r.text), ['vertical']);
});

t.test('an image without text gives an empty list', async (t) => {
  const pixels = Buffer.alloc(200 * 120 * 3, 235);
  for (let i = 0; i < pixels.length; i += 7) pixels[i] = 225; // faint texture, no text
  const blank = await sharp(pixels, { raw: { width: 200, height: 120, channels: 3 } }).png().toBuffer();
  t.same(await runOcrInProcess(blank), []);
});
