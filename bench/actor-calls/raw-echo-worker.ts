// The baseline: a bare worker_threads echo. Each message is structured-cloned by postMessage and sent
// straight back, one postMessage per call, no framing, no batching, no runtime.
import { parentPort } from 'node:worker_threads';

const port = parentPort!;
port.on('message', (m: { id: number; m: string; a: unknown[] }) => {
  port.postMessage({ id: m.id, v: m.a.length === 0 ? undefined : m.a[0] });
});
