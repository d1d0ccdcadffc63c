// The far side of transport.ts: answers batches of call messages with batches of replies, framed with
// msgpackr like the runtime, over a SharedArrayBuffer ring (mode 'ring') or a MessagePort (mode 'port').
import { parentPort, workerData } from 'node:worker_threads';
import { Ring } from './sab-ring.ts';
import { Packr } from 'msgpackr';
const packr = new Packr({ structuredClone: true, useRecords: false, moreTypes: true });
const reply = (batch: any[]) => batch.map(m => ({ t: 'ok', id: m.id, v: undefined }));
if (workerData.mode === 'ring') {
  setInterval(() => {}, 1 << 30); // a pending waitAsync does not keep a worker alive
  const req = new Ring(workerData.req), rep = new Ring(workerData.rep);
  let out: any[] = []; let scheduled = false;
  const flush = () => { scheduled = false; const b = out; out = []; if (!rep.write(packr.pack(b).slice())) throw new Error('full'); };
  void req.serve(f => { for (const r of reply(packr.unpack(f))) out.push(r); if (!scheduled) { scheduled = true; queueMicrotask(flush); } }, () => false);
} else {
  const port = workerData.port;
  let out: any[] = []; let scheduled = false;
  const flush = () => { scheduled = false; const b = out; out = []; port.postMessage(packr.pack(b).slice()); };
  port.on('message', (f: Uint8Array) => { for (const r of reply(packr.unpack(f))) out.push(r); if (!scheduled) { scheduled = true; queueMicrotask(flush); } });
}
parentPort!.postMessage('ready');
