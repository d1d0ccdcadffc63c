// The OCR application served over HTTP, as `npm start` runs it: 50 concurrent requests each get
// their own words back (no cross-talk through the @batch stages), and bad images get 400/413 with
// a clear message while the service keeps serving.
import sharp from 'sharp';
import t from 'tap';
import { serve } from 'troupe';
import { app } from '../../../examples/ocr/app.ts';
import { renderText } from '../../fixtures/ocr/render.ts';

let base = '';
t.before(async () => {
  await serve.start({ http: { host: '127.0.0.1', port: 0 } });
  await serve.run(app, { name: 'ocr' });
  base = `http://${serve.address!.host}:${serve.address!.port}`;
});
t.teardown(() => serve.shutdown());

const post = (body: Uint8Array | string, contentType = 'image/png') =>
  fetch(`${base}/ocr`, { method: 'POST', headers: { 'content-type': contentType }, body });

/** Levenshtein distance, to tell which expected word a reading is closest to. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

t.test('50 concurrent requests each get their own words back', async (t) => {
  const stems = ['Harbor', 'Violet', 'Copper', 'Meadow', 'Falcon'];
  const words = Array.from({ length: 50 }, (_, i) => `${stems[i % stems.length]}${1000 + i * 173}`);
  const images = await Promise.all(words.map((w, i) => renderText([w], { dpi: 120 + (i % 5) * 15, seed: i + 1 })));
  const responses = await Promise.all(images.map((image) => post(image)));
  const readings = await Promise.all(
    responses.map(async (res) => {
      t.equal(res.status, 200);
      const lines = (await res.json()) as { text: string; confidence: number; box: number[][] }[];
      return lines.map((l) => l.text).join(' ');
    }),
  );
  let exact = 0;
  readings.forEach((reading, i) => {
    if (reading === words[i]) exact++;
    const closest = words.reduce((best, w, k) => (distance(reading, w) < distance(reading, words[best]) ? k : best), 0);
    t.equal(closest, i, `request ${i} ("${words[i]}") read "${reading}": its own word, not another request's`);
  });
  t.ok(exact >= 45, `${exact} of 50 read exactly`);
});

t.test('bad images over HTTP: 400 or 413 with a message that says what to do, and it keeps serving', async (t) => {
  const good = await renderText(['still', 'serving'], { dpi: 150 });
  const huge = await sharp({ create: { width: 6000, height: 4200, channels: 3, background: { r: 255, g: 255, b: 255 } } }).png().toBuffer();
  const cases: [string, Uint8Array | string, string, number, RegExp][] = [
    ['not an image', 'this is not an image', 'image/png', 400, /not an image in a supported format/],
    ['empty body', new Uint8Array(0), 'image/png', 400, /empty|send the image/],
    ['truncated PNG', good.subarray(0, Math.floor(good.length * 0.6)), 'image/png', 400, /truncated or corrupt/],
    ['over the pixel limit', huge, 'image/png', 413, /6000x4200 = 25200000 pixels; the limit is 25000000 pixels, scale it down/],
  ];
  for (const [what, body, type, status, message] of cases) {
    const res = await post(body, type);
    t.equal(res.status, status, `${what}: ${status}`);
    const answer = (await res.json()) as { error: { code: string; message: string; requestId: string } };
    t.match(answer.error.message, message, `${what}: says why`);
    t.ok(answer.error.requestId, `${what}: has a request id`);
  }
  const res = await post(good);
  t.equal(res.status, 200, 'a good image after the bad ones');
  t.same(((await res.json()) as { text: string }[]).map((l) => l.text), ['still', 'serving']);
  const health = await fetch(`${base}/health`);
  t.same(await health.json(), { status: 'ok' });
});
