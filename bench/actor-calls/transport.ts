// Transport for small calls: the same msgpackr frames, batched per microtask, over a MessagePort vs a
// SharedArrayBuffer ring with an Atomics.waitAsync doorbell. No runtime: only the wire differs.
//   node --import tsx bench/actor-calls/transport.ts ring port
import { Worker, MessageChannel } from 'node:worker_threads';
import { once } from 'node:events';
import { Packr } from 'msgpackr';
import { Ring } from './sab-ring.ts';
import { latency, throughput } from './measure.ts';
const packr = new Packr({ structuredClone: true, useRecords: false, moreTypes: true });
async function client(mode: 'ring' | 'port') {
  const pending = new Map<number, (v: unknown) => void>(); let nextId = 1;
  let q: any[] = []; let scheduled = false; let stopped = false;
  const onFrame = (f: Uint8Array) => { for (const m of packr.unpack(f) as any[]) { const r = pending.get(m.id); pending.delete(m.id); r!(m.v); } };
  let worker: Worker, send: (b: Uint8Array) => void, close: () => void;
  if (mode === 'ring') {
    const req = Ring.create(1 << 20), rep = Ring.create(1 << 20);
    worker = new Worker(new URL('./boot.mjs', import.meta.url), { workerData: { entry: new URL('./transport-echo-worker.ts', import.meta.url).href, mode, req: req.sab, rep: rep.sab } });
    const keep = setInterval(() => {}, 1 << 30);
    void rep.serve(onFrame, () => stopped).finally(() => clearInterval(keep));
    send = b => { if (!req.write(b)) throw new Error('full'); };
    close = () => { stopped = true; Atomics.add(rep.ctrl, 2, 1); Atomics.notify(rep.ctrl, 2); };
  } else {
    const { port1, port2 } = new MessageChannel();
    worker = new Worker(new URL('./boot.mjs', import.meta.url), { workerData: { entry: new URL('./transport-echo-worker.ts', import.meta.url).href, mode, port: port2 }, transferList: [port2] });
    port1.on('message', onFrame);
    send = b => port1.postMessage(b);
    close = () => port1.close();
  }
  await once(worker, 'message');
  const flush = () => { scheduled = false; const b = q; q = []; send(packr.pack(b).slice()); };
  const call = () => new Promise(res => { const id = nextId++; pending.set(id, res); q.push({ t: 'call', id, m: 'noop', a: [] }); if (!scheduled) { scheduled = true; queueMicrotask(flush); } });
  return { call, close: async () => { close(); await worker.terminate(); } };
}
const modes = process.argv.slice(2) as ('ring'|'port')[];
const clients: any = {};
for (const m of modes) { clients[m] = await client(m); console.log('started', m); }
for (const c of Object.values(clients) as any[]) { await throughput(c.call, 16, 500); await latency(c.call, 300); }
for (let r = 0; r < 2; r++) {
  for (const [name, c] of Object.entries(clients) as any[]) {
    const l = await latency(c.call, 1000);
    const ts = [];
    for (const n of [1, 16, 256]) ts.push(`${n}: ${(await throughput(c.call, n, 1000)).callsPerSecond}/s`);
    console.log(`${name} latency p50 ${l.p50} p99 ${l.p99} µs   throughput ${ts.join('  ')}`);
  }
}
for (const c of Object.values(clients) as any[]) await c.close();
