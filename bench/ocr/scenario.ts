// OCR baselines: the pipeline as one plain single-process HTTP server (the baseline
// to beat) and the angle classifier on raw ONNX Runtime across batch sizes (the
// limit for batching). The troupe-served pipeline joins as more HTTP targets
// through `measureOcrHttp`, in the same run.
//
//   npm run bench -- ocr [--duration=5] [--quick] [--only=raw-ort,baseline] [--baseline-threads=1,2]
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { formatResult, runClosedLoop, runSweep, type BenchResult, type SweepResult } from '../../src/cli/bench/index.ts';
import type { ScenarioContext } from '../lib/scenario-runner.ts';
import { startServerProcess } from '../lib/server-process.ts';
import { benchImages, type BenchImage } from './images.ts';
import { formatRawOrt, measureRawAngleClassifier } from './raw-ort.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

export const description = 'OCR pipeline: plain single-process server (baseline) and raw ORT angle classifier by batch size (limit)';

export interface OcrHttpReport {
  name: string;
  closed: BenchResult[];
  sweep?: SweepResult;
}

/**
 * Closed loop at each concurrency, then an open-loop (Poisson) sweep at fractions of the best
 * closed-loop rate, POSTing the bench images in rotation to `${url}/ocr`.
 */
export async function measureOcrHttp(
  ctx: ScenarioContext,
  name: string,
  url: string,
  images: BenchImage[],
  { concurrency = [1, 2, 4, 8], fractions = [0.25, 0.5, 0.75, 0.9, 1.0] }: { concurrency?: number[]; fractions?: number[] } = {},
): Promise<OcrHttpReport> {
  const target = {
    url: `${url.replace(/\/$/, '')}/ocr`,
    method: 'POST',
    headers: { 'content-type': 'image/png' },
    body: (i: number) => images[i % images.length].bytes,
  };
  await runClosedLoop({ target, concurrency: 2, durationMs: Math.min(2000, ctx.durationMs / 2), progress: false });
  const report: OcrHttpReport = { name, closed: [] };
  for (const c of concurrency) {
    const r = await runClosedLoop({ target, concurrency: c, durationMs: ctx.durationMs, timeoutMs: 30_000, label: name });
    ctx.log(formatResult(r));
    report.closed.push(r);
  }
  const peak = Math.max(0, ...report.closed.map((r) => r.throughput));
  if (peak > 0 && fractions.length > 0) {
    const rates = [...new Set(fractions.map((f) => Math.max(0.5, Math.round(peak * f * 10) / 10)))];
    report.sweep = await runSweep({ target, rates, durationMs: ctx.durationMs, timeoutMs: 30_000, label: name, pauseMs: 200, onStep: (p) => ctx.log(formatResult(p)) });
  }
  return report;
}

export async function run(ctx: ScenarioContext): Promise<void> {
  const only = typeof ctx.flags.only === 'string' ? ctx.flags.only.split(',') : null;
  const wanted = (name: string) => !only || only.some((o) => name.startsWith(o));
  const images = await benchImages();
  ctx.record('images', images.map((i) => ({ name: i.name, bytes: i.bytes.length, lines: i.lines })));

  if (wanted('raw-ort')) {
    ctx.log('== raw-ort: angle classifier, in-process, by batch size');
    const rows = await measureRawAngleClassifier({ secondsPerSize: ctx.quick ? 0.3 : Math.min(3, ctx.durationMs / 2000) });
    ctx.log(formatRawOrt(rows));
    const best = rows.reduce((a, b) => (b.itemsPerSecond > a.itemsPerSecond ? b : a));
    ctx.log(`raw-ort best: ${Math.round(best.itemsPerSecond)} items/s at batch ${best.batchSize} with ${best.threads} thread(s)`);
    ctx.record('raw-ort-angle', { rows, best });
  }

  const threadList =
    typeof ctx.flags['baseline-threads'] === 'string' ? ctx.flags['baseline-threads'].split(',').map(Number) : [availableParallelism()];
  const sweeps: SweepResult[] = [];
  for (const threads of threadList) {
    const name = `baseline (node:http, ${threads} ORT thread${threads === 1 ? '' : 's'})`;
    if (!wanted('baseline')) continue;
    ctx.log(`== ${name}`);
    const server = await startServerProcess(process.execPath, ['--import', 'tsx', join(here, 'baseline-server.ts'), `--threads=${threads}`], {
      cwd: root,
      readyTimeoutMs: 60_000,
    });
    try {
      const report = await measureOcrHttp(ctx, name, server.url, images);
      ctx.record(name, report);
      if (report.sweep) sweeps.push(report.sweep);
    } finally {
      await server.stop();
    }
  }
  if (sweeps.length) ctx.log(`chart: ${ctx.chart('latency.svg', sweeps, 'OCR: latency against offered load')}`);
}
