// Kills one replica's thread every 8 s (Detector, Recognizer, AngleClassifier, Api, twice) under a light closed
// loop of OCR requests, with 50 bad 8 MB bodies after each Api kill; prints what each kill did to the requests.
// node --conditions=troupe-source --import tsx bench/soak/kill-replicas.ts (the soak's faults, fast).
import { startSoakServer } from './child.ts';
import { benchImages } from '../ocr/images.ts';
import { randomBytes } from 'node:crypto';
const s = await startSoakServer();
const imgs = await benchImages();
let stop = false; let ok = 0; const errs: Record<string, number> = {};
const load = (async () => { let i = 0; while (!stop) { const r = await fetch(`${s.url}/ocr`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: imgs[i++ % 4]!.bytes }).then(async (r) => (await r.text(), r.status), () => 0); if (r === 200) ok++; else errs[r] = (errs[r] ?? 0) + 1; } })();
const bad = randomBytes(8 * 1024 * 1024);
for (const v of ['Detector', 'Recognizer', 'AngleClassifier', 'Api', 'Detector', 'Recognizer', 'AngleClassifier', 'Api']) {
  await new Promise((r) => setTimeout(r, 8000));
  console.log('kill', v, await s.kill(v).catch((e) => 'ERR ' + e.message), 'ok', ok, JSON.stringify(errs));
  if (v === 'Api') { const st = await Promise.all(Array.from({ length: 50 }, () => fetch(`${s.url}/ocr`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: bad }).then((r) => r.status, () => 0))); console.log('bad', JSON.stringify(st.reduce((a: any, x) => ((a[x] = (a[x] ?? 0) + 1), a), {}))); }
}
stop = true; await load; console.log('done ok', ok, JSON.stringify(errs)); await s.stop();
