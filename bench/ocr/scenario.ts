// The OCR pipeline side by side, in one run, each server in its own process:
//   baseline   one plain single-process server (node:http, ORT on the event-loop thread, ORT's
//              default of one intra-op thread per core): what a user writes without troupe
//   troupe xN  examples/ocr/app.ts through `troupe run`, N replicas of Detector and Recognizer
//   in-process the pipeline called in this process, no HTTP, at its best recognizer batch (the limit)
// Closed loop at a few concurrencies, then open loop (Poisson) at the SAME rates for every server
// (fractions of the baseline's best closed-loop rate), so p99 is compared at equal load.
//
//   npm run bench -- ocr [--duration=5] [--quick] [--only=baseline,troupe,in-process,raw-ort]
//                        [--replicas=1,2] [--concurrency=1,2,4,8] [--rates=0.5,0.9,1.3] [--baseline-threads=2]
//
// Prints a markdown table, writes bench/out/ocr/{results.json,summary.md,latency.svg} and
// bench/results/ocr.md (the table, then bench/ocr/NOTES.md).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatResult, runClosedLoop, runSweep, type BenchResult, type SweepResult } from '../../src/cli/bench/index.ts';
import type { ScenarioContext } from '../lib/scenario-runner.ts';
import { startServerProcess, type RunningServer } from '../lib/server-process.ts';
import { benchImages, type BenchImage } from './images.ts';
import { measureInProcessPipeline, type InProcessRow } from './in-process.ts';
import { formatRawOrt, measureRawAngleClassifier } from './raw-ort.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

export const description = 'OCR pipeline: troupe (1 and 2 replicas) vs a plain single-process server vs in-process (limit), same run';

export interface OcrHttpReport {
  name: string;
  closed: BenchResult[];
  sweep?: SweepResult;
}

const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const list = (v: string | boolean | undefined, fallback: number[]) => (typeof v === 'string' ? v.split(',').map(Number) : fallback);

/**
 * Closed loop at each concurrency, then open loop at each rate that `rates` picks (it sees the
 * closed-loop results), POSTing the bench images in rotation to `${url}/ocr`.
 */
export async function measureOcrHttp(
  ctx: ScenarioContext,
  name: string,
  url: string,
  images: BenchImage[],
  { concurrency, rates }: { concurrency: number[]; rates: (closed: BenchResult[]) => number[] },
): Promise<OcrHttpReport> {
  const target = {
    url: `${url.replace(/\/$/, '')}/ocr`,
    method: 'POST',
    headers: { 'content-type': 'image/png' },
    body: (i: number) => images[i % images.length].bytes,
  };
  await runClosedLoop({ target, concurrency: 2, durationMs: Math.min(2000, ctx.durationMs / 2), timeoutMs: 30_000, progress: false });
  const report: OcrHttpReport = { name, closed: [] };
  for (const c of concurrency) {
    const r = await runClosedLoop({ target, concurrency: c, durationMs: ctx.durationMs, timeoutMs: 30_000, label: name });
    ctx.log(formatResult(r));
    report.closed.push(r);
  }
  const open = rates(report.closed);
  if (open.length) {
    report.sweep = await runSweep({ target, rates: open, durationMs: ctx.durationMs, timeoutMs: 30_000, label: name, pauseMs: 500, onStep: (p) => ctx.log(formatResult(p)) });
  }
  return report;
}

interface Server {
  name: string;
  start(): Promise<RunningServer>;
}

function servers(ctx: ScenarioContext): Server[] {
  const list_: Server[] = [];
  for (const threads of list(ctx.flags['baseline-threads'], [availableParallelism()])) {
    list_.push({
      name: `baseline (node:http, ${threads} ORT thread${threads === 1 ? '' : 's'})`,
      start: () => startServerProcess(process.execPath, ['--import', 'tsx', join(here, 'baseline-server.ts'), `--threads=${threads}`], { cwd: root, readyTimeoutMs: 60_000 }),
    });
  }
  for (const replicas of list(ctx.flags.replicas, [1, 2])) {
    list_.push({
      name: `troupe (${replicas} Detector + ${replicas} Recognizer)`,
      start: () =>
        startServerProcess(process.execPath, [join(root, 'bin', 'troupe.js'), 'run', 'examples/ocr/app.ts:app', '--port', '0'], {
          cwd: root,
          readyTimeoutMs: 120_000,
          killAfterMs: 15_000,
          env: { OCR_DETECTOR_REPLICAS: String(replicas), OCR_RECOGNIZER_REPLICAS: String(replicas) },
        }),
    });
  }
  return list_;
}

