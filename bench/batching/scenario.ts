// @batch against one-by-one calls on a real model: the PP-OCR angle classifier in an
// actor, called concurrently from the main thread, in the same run:
//   solo        one ORT run per call (an actor without @batch)
//   batch-N     a @batch method with maxBatchSize N (one ORT run per batch)
//   auto        maxBatchSize 'auto' under --target ms; reports the size it chose
//   http        the classifier behind HTTP with @batch (troupe run, own process) against raw ORT at
//               its best batch size (bench/batching/http.ts); --http-concurrency, --http-batch, --warm-up (s per server)
// Items/s and latency p50/p99 of the calls, closed loop at --concurrency clients (and 1).
//
// The targets run in interleaved rounds (--rounds slices of --duration each), so a noisy
// neighbour on a shared machine slows all of them alike; ratios are within one run.
//
//   npm run bench -- batching [--duration=5] [--quick] [--rounds=5] [--concurrency=32] [--threads=1]
//                             [--sizes=4,8,16,32] [--wait=5] [--target=100] [--only=solo,batch-16,auto,http]
//                             [--http-concurrency=16,64] [--http-batch=8] [--http-threads=1] [--http-replicas=1,2] [--warm-up=20] [--no-wrk]
import { Runtime, type ActorHandle } from '../../src/core/index.ts';
import type { BatchOptions, BatchStats, Unbatched } from '../../src/serve/batch.ts';
import type { ScenarioContext } from '../lib/scenario-runner.ts';
import { BatchedClassifier, ROW, SoloClassifier } from './classifier-actors.ts';
import { formatHttpClassifier, measureHttpClassifier } from './http.ts';

export const description = 'PP-OCR angle classifier in an actor: @batch (fixed sizes and auto) against one-by-one calls';

type Classify = (image: Float32Array) => Promise<number>;

function images(count: number): Float32Array[] {
  const n = ROW[0] * ROW[1] * ROW[2];
  let s = 12345;
  return Array.from({ length: count }, () => Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 31) - 1));
}

function num(flag: string | boolean | undefined, fallback: number): number {
  return typeof flag === 'string' ? Number(flag) : fallback;
}

interface Target {
  name: string;
  concurrency: number;
  classify: Classify;
  stats?: () => Promise<BatchStats>;
  latencies: number[];
  items: number;
  ms: number;
}

