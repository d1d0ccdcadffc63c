// The angle classifier through HTTP with @batch (bench/batching/http-app.ts, served by
// `troupe run` in its own process) against raw ONNX Runtime in this process at its best batch
// size. Raw ORT is measured before and after the HTTP runs and averaged, so load that comes
// and goes on a shared machine falls on both sides. Goal: HTTP >= 90% of raw.
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatResult, runClosedLoop, type BenchResult } from '../../src/cli/bench/index.ts';
import type { ScenarioContext } from '../lib/scenario-runner.ts';
import { startServerProcess } from '../lib/server-process.ts';
import { measureRawAngleClassifier, type RawOrtRow } from '../ocr/raw-ort.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface HttpClassifierReport {
  rawBefore: RawOrtRow[];
  rawAfter: RawOrtRow[];
  rawBest: { threads: number; batchSize: number; itemsPerSecond: number };
  http: BenchResult[];
  maxBatch: number;
  load: { before: string; after: string };
}

const best = (rows: RawOrtRow[]) => rows.reduce((a, b) => (b.itemsPerSecond > a.itemsPerSecond ? b : a));

export async function measureHttpClassifier(ctx: ScenarioContext, inputs: Float32Array[], concurrency: number[], maxBatch: number): Promise<HttpClassifierReport> {
  const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
  const before = load();
  const seconds = Math.min(2, ctx.durationMs / 2000);
  ctx.log(`== raw ORT angle classifier by batch size (load ${before})`);
  const rawBefore = await measureRawAngleClassifier({ batchSizes: [1, 2, 4, 8, 16, 32], threads: [1, 2], secondsPerSize: seconds });
  const top = best(rawBefore);
  ctx.log(`raw best: ${top.itemsPerSecond.toFixed(0)} items/s at batch ${top.batchSize}, ${top.threads} thread(s)`);

  ctx.log(`== HTTP: troupe run bench/batching/http-app.ts:app, @batch maxBatchSize ${maxBatch}`);
  const server = await startServerProcess(process.execPath, [join(root, 'bin', 'troupe.js'), 'run', 'bench/batching/http-app.ts:app', '--port', '0'], {
    cwd: root,
    readyTimeoutMs: 120_000,
    killAfterMs: 15_000,
    env: { CLS_MAX_BATCH: String(maxBatch) },
  });
  const http: BenchResult[] = [];
  try {
    const bodies = inputs.map((x) => Buffer.from(x.buffer, x.byteOffset, x.byteLength));
    const target = { url: `${server.url}/classify`, method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: (i: number) => bodies[i % bodies.length] };
    await runClosedLoop({ target, concurrency: 32, durationMs: 1500, progress: false });
    for (const c of concurrency) {
      const r = await runClosedLoop({ target, concurrency: c, durationMs: ctx.durationMs, label: `http @batch(${maxBatch})` });
      ctx.log(formatResult(r));
      http.push(r);
    }
  } finally {
    await server.stop();
  }

  // The best size again, with the same thread count, to average out drifting load.
  const rawAfter = await measureRawAngleClassifier({ batchSizes: [top.batchSize], threads: [top.threads], secondsPerSize: seconds * 2 });
  const itemsPerSecond = (top.itemsPerSecond + rawAfter[0].itemsPerSecond) / 2;
  ctx.log(`raw at batch ${top.batchSize}: ${top.itemsPerSecond.toFixed(0)} before, ${rawAfter[0].itemsPerSecond.toFixed(0)} after (load ${load()})`);
  return { rawBefore, rawAfter, rawBest: { threads: top.threads, batchSize: top.batchSize, itemsPerSecond }, http, maxBatch, load: { before, after: load() } };
}

export function formatHttpClassifier(r: HttpClassifierReport): string {
  const lines = [
    `| target | clients | items/s | vs raw ORT best (goal >= 90%) | p50 ms | p99 ms | errors |`,
    '|---|---:|---:|---:|---:|---:|---:|',
    `| raw ORT in-process, batch ${r.rawBest.batchSize}, ${r.rawBest.threads} thread(s) (mean of before/after) | – | ${r.rawBest.itemsPerSecond.toFixed(0)} | 100% | | | |`,
  ];
  for (const h of r.http) {
    lines.push(
      `| HTTP, troupe @batch(maxBatchSize ${r.maxBatch}), 1 replica, 1 ORT thread | ${h.concurrency} | ${h.throughput.toFixed(0)} | ${((100 * h.throughput) / r.rawBest.itemsPerSecond).toFixed(0)}% | ${h.latencyMs.p50.toFixed(1)} | ${h.latencyMs.p99.toFixed(1)} | ${h.errorCount} |`,
    );
  }
  lines.push('', `Load average before: ${r.load.before}; after: ${r.load.after}.`);
  return lines.join('\n');
}
