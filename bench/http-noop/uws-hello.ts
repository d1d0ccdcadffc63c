// Baseline: raw uWebSockets.js answering every request with a fixed body.
// Usage: node --import tsx bench/http-noop/uws-hello.ts [port]   (0 or none: any free port)
// Prints `listening http://127.0.0.1:PORT` once ready; SIGTERM or SIGINT closes it cleanly.
import uWS from 'uWebSockets.js';
import { listenRaw } from '../lib/raw-uws.ts';

const port = Number(process.argv[2] ?? 0);
const app = uWS.App().any('/*', (res) => {
  res.end('ok');
});
listenRaw(app, port);
