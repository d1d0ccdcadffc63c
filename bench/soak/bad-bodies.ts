// Memory after bursts of 50 concurrent bad 8 MB bodies to the OCR server: RSS, main heap and the object store's
// arena after each of three bursts and 20 s later. node --conditions=troupe-source --import tsx
// bench/soak/bad-bodies.ts [ENV=value ...] (the values go to the server's environment).
import { randomBytes } from 'node:crypto';
import { startSoakServer } from './child.ts';
const env: Record<string,string> = {};
for (const a of process.argv.slice(2)) { const [k, v] = a.split('='); env[k!] = v!; }
const s = await startSoakServer(env);
const mb = (n: number) => (n / 1048576).toFixed(0);
const show = async (label: string) => { const m = await s.memory(); console.log(label, 'rss', mb(m.rss), 'heap', mb(m.heapUsed), 'ab', mb(m.arrayBuffers), 'ext', mb(m.external), 'store used', mb(m.storeUsed), 'peak', mb(m.storePeak), 'objects', m.storeObjects); };
await new Promise((r) => setTimeout(r, 3000));
await show('idle');
const body = randomBytes(8 * 1024 * 1024);
for (let round = 0; round < 3; round++) {
  const st = await Promise.all(Array.from({ length: 50 }, () => fetch(`${s.url}/ocr`, { method: 'POST', headers: { 'content-type': 'image/png' }, body }).then(async (r) => (await r.text(), r.status), () => 0)));
  const c: Record<number, number> = {}; for (const x of st) c[x] = (c[x] ?? 0) + 1;
  await show(`after burst ${round + 1} ${JSON.stringify(c)}`);
}
await new Promise((r) => setTimeout(r, 20000));
await show('20 s later');
await s.stop();
