// Diagnostic for the proxy's next structural step (several proxy threads): raw uWebSockets.js apps on THREADS
// worker threads sharing one port (the kernel spreads connections over them), answering every request
// themselves, or with --echo, each posting it to one shared echo worker and answering when it comes back (the
// shape of several proxy threads in front of one replica). Compare THREADS=1 with 2 on the same machine.
// Usage: node --import tsx bench/http-noop/uws-threads.ts THREADS [--echo]
// Prints `listening http://127.0.0.1:PORT` once every thread listens; SIGTERM or SIGINT stops it.
import { MessageChannel, Worker } from 'node:worker_threads';
import { freePort } from '../lib/free-port.ts';

const threads = Number(process.argv[2] ?? 1);
const echo = process.argv.includes('--echo');
const port = await freePort();

const echoWorker = echo
  ? new Worker(
      `const { parentPort } = require('node:worker_threads');
       parentPort.on('message', (p) => p.on('message', (ids) => p.postMessage(ids)));`,
      { eval: true },
    )
  : undefined;

// Each app thread batches the requests of one event-loop turn into one message, as troupe's proxy does.
const appCode = `
  const uWS = require('uWebSockets.js');
  const { workerData, parentPort } = require('node:worker_threads');
  const { port, echoPort } = workerData;
  const pending = new Map();
  let nextId = 0;
  let batch = [];
  if (echoPort) echoPort.on('message', (ids) => {
    for (const id of ids) {
      const res = pending.get(id);
      if (!res) continue;
      pending.delete(id);
      res.cork(() => res.end('ok'));
    }
  });
  const flush = () => { echoPort.postMessage(batch); batch = []; };
  uWS.App().any('/*', (res) => {
    if (!echoPort) return void res.end('ok');
    const id = nextId++ & 0x3fffffff;
    pending.set(id, res);
    res.onAborted(() => pending.delete(id));
    if (batch.push(id) === 1) setImmediate(flush);
  }).listen('127.0.0.1', port, (socket) => parentPort.postMessage(Boolean(socket)));
`;

const apps = await Promise.all(
  Array.from({ length: threads }, async () => {
    let echoPort;
    if (echoWorker) {
      const { port1, port2 } = new MessageChannel();
      echoWorker.postMessage(port2, [port2]);
      echoPort = port1;
    }
    const w = new Worker(appCode, { eval: true, workerData: { port, echoPort }, transferList: echoPort ? [echoPort] : [] });
    const ok = await new Promise<boolean>((resolve) => w.once('message', resolve));
    if (!ok) throw new Error(`a thread could not listen on 127.0.0.1:${port}`);
    return w;
  }),
);
console.log(`listening http://127.0.0.1:${port}`);
const stop = () => {
  for (const w of apps) void w.terminate();
  void echoWorker?.terminate();
  setTimeout(() => process.exit(0), 500).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
