// The OCR application served as `troupe run examples/ocr/app.ts:app` serves it, plus what the soak needs from
// inside the process (over IPC, never over HTTP): kill one replica's thread as a crash would, and read memory.
import { getHeapStatistics } from 'node:v8';
import { serve } from 'troupe';
import { app } from '../../examples/ocr/app.ts';

type Request = { id: number; kill?: string } | { id: number; memory: true };

const quiet = { access() {}, error() {} };
await serve.start({ http: { port: Number(process.env.SOAK_PORT ?? 0), logger: quiet } });
await serve.run(app, { name: 'ocr', routePrefix: '/' });
console.log(`listening http://127.0.0.1:${serve.address!.port}`);

/** Ends the thread of one RUNNING replica of `deployment` (the in-flight calls on it fail with REPLICA_DIED). */
async function kill(deployment: string): Promise<string> {
  const d = serve.status().applications.ocr?.deployments[deployment];
  const running = d?.replicas.filter((r) => r.state === 'RUNNING') ?? [];
  const victim = running[Math.floor(Math.random() * running.length)];
  if (!victim) return `no RUNNING replica of ${deployment}`;
  await serve.runtime!.kill(serve.runtime!.getActor(victim.name));
  return victim.name;
}

process.on('message', (m: Request) => {
  const reply = (body: object) => process.send!({ id: m.id, ...body });
  if ('kill' in m && m.kill) {
    kill(m.kill).then((killed) => reply({ killed }), (err: Error) => reply({ error: err.message }));
  } else {
    const mem = process.memoryUsage();
    // The main thread's V8 heap; the replicas' heaps show in rss (they share the process).
    const heap = getHeapStatistics();
    const store = serve.runtime?.objectStore?.stats();
    reply({
      rss: mem.rss, heapUsed: mem.heapUsed, heapTotal: heap.total_heap_size, external: mem.external, arrayBuffers: mem.arrayBuffers,
      storeUsed: store?.used ?? 0, storePeak: store?.peak ?? 0, storeObjects: store?.objects ?? 0,
    });
  }
});
process.on('SIGTERM', () => {
  void serve.shutdown({ timeoutMs: 2000 }).then(() => process.exit(0));
});
