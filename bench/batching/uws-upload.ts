// The floor of the served classifier's HTTP side: raw uWebSockets.js reading each request's whole body into a
// buffer kept for the next one (no troupe, no model) and answering a small JSON body, as the proxy answers
// /classify. What its thread and wrk spend per 110 KB request is CPU that the served classifier needs beside
// the model on the same cores, and that raw ONNX Runtime in one process never spends.
//
//   node --import tsx bench/batching/uws-upload.ts [port]    (0 or none: any free port)
//   BODY_FILE=crop.f32 wrk -t1 -c64 -d5s -s bench/batching/post-body.lua http://127.0.0.1:PORT/classify
//
// Prints `listening http://127.0.0.1:PORT` once ready; SIGTERM or SIGINT closes it.
import uWS from 'uWebSockets.js';
import { listenRaw } from '../lib/raw-uws.ts';

const port = Number(process.argv[2] ?? 0);
let scratch = new Uint8Array(256 * 1024);
const app = uWS.App().any('/*', (res) => {
  let received = 0;
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  res.onData((chunk, isLast) => {
    if (received + chunk.byteLength > scratch.byteLength) {
      const bigger = new Uint8Array(2 * (received + chunk.byteLength));
      bigger.set(scratch.subarray(0, received));
      scratch = bigger;
    }
    scratch.set(new Uint8Array(chunk), received);
    received += chunk.byteLength;
    if (isLast && !aborted) res.cork(() => res.writeHeader('content-type', 'application/json').end(`{"bytes":${received}}`));
  });
});
listenRaw(app, port);