/** `c` callers for `ms`, each calling again when its call returns; latencies appended to the target. */
async function closedLoop(t: Target, inputs: Float32Array[], ms: number, record: boolean): Promise<void> {
  const started = performance.now();
  const end = started + ms;
  let next = 0;
  let items = 0;
  const caller = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      await t.classify(inputs[next++ % inputs.length]!);
      if (record) t.latencies.push(performance.now() - t0);
      items++;
    }
  };
  await Promise.all(Array.from({ length: t.concurrency }, caller));
  if (record) {
    t.items += items;
    t.ms += performance.now() - started;
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export async function run(ctx: ScenarioContext): Promise<void> {
  const concurrency = num(ctx.flags.concurrency, 32);
  const threads = num(ctx.flags.threads, 1);
  const wait = num(ctx.flags.wait, 5);
  const target = num(ctx.flags.target, 100);
  const rounds = num(ctx.flags.rounds, ctx.quick ? 2 : 5);
  const sizes = typeof ctx.flags.sizes === 'string' ? ctx.flags.sizes.split(',').map(Number) : [4, 8, 16, 32];
  const only = typeof ctx.flags.only === 'string' ? ctx.flags.only.split(',') : null;
  const wanted = (name: string) => !only || only.includes(name);
  const inputs = images(64);
  const slice = Math.max(200, Math.round(ctx.durationMs / rounds));
  ctx.record('setup', { concurrency, intraOpThreads: threads, batchWaitTimeoutMs: wait, targetLatencyMs: target, rounds, sliceMs: slice, imageShape: ROW });
  // The actor targets: solo, batch-N and auto, called from this thread.
  const measureActors = async () => {
    const rt = new Runtime();
    const targets: Target[] = [];
    const add = (name: string, c: number, classify: Classify, stats?: () => Promise<BatchStats>) =>
      targets.push({ name, concurrency: c, classify, stats, latencies: [], items: 0, ms: 0 });
    const batched = async (options: BatchOptions) =>
      (await rt.spawn(BatchedClassifier, [threads, options])) as unknown as ActorHandle<Unbatched<BatchedClassifier>>;

    try {
      const solo = await rt.spawn(SoloClassifier, [threads]);
      const check = await batched({ maxBatchSize: 16, batchWaitTimeoutMs: wait });
      // Same answers either way, before any timing.
      const a = await Promise.all(inputs.slice(0, 16).map(x => solo.classify(x)));
      const b = await Promise.all(inputs.slice(0, 16).map(x => check.classify(x)));
      const worst = Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
      ctx.log(`batched and solo scores agree to ${worst.toExponential(1)} on 16 images`);
      if (worst > 1e-4) throw new Error(`batched and one-by-one results differ by ${worst}`);
      ctx.record('agreement', worst);
      await rt.kill(check);

      if (wanted('solo')) {
        add('solo', 1, x => solo.classify(x));
        add('solo', concurrency, x => solo.classify(x));
      }
      for (const size of sizes) {
        const name = `batch-${size}`;
        if (!wanted(name)) continue;
        // One actor per row, so its batch counters describe that row alone.
        for (const c of size === 16 ? [1, concurrency] : [concurrency]) {
          const h = await batched({ maxBatchSize: size, batchWaitTimeoutMs: wait });
          add(name, c, x => h.classify(x), () => h.stats());
        }
      }
      if (wanted('auto')) {
        const h = await batched({ maxBatchSize: 'auto', targetLatencyMs: target, batchWaitTimeoutMs: wait, maxAutoBatchSize: 64 });
        add('auto', concurrency, x => h.classify(x), () => h.stats());
      }

      // Rounds interleave the targets, so load from neighbours on a shared machine falls on all of them alike.
      for (const t of targets) await closedLoop(t, inputs, ctx.quick ? 300 : 1000, false);
      for (let r = 0; r < rounds; r++) {
        for (const t of targets) await closedLoop(t, inputs, slice, true);
        ctx.log(`round ${r + 1}/${rounds} done`);
      }

      const rows = [];
      for (const t of targets) {
        const sorted = [...t.latencies].sort((x, y) => x - y);
        const stats = t.stats ? await t.stats() : undefined;
        rows.push({
          name: t.name,
          concurrency: t.concurrency,
          itemsPerSec: (t.items * 1000) / t.ms,
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
          calls: t.items,
          limit: stats?.effectiveMaxBatchSize,
          meanBatch: stats ? stats.items / stats.batches : undefined,
          autoMode: stats?.autoMode,
          curve: stats?.curve,
        });
      }
      ctx.record('rows', rows);
      const base = rows.find(r => r.name === 'solo' && r.concurrency === concurrency);
      ctx.log('| target | clients | items/s | vs solo | p50 ms | p99 ms | size limit | mean batch |');
      ctx.log('|---|---|---|---|---|---|---|---|');
      for (const r of rows) {
        ctx.log(`| ${r.name} | ${r.concurrency} | ${r.itemsPerSec.toFixed(1)} | ${base ? (r.itemsPerSec / base.itemsPerSec).toFixed(2) + 'x' : '-'} | ` +
          `${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.limit ?? '-'} | ${r.meanBatch?.toFixed(1) ?? '-'} |`);
      }
      const auto = rows.find(r => r.name === 'auto');
      if (auto) {
        ctx.log(`auto chose maxBatchSize ${auto.limit} (${auto.autoMode}) for a ${target} ms target; median run time by size (ms, sizes with 5+ runs): ` +
          auto.curve!.filter(p => p.samples >= 5).map(p => `${p.size}:${p.ms.toFixed(1)}`).join(' '));
      }
    } finally {
      await rt.shutdown();
    }
  };
  if (!only || only.some((name) => name !== 'http')) await measureActors();
  if (wanted('http')) {
    const list = (v: string | boolean | undefined, fallback: number[]) => (typeof v === 'string' ? v.split(',').map(Number) : fallback);
    const report = await measureHttpClassifier(ctx, inputs, {
      concurrency: list(ctx.flags['http-concurrency'], [16, 64]),
      maxBatch: num(ctx.flags['http-batch'], 8),
      threads: num(ctx.flags['http-threads'], 1),
      replicas: list(ctx.flags['http-replicas'], [1, 2]),
      wrk: ctx.flags.wrk !== false && ctx.flags['no-wrk'] !== true,
      rounds,
    });
    ctx.record('http', report);
    ctx.log('\n' + formatHttpClassifier(report));
  }
}
