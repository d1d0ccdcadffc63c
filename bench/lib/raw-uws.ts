// What every raw uWebSockets.js baseline does once its routes are set: listen on 127.0.0.1, print
// `listening http://127.0.0.1:PORT` (what the harness waits for), and close on SIGTERM or SIGINT.
import uWS, { type TemplatedApp } from 'uWebSockets.js';

/** `port` 0 picks a free one; `onStop` runs as the server closes (a worker to end, say). */
export function listenRaw(app: TemplatedApp, port: number, onStop?: () => void): void {
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
      onStop?.();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