export async function run(ctx: ScenarioContext): Promise<void> {
  const only = typeof ctx.flags.only === 'string' ? ctx.flags.only.split(',') : null;
  const wanted = (name: string) => (only ? only.some((o) => name.startsWith(o)) : name !== 'raw-ort');
  const concurrency = list(ctx.flags.concurrency, [1, 2, 4, 8]);
  const fractions = list(ctx.flags.rates, [0.5, 0.9, 1.3]);
  const images = await benchImages();
  ctx.record('images', images.map((i) => ({ name: i.name, bytes: i.bytes.length, lines: i.lines })));
  const loads: Record<string, string> = { start: load() };

  const reports: OcrHttpReport[] = [];
  let rates: number[] | undefined;
  for (const server of servers(ctx)) {
    if (!wanted(server.name)) continue;
    ctx.log(`== ${server.name} (load ${load()})`);
    loads[server.name] = load();
    const running = await server.start();
    try {
      const report = await measureOcrHttp(ctx, server.name, running.url, images, {
        concurrency,
        // The first server measured (the baseline unless --only says otherwise) sets the open-loop rates for all.
        rates: (closed) => {
          if (rates) return rates;
          const peak = Math.max(...closed.map((r) => r.throughput));
          rates = [...new Set(fractions.map((f) => Math.max(0.2, Math.round(peak * f * 10) / 10)))];
          ctx.log(`open-loop rates for every server: ${rates.join(', ')} req/s (${fractions.join(', ')} x ${peak.toFixed(2)})`);
          return rates;
        },
      });
      ctx.record(server.name, report);
      reports.push(report);
    } finally {
      await running.stop();
    }
  }

  let inProcess: InProcessRow[] = [];
  if (wanted('in-process')) {
    ctx.log(`== in-process pipeline, no HTTP (load ${load()})`);
    inProcess = await measureInProcessPipeline(images, { threads: availableParallelism(), seconds: ctx.durationMs / 1000 });
    for (const r of inProcess) ctx.log(`in-process [${r.threads} ORT threads, recognizer batch ${r.recognizeBatch}] ${r.imagesPerSecond.toFixed(2)} images/s`);
    ctx.record('in-process', inProcess);
  }
  if (wanted('raw-ort')) {
    ctx.log('== raw-ort: angle classifier, in-process, by batch size');
    const rows = await measureRawAngleClassifier({ secondsPerSize: Math.min(3, ctx.durationMs / 2000) });
    ctx.log(formatRawOrt(rows));
    ctx.record('raw-ort-angle', rows);
  }
  loads.end = load();
  ctx.record('loadavg', loads);

  const sweeps = reports.flatMap((r) => (r.sweep ? [r.sweep] : []));
  if (sweeps.length) ctx.log(`chart: ${ctx.chart('latency.svg', sweeps, 'OCR: latency against offered load')}`);
  const summary = summaryTables(reports, inProcess, loads);
  writeFileSync(join(ctx.outDir, 'summary.md'), summary);
  ctx.log('\n' + summary);
  if (ctx.flags['write-results'] !== false && !only) writeResultsFile(ctx, summary);
}

const f = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : '–');

export function summaryTables(reports: OcrHttpReport[], inProcess: InProcessRow[], loads: Record<string, string>): string {
  const out: string[] = [];
  out.push('| server | load | ok | images/s | p50 ms | p99 ms | errors |', '|---|---|---:|---:|---:|---:|---:|');
  for (const r of reports) {
    const rows = [...r.closed, ...(r.sweep?.points ?? [])];
    for (const p of rows) {
      const errs = p.errorCount ? Object.entries(p.errors).map(([k, v]) => `${v} ${k}`).join(', ') : '0';
      const at = p.mode === 'closed' ? `c=${p.concurrency}` : `Poisson ${p.offeredRate}/s`;
      out.push(`| ${r.name} | ${at} | ${p.ok} | ${f(p.throughput, 2)} | ${f(p.latencyMs.p50)} | ${f(p.latencyMs.p99)} | ${errs} |`);
    }
  }
  for (const r of inProcess) {
    out.push(`| in-process, no HTTP (${r.threads} ORT threads, recognizer batch ${r.recognizeBatch}) | sequential | ${r.images} | ${f(r.imagesPerSecond, 2)} | ${f(r.msPerImage)} | | 0 |`);
  }
  const peak = (r: OcrHttpReport) => Math.max(...r.closed.map((p) => p.throughput));
  const base = reports.find((r) => r.name.startsWith('baseline'));
  if (base) {
    out.push('', '| against the baseline | best closed-loop images/s | ratio (goal >= 1.5) | p99 at each open-loop rate (baseline p99) |', '|---|---:|---:|---|');
    for (const r of reports) {
      const p99s = (r.sweep?.points ?? []).map((p, i) => {
        const b = base.sweep?.points[i];
        return `${p.offeredRate}/s: ${f(p.latencyMs.p99)}${b && r !== base ? ` (${f(b.latencyMs.p99)})` : ''}`;
      });
      out.push(`| ${r.name} | ${f(peak(r), 2)} | ${f(peak(r) / peak(base), 2)}x | ${p99s.join('; ')} |`);
    }
  }
  out.push('', `Load average (1/5/15 min) when each part started: ${Object.entries(loads).map(([k, v]) => `${k}: ${v}`).join('; ')}.`);
  return out.join('\n') + '\n';
}

function writeResultsFile(ctx: ScenarioContext, summary: string): void {
  const notes = join(here, 'NOTES.md');
  const text = [
    '# OCR: troupe against a plain single-process server',
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${availableParallelism()} cores with`,
    `\`npm run bench -- ocr${ctx.durationMs !== 5000 ? ` --duration=${ctx.durationMs / 1000}` : ''}\` (each closed-loop step and open-loop rate ${ctx.durationMs / 1000} s).`,
    '',
    summary,
    existsSync(notes) ? readFileSync(notes, 'utf8') : '',
  ].join('\n');
  const path = join(root, 'bench', 'results', 'ocr.md');
  writeFileSync(path, text);
  ctx.log(`wrote ${path}`);
}
