// Client of the raw echo worker: calls matched by id, one postMessage per call. The same shape of work
// the runtime does (an id, a method name, arguments out; an id and a value back), without the runtime.
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';

export interface RawEcho {
  call(method: string, args: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

export async function startRawEcho(): Promise<RawEcho> {
  const worker = new Worker(new URL('./boot.mjs', import.meta.url), {
    workerData: { entry: new URL('./raw-echo-worker.ts', import.meta.url).href },
  });
  await once(worker, 'online');
  const pending = new Map<number, (value: unknown) => void>();
  let nextId = 1;
  worker.on('message', (m: { id: number; v: unknown }) => {
    const resolve = pending.get(m.id);
    pending.delete(m.id);
    resolve?.(m.v);
  });
  // The first echo proves the worker finished loading its entry.
  const call = (method: string, args: unknown[]) =>
    new Promise<unknown>(resolve => {
      const id = nextId++;
      pending.set(id, resolve);
      worker.postMessage({ id, m: method, a: args });
    });
  await call('noop', []);
  return {
    call,
    close: async () => {
      await worker.terminate();
    },
  };
}
