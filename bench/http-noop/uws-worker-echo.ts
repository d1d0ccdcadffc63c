// Baseline: raw uWebSockets.js where every request goes to one worker thread and back,
// the least a design with replicas on worker threads can cost.
// Usage: node --import tsx bench/http-noop/uws-worker-echo.ts [port]
// Prints `listening http://127.0.0.1:PORT` once ready; SIGTERM or SIGINT closes it cleanly.
import uWS from 'uWebSockets.js';
import { listenRaw } from '../lib/raw-uws.ts';
import { Worker } from 'node:worker_threads';

const port = Number(process.argv[2] ?? 0);
const worker = new Worker(
  `const { parentPort } = require('node:worker_threads');
   parentPort.on('message', (id) => parentPort.postMessage(id));`,
  { eval: true },
);
const pending = new Map<number, uWS.HttpResponse>();
let nextId = 0;

worker.on('message', (id: number) => {
  const res = pending.get(id);
  if (!res) return; // the client went away meanwhile
  pending.delete(id);
  res.cork(() => res.end('ok'));
});

const app = uWS.App().any('/*', (res) => {
  const id = nextId++ & 0x3fffffff;
  pending.set(id, res);
  res.onAborted(() => pending.delete(id));
  worker.postMessage(id);
});
listenRaw(app, port, () => void worker.terminate());
