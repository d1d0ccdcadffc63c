// @batch against one-by-one calls on a real model: the PP-OCR angle classifier in an
// actor, called concurrently from the main thread, in the same run:
//   solo        one ORT run per call (an actor without @batch)
//   batch-N     a @batch method with maxBatchSize N (one ORT run per batch)
//   auto        maxBatchSize 'auto' under --target ms; reports the size it chose
// Items/s and latency p50/p99 of the calls, closed loop at --concurrency clients.
//
//   npm run bench -- batching [--duration=5] [--quick] [--concurrency=32] [--threads=1]
//                             [--sizes=4,8,16,32] [--wait=5] [--target=100] [--only=solo,batch-16,auto]
import { Runtime, type ActorHandle } from '../../src/core/index.ts';
import { runClosedLoop, type BenchResult } from '../../src/cli/bench/index.ts';
import type { BatchStats, Unbatched } from '../../src/serve/batch.ts';
import type { ScenarioContext } from '../lib/scenario-runner.ts';
import { BatchedClassifier, ROW, SoloClassifier } from './classifier-actors.ts';

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

export async function run(ctx: ScenarioContext): Promise<void> {
  const concurrency = num(ctx.flags.concurrency, 32);
  const threads = num(ctx.flags.threads, 1);
  const wait = num(ctx.flags.wait, 5);
  const target = num(ctx.flags.target, 100);
  const sizes = typeof ctx.flags.sizes === 'string' ? ctx.flags.sizes.split(',').map(Number) : [4, 8, 16, 32];
  const only = typeof ctx.flags.only === 'string' ? ctx.flags.only.split(',') : null;
  const wanted = (name: string) => !only || only.includes(name);
  const inputs = images(64);
  const rt = new Runtime();
  const rows: { name: string; concurrency: number; result: BenchResult; stats?: BatchStats }[] = [];
  ctx.record('setup', { concurrency, intraOpThreads: threads, batchWaitTimeoutMs: wait, targetLatencyMs: target, imageShape: ROW });

  const measure = async (name: string, c: number, classify: Classify, stats?: () => Promise<BatchStats>) => {
    const result = await runClosedLoop({
      label: name,
      target: i => classify(inputs[i % inputs.length]!),
      concurrency: c,
      durationMs: ctx.durationMs,
      warmupMs: ctx.quick ? 300 : 1000,
      progress: false,
    });
    const row = { name, concurrency: c, result, stats: stats ? await stats() : undefined };
    rows.push(row);
    const l = result.latencyMs;
    const extra = row.stats ? `  size limit ${row.stats.effectiveMaxBatchSize}, mean batch ${(row.stats.items / row.stats.batches).toFixed(1)}` : '';
    ctx.log(`${name.padEnd(10)} c=${String(c).padEnd(3)} ${result.throughput.toFixed(1).padStart(7)} items/s  p50 ${l.p50.toFixed(1)} ms  p99 ${l.p99.toFixed(1)} ms  errors ${result.errorCount}${extra}`);
  };

  try {
    const solo = await rt.spawn(SoloClassifier, [threads]);
    const check = (await rt.spawn(BatchedClassifier, [threads, { maxBatchSize: 16, batchWaitTimeoutMs: wait }])) as unknown as ActorHandle<Unbatched<BatchedClassifier>>;
    // Same answers either way, before any timing.
    const a = await Promise.all(inputs.slice(0, 16).map(x => solo.classify(x)));
    const b = await Promise.all(inputs.slice(0, 16).map(x => check.classify(x)));
    const worst = Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
    ctx.log(`batched and solo scores agree to ${worst.toExponential(1)} on 16 images`);
    if (worst > 1e-4) throw new Error(`batched and one-by-one results differ by ${worst}`);
    ctx.record('agreement', worst);
    await rt.kill(check);

    if (wanted('solo')) {
      await measure('solo', 1, x => solo.classify(x));
      await measure('solo', concurrency, x => solo.classify(x));
    }
    await rt.kill(solo);

    for (const size of sizes) {
      const name = `batch-${size}`;
      if (!wanted(name)) continue;
      // A fresh actor per measurement, so its batch counters describe that measurement alone.
      for (const c of size === 16 ? [1, concurrency] : [concurrency]) {
        const h = (await rt.spawn(BatchedClassifier, [threads, { maxBatchSize: size, batchWaitTimeoutMs: wait }])) as unknown as ActorHandle<Unbatched<BatchedClassifier>>;
        await measure(name, c, x => h.classify(x), () => h.stats());
        await rt.kill(h);
      }
    }

    if (wanted('auto')) {
      const h = (await rt.spawn(BatchedClassifier, [threads, { maxBatchSize: 'auto', targetLatencyMs: target, batchWaitTimeoutMs: wait, maxAutoBatchSize: 64 }])) as unknown as ActorHandle<Unbatched<BatchedClassifier>>;
      await measure('auto', concurrency, x => h.classify(x), () => h.stats());
      const s = rows[rows.length - 1]!.stats!;
      ctx.log(`auto chose maxBatchSize ${s.effectiveMaxBatchSize} (${s.autoMode}) for a ${target} ms target; run time by size (ms): ` +
        s.curve.filter(p => p.samples >= 5).map(p => `${p.size}:${p.ms.toFixed(1)}`).join(' '));
      await rt.kill(h);
    }
  } finally {
    await rt.shutdown();
  }
  ctx.record('rows', rows.map(r => ({ name: r.name, concurrency: r.concurrency, throughput: r.result.throughput, latencyMs: r.result.latencyMs, errors: r.result.errors, stats: r.stats })));
  const base = rows.find(r => r.name === 'solo' && r.concurrency === concurrency);
  if (base) {
    for (const r of rows) if (r !== base) ctx.log(`${r.name} c=${r.concurrency}: ${(r.result.throughput / base.result.throughput).toFixed(2)}x solo c=${concurrency}`);
  }
}
