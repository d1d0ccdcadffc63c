// One measurement process of the replica-start bench (plain JavaScript: run it with plain node for the compiled
// package, or with --conditions=troupe-source --import tsx for troupe from its sources). Prints one JSON line:
// ms to ready of one thread and RSS per thread with `count` alive, for a bare worker_thread, a troupe actor
// (Runtime.spawn) and a serve replica (serve.run with numReplicas), each after one warm-up start.
import { Worker } from 'node:worker_threads';
import { Runtime, serve } from 'troupe';
import { app, NoopActor } from './noop-app.js';

const count = Number(process.argv[2] ?? 8);
const rounds = Number(process.argv[3] ?? 5);
const gc = () => globalThis.gc?.();
const rss = () => process.memoryUsage().rss;
const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const settle = () => new Promise(r => setTimeout(r, 200));

async function bareWorker() {
  const w = new Worker("require('node:worker_threads').parentPort.postMessage('ready'); setInterval(() => {}, 1 << 30);", { eval: true });
  await new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  return () => w.terminate();
}

/** ms to ready of `start()` (median of rounds, one warm-up first), and RSS per thread with `count` started at once. */
async function measure(start) {
  await (await start())();
  const times = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const stop = await start();
    times.push(performance.now() - t0);
    await stop();
  }
  gc();
  await settle();
  const before = rss();
  const stops = await Promise.all(Array.from({ length: count }, () => start()));
  await settle();
  gc();
  const perThread = (rss() - before) / count;
  await Promise.all(stops.map(stop => stop()));
  return { readyMs: median(times), readyMsAll: times.map(t => Math.round(t)), rssMbPerThread: perThread / 1e6 };
}

const result = { count, rounds, mainRssMbAtStart: rss() / 1e6 };
result.bareWorker = await measure(bareWorker);

const runtime = new Runtime();
result.actor = await measure(async () => {
  const handle = await runtime.spawn(NoopActor);
  return () => runtime.kill(handle);
});
await runtime.shutdown();

await serve.start({ http: false });
let n = 0;
result.replica = await measure(async () => {
  const name = `noop-${n++}`;
  await serve.run(app, { name, routePrefix: `/${name}` });
  return () => serve.delete(name);
});
await serve.shutdown();
console.log(JSON.stringify(result));
