// Baseline: raw uWebSockets.js answering every request with a fixed body.
// Usage: node --import tsx bench/http-noop/uws-hello.ts [port]   (0 or none: any free port)
// Prints `listening http://127.0.0.1:PORT` once ready; SIGTERM or SIGINT closes it cleanly.
import uWS from 'uWebSockets.js';

const port = Number(process.argv[2] ?? 0);
const app = uWS.App().any('/*', (res) => {
  res.end('ok');
});
app.listen('127.0.0.1', port, (socket) => {
  if (!socket) {
    console.error(`could not listen on 127.0.0.1:${port}`);
    process.exit(1);
  }
  console.log(`listening http://127.0.0.1:${uWS.us_socket_local_port(socket)}`);
  const stop = () => {
    uWS.us_listen_socket_close(socket);
    // Open keep-alive connections would hold the process; give them a moment, then go.
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
});
