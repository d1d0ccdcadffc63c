import t from 'tap';
import { startBaselineServer } from '../../../bench/ocr/baseline-server.ts';
import { renderText } from '../../fixtures/ocr/render.ts';

// The single-process server the bench compares troupe against: it has to be a
// correct OCR server, or the comparison means nothing.
t.test('the baseline server reads images and answers bad ones with 400/413', async (t) => {
  const server = await startBaselineServer({ threads: 1, maxBytes: 200_000 });
  t.teardown(() => server.close());
  t.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);

  const health = await fetch(`${server.url}/health`);
  t.same(await health.json(), { status: 'ok' });

  const image = await renderText(['baseline', 'server'], { dpi: 150 });
  const ok = await fetch(`${server.url}/ocr`, { method: 'POST', body: image, headers: { 'content-type': 'image/png' } });
  t.equal(ok.status, 200);
  const lines = (await ok.json()) as { text: string; confidence: number; box: number[][] }[];
  t.same(lines.map((l) => l.text), ['baseline', 'server']);
  t.ok(lines.every((l) => l.box.length === 4 && l.confidence > 0.5));

  const bad = await fetch(`${server.url}/ocr`, { method: 'POST', body: 'not an image' });
  t.equal(bad.status, 400);
  t.match(((await bad.json()) as { error: string }).error, 'TROUPE_ERR_IMAGE_FORMAT');

  const empty = await fetch(`${server.url}/ocr`, { method: 'POST', body: new Uint8Array(0) });
  t.equal(empty.status, 400);

  const big = await fetch(`${server.url}/ocr`, { method: 'POST', body: new Uint8Array(300_000) });
  t.equal(big.status, 413);
  await big.arrayBuffer();

  t.equal((await fetch(`${server.url}/nope`)).status, 404);
  t.equal((await fetch(`${server.url}/ocr`)).status, 405);

  const again = await fetch(`${server.url}/ocr`, { method: 'POST', body: image });
  t.equal(again.status, 200, 'still serving after bad requests');
  await again.arrayBuffer();
});
