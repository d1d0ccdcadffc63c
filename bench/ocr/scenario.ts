// The OCR pipeline side by side, in one run, each server in its own process:
//   baseline   one plain single-process server (node:http, ORT on the event-loop thread, ORT's
//              default of one intra-op thread per core): what a user writes without troupe
//   troupe     examples/ocr/app.ts through `troupe run`: as `npm start` runs it (no environment
//              variables: Detector and Recognizer autoscale), and with fixed replica counts (1+1, 2+2)
//   in-process the pipeline called in this process, no HTTP, at its best recognizer batch (the limit)
// All servers are started first and measured in turn, step by step, so load from neighbours on a
// shared machine falls on all of them alike. Closed loop at a few concurrencies, then open loop
// (Poisson) at the SAME rates for every server (fractions of the baseline's best closed-loop rate),
// so p99 is compared at equal load. The goal's figure is `npm start` (autoscaling) against the baseline.
// An autoscaled server is warmed up longer (AUTOSCALED_WARMUP_MS at the highest concurrency) so that it has
// scaled up before the measured steps; it scales down only after 30 s without load, longer than the gaps
// between its steps at the default --duration (the log says when they are not). Its replica counts, read from
// its admin API, are logged at the start of every step and summed up under the ratios.
//
//   npm run bench -- ocr [--duration=5] [--quick] [--only=baseline,troupe,in-process,raw-ort]
//                        [--replicas=auto,1,2,1+2] [--concurrency=1,4] [--rounds=3] [--rates=0.5,0.9,1.3] [--baseline-threads=2]
//
// Prints a markdown table, writes bench/out/ocr/{results.json,summary.md,latency.svg} and
// bench/results/ocr.md (the table, then bench/ocr/NOTES.md).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatResult, runClosedLoop, runOpenLoop, type BenchResult, type SweepResult } from '../../src/cli/bench/index.ts';
import type { ScenarioContext } from '../lib/scenario-runner.ts';
import { startServerProcess, type RunningServer } from '../lib/server-process.ts';
import { benchImages, type BenchImage } from './images.ts';
import { ceilingOfRatio, measureInProcessPipeline, type InProcessRow } from './in-process.ts';
import { formatRawOrt, measureRawAngleClassifier } from './raw-ort.ts';
import { TROUPE_NODE_FLAGS } from '../lib/troupe-node.ts';
import { headCommit } from '../lib/commit.ts';
import { formatCounts, freePort, ReplicaWatch, type ReplicaChange, type ReplicaCount } from './replica-watch.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

export const description =
  'OCR pipeline: troupe (as npm start runs it, autoscaling; fixed 1 and 2 replicas) vs a plain single-process server vs in-process (limit), same run';

/** Name of the server the goal is read from: examples/ocr/app.ts with no environment variables, as `npm start` runs it. */
export const DEFAULT_TROUPE = 'troupe (npm start: autoscaling)';
/** Warm-up of an autoscaled server: its upscale delay (1 s) and a replica's start (1-2 s) several times over. */
const AUTOSCALED_WARMUP_MS = 10_000;
/** examples/ocr/app.ts scales down after this long without load. */
const DOWNSCALE_DELAY_MS = 30_000;

/** One server at one concurrency over all rounds: replies over the summed windows, p50 median of rounds, p99 worst round. */
export interface ClosedSummary {
  concurrency: number;
  rounds: number;
  ok: number;
  errors: Record<string, number>;
  ms: number;
  throughput: number;
  p50: number;
  p99: number;
}

export interface OcrHttpReport {
  name: string;
  closed: ClosedSummary[];
  /** Every closed-loop round as measured (histograms included). */
  slices: BenchResult[];
  sweep?: SweepResult;
  /** An autoscaled server's replicas (from its admin API): at the start of each measured step, and every change. */
  replicas?: { steps: { step: string; counts?: ReplicaCount[] }[]; timeline: ReplicaChange[]; peaks: Record<string, number> };
}

function summarize(concurrency: number, slices: BenchResult[]): ClosedSummary {
  const ok = slices.reduce((a, r) => a + r.ok, 0);
  const ms = slices.reduce((a, r) => a + r.durationMs, 0);
  const errors: Record<string, number> = {};
  for (const r of slices) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  const p50s = slices.map((r) => r.latencyMs.p50).sort((a, b) => a - b);
  return {
    concurrency,
    rounds: slices.length,
    ok,
    errors,
    ms,
    throughput: (ok * 1000) / ms,
    p50: p50s[Math.floor(p50s.length / 2)] ?? NaN,
    p99: Math.max(...slices.map((r) => r.latencyMs.p99)),
  };
}

const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const list = (v: string | boolean | undefined, fallback: number[]) => (typeof v === 'string' ? v.split(',').map(Number) : fallback);

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** POSTs the bench images in rotation to `${url}/ocr`. */
export function ocrTarget(url: string, images: BenchImage[]) {
  return {
    url: `${url.replace(/\/$/, '')}/ocr`,
    method: 'POST',
    headers: { 'content-type': 'image/png' },
    body: (i: number) => images[i % images.length].bytes,
  };
}

/**
 * Every server measured step by step in turn (closed loop at each concurrency for `rounds` rounds,
 * then open loop at each rate that `rates` picks from the first server's closed-loop results), so
 * load that comes and goes on a shared machine falls on all of them alike instead of on whichever
 * ran last.
 */
export async function measureOcrHttp(
  ctx: ScenarioContext,
  targets: { name: string; url: string; autoscaled?: boolean; watch?: ReplicaWatch }[],
  images: BenchImage[],
  { concurrency, rounds, rates }: { concurrency: number[]; rounds: number; rates: (closed: ClosedSummary[]) => number[] },
): Promise<OcrHttpReport[]> {
  const reports = targets.map((t) => ({
    name: t.name,
    closed: [] as ClosedSummary[],
    slices: [] as BenchResult[],
    points: [] as BenchResult[],
    target: ocrTarget(t.url, images),
    autoscaled: t.autoscaled === true,
    watch: t.watch,
    replicaSteps: [] as { step: string; counts?: ReplicaCount[] }[],
  }));
  // An autoscaled server's replica counts as a step starts, in the log and the report.
  const noteReplicas = async (r: (typeof reports)[number], step: string) => {
    if (!r.watch) return;
    const counts = await r.watch.poll();
    r.replicaSteps.push({ step, counts });
    ctx.log(`${r.name} replicas (${step}): ${formatCounts(counts)}`);
  };
  const peakConcurrency = Math.max(2, ...concurrency);
  for (const r of reports) {
    if (!r.autoscaled) {
      await runClosedLoop({ target: r.target, concurrency: 2, durationMs: Math.min(3000, ctx.durationMs), timeoutMs: 30_000, progress: false });
      continue;
    }
    const warm = await runClosedLoop({ target: r.target, concurrency: peakConcurrency, durationMs: AUTOSCALED_WARMUP_MS, timeoutMs: 30_000, progress: false });
    ctx.log(`${r.name}: warm-up ${AUTOSCALED_WARMUP_MS / 1000} s at c=${peakConcurrency} so that it has scaled up before the measured steps: ${formatResult(warm)}`);
    await noteReplicas(r, 'after warm-up');
  }
  // While the others take their turn an autoscaled server idles; past its downscale delay it shrinks and its next
  // step starts with the ramp back up (measured, not hidden).
  const gapMs = (stepMs: number) => (reports.length - 1) * (stepMs + 300);
  if (reports.some((r) => r.autoscaled) && gapMs(ctx.durationMs) >= DOWNSCALE_DELAY_MS) {
    ctx.log(`note: ${Math.round(gapMs(ctx.durationMs) / 1000)} s between an autoscaled server's closed-loop steps, past its ${DOWNSCALE_DELAY_MS / 1000} s downscale delay: each step includes its scale-up`);
  }
  for (const c of concurrency) {
    const slices = new Map<string, BenchResult[]>(reports.map((r) => [r.name, []]));
    for (let round = 1; round <= rounds; round++) {
      for (const r of reports) {
        await noteReplicas(r, `c=${c} round ${round}`);
        const result = await runClosedLoop({ target: r.target, concurrency: c, durationMs: ctx.durationMs, timeoutMs: 30_000, label: r.name });
        ctx.log(`round ${round}/${rounds}: ${formatResult(result)}`);
        slices.get(r.name)!.push(result);
        r.slices.push(result);
        await pause(300);
      }
    }
    for (const r of reports) r.closed.push(summarize(c, slices.get(r.name)!));
  }
  for (const rate of reports.length ? rates(reports[0].closed) : []) {
    // Long enough for about 8 arrivals (at most 20 s): at 1-2 images/s a 5 s step has too few for a p99.
    const durationMs = Math.min(20_000, Math.max(ctx.durationMs, 8000 / rate));
    if (reports.some((r) => r.autoscaled) && gapMs(durationMs) >= DOWNSCALE_DELAY_MS) {
      ctx.log(`note: ${Math.round(gapMs(durationMs) / 1000)} s between an autoscaled server's steps at ${rate}/s, past its downscale delay: the step includes its scale-up`);
    }
    for (const r of reports) {
      await noteReplicas(r, `Poisson ${rate}/s`);
      const point = await runOpenLoop({ target: r.target, rate, durationMs, timeoutMs: 30_000, label: `${r.name} @${rate}/s` });
      ctx.log(formatResult(point));
      r.points.push(point);
      await pause(300);
    }
  }
  return reports.map((r) => ({
    name: r.name,
    closed: r.closed,
    slices: r.slices,
    sweep: r.points.length ? { label: r.name, target: r.target.url, points: r.points } : undefined,
    ...(r.watch ? { replicas: { steps: r.replicaSteps, timeline: r.watch.timeline, peaks: r.watch.peaks() } } : {}),
  }));
}

interface Server {
  name: string;
  autoscaled?: boolean;
  /** The server's admin API, where it has one the bench reads replica counts from. */
  start(): Promise<RunningServer & { adminUrl?: string }>;
}

function servers(ctx: ScenarioContext): Server[] {
  const list_: Server[] = [];
  for (const threads of list(ctx.flags['baseline-threads'], [availableParallelism()])) {
    list_.push({
      name: `baseline (node:http, ${threads} ORT thread${threads === 1 ? '' : 's'})`,
      start: () => startServerProcess(process.execPath, ['--import', 'tsx', join(here, 'baseline-server.ts'), `--threads=${threads}`], { cwd: root, readyTimeoutMs: 60_000 }),
    });
  }
  // --replicas=auto (no environment variables: what `npm start` runs), 1,2 (as many Detectors as Recognizers)
  // or D+R entries such as 1+2.
  const layouts = typeof ctx.flags.replicas === 'string' ? ctx.flags.replicas.split(',') : ['auto', '1', '2'];
  const troupe = (env: Record<string, string>, adminArgs: string[] = []) =>
    startServerProcess(process.execPath, [...TROUPE_NODE_FLAGS, join(root, 'bin', 'troupe.js'), 'run', 'examples/ocr/app.ts:app', '--port', '0', ...adminArgs], {
      cwd: root,
      readyTimeoutMs: 120_000,
      killAfterMs: 15_000,
      env,
    });
  for (const layout of layouts) {
    if (layout === 'auto') {
      // Empty is unset for the app: a replica count in the bench's own environment must not reach this one.
      // Its admin API on a port of its own, for the replica counts (the others keep the default: whichever is first).
      const start = async () => {
        const port = await freePort();
        const server = await troupe({ OCR_DETECTOR_REPLICAS: '', OCR_RECOGNIZER_REPLICAS: '' }, ['--admin-port', String(port)]);
        return { ...server, adminUrl: `http://127.0.0.1:${port}` };
      };
      list_.push({ name: DEFAULT_TROUPE, autoscaled: true, start });
      continue;
    }
    const [detectors, recognizers = detectors] = layout.split('+').map(Number);
    list_.push({
      name: `troupe (${detectors} Detector + ${recognizers} Recognizer)`,
      start: () => troupe({ OCR_DETECTOR_REPLICAS: String(detectors), OCR_RECOGNIZER_REPLICAS: String(recognizers) }),
    });
  }
  return list_;
}

export async function run(ctx: ScenarioContext): Promise<void> {
  const only = typeof ctx.flags.only === 'string' ? ctx.flags.only.split(',') : null;
  const wanted = (name: string) => (only ? only.some((o) => name.startsWith(o)) : name !== 'raw-ort');
  const concurrency = list(ctx.flags.concurrency, [1, 4]);
  const rounds = list(ctx.flags.rounds, [3])[0];
  const fractions = list(ctx.flags.rates, [0.5, 0.9, 1.3]);
  const images = await benchImages();
  ctx.record('images', images.map((i) => ({ name: i.name, bytes: i.bytes.length, lines: i.lines })));
  const loads: Record<string, string> = { start: load() };

  // All servers up at once (idle ones cost nothing), measured in turn, step by step.
  const running: { name: string; autoscaled?: boolean; server: RunningServer; watch?: ReplicaWatch }[] = [];
  let reports: OcrHttpReport[] = [];
  try {
    for (const server of servers(ctx)) {
      if (!wanted(server.name)) continue;
      ctx.log(`starting ${server.name} (load ${load()})`);
      const started = await server.start();
      running.push({ name: server.name, autoscaled: server.autoscaled, server: started, watch: started.adminUrl ? new ReplicaWatch(started.adminUrl) : undefined });
    }
    loads.measuring = load();
    reports = await measureOcrHttp(ctx, running.map((r) => ({ name: r.name, url: r.server.url, autoscaled: r.autoscaled, watch: r.watch })), images, {
      concurrency,
      rounds,
      // The first server (the baseline unless --only says otherwise) sets the open-loop rates for all.
      rates: (closed) => {
        const peak = Math.max(...closed.map((r) => r.throughput));
        const rates = [...new Set(fractions.map((f) => Math.max(0.2, Math.round(peak * f * 10) / 10)))];
        ctx.log(`open-loop rates for every server: ${rates.join(', ')} req/s (${fractions.join(', ')} x ${peak.toFixed(2)}); load ${load()}`);
        return rates;
      },
    });
    for (const r of reports) ctx.record(r.name, r);
  } finally {
    for (const r of running) r.watch?.stop();
    await Promise.all(running.map((r) => r.server.stop()));
  }

  let inProcess: InProcessRow[] = [];
  if (wanted('in-process')) {
    ctx.log(`== in-process pipeline, no HTTP (load ${load()})`);
    const cores = availableParallelism();
    // Batch 1 on all cores is the baseline's work without HTTP; batch 8, the recognizer's other mode; one
    // thread, alone and one per core side by side, what troupe's replicas run: with the first they give the
    // ceiling of the ratio (ceilingOfRatio).
    const configs = [
      { threads: cores, recognizeBatch: 1 },
      { threads: cores, recognizeBatch: 8 },
      { threads: 1, recognizeBatch: 1 },
      { threads: 1, recognizeBatch: 1, copies: cores },
    ];
    inProcess = await measureInProcessPipeline(images, { configs, seconds: (2 * ctx.durationMs) / 1000, rounds: 2 });
    for (const r of inProcess) ctx.log(`in-process [${inProcessLabel(r)}] ${r.imagesPerSecond.toFixed(2)} images/s`);
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

const inProcessLabel = (r: InProcessRow) =>
  `${r.threads} ORT thread${r.threads === 1 ? '' : 's'}, recognizer batch ${r.recognizeBatch}${r.copies > 1 ? `, ${r.copies} side by side` : ''}`;

const f = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : '–');

export function summaryTables(reports: OcrHttpReport[], inProcess: InProcessRow[], loads: Record<string, string>): string {
  const out: string[] = [];
  const errs = (e: Record<string, number>) => Object.entries(e).map(([k, v]) => `${v} ${k}`).join(', ') || '0';
  out.push('| server | load | ok | images/s | p50 ms | p99 ms | errors |', '|---|---|---:|---:|---:|---:|---:|');
  for (const r of reports) {
    for (const c of r.closed) {
      out.push(`| ${r.name} | c=${c.concurrency} (${c.rounds} rounds) | ${c.ok} | ${f(c.throughput, 2)} | ${f(c.p50)} | ${f(c.p99)} | ${errs(c.errors)} |`);
    }
    for (const p of r.sweep?.points ?? []) {
      out.push(`| ${r.name} | Poisson ${p.offeredRate}/s | ${p.ok} | ${f(p.throughput, 2)} | ${f(p.latencyMs.p50)} | ${f(p.latencyMs.p99)} | ${errs(p.errors)} |`);
    }
  }
  for (const r of inProcess) {
    out.push(`| in-process, no HTTP (${inProcessLabel(r)}) | sequential | ${r.images} | ${f(r.imagesPerSecond, 2)} | ${f(r.msPerImage)} | | 0 |`);
  }
  out.push('', 'Closed loop: images/s over all rounds together, p50 the median of the rounds, p99 the worst round.');
  const peak = (r: OcrHttpReport) => Math.max(...r.closed.map((p) => p.throughput));
  const base = reports.find((r) => r.name.startsWith('baseline'));
  const goal = reports.find((r) => r.name === DEFAULT_TROUPE);
  if (base) {
    out.push('', '| against the baseline | best closed-loop images/s | ratio | p99 at each open-loop rate (baseline p99) |', '|---|---:|---:|---|');
    for (const r of reports) {
      const p99s = (r.sweep?.points ?? []).map((p, i) => {
        const b = base.sweep?.points[i];
        return `${p.offeredRate}/s: ${f(p.latencyMs.p99)}${b && r !== base ? ` (${f(b.latencyMs.p99)})` : ''}`;
      });
      const ratio = `${f(peak(r) / peak(base), 2)}x`;
      out.push(`| ${r.name} | ${f(peak(r), 2)} | ${r === goal ? `**${ratio}**` : ratio} | ${p99s.join('; ')} |`);
    }
    if (goal) {
      out.push(
        '',
        `The goal's figure: \`npm start\` as it ships (no environment variables, Detector and Recognizer autoscaling) ` +
          `${f(peak(goal), 2)} images/s against the single-process server's ${f(peak(base), 2)}: **${f(peak(goal) / peak(base), 2)}x** (goal >= 1.5x).`,
      );
      if (goal.replicas) out.push('', replicaLine(goal.name, goal.replicas));
    }
  }
  const bound = ceilingOfRatio(inProcess, availableParallelism());
  if (bound) {
    const n = bound.all.threads;
    // Measured against the goal's server where it ran, else troupe's best.
    const best = !base ? -Infinity : goal ? peak(goal) / peak(base) : Math.max(...reports.filter((r) => r.name.startsWith('troupe')).map((r) => peak(r) / peak(base)));
    const share = (of: number) => (Number.isFinite(best) ? ` (${goal ? '`npm start`' : "troupe's best"} above: ${f((100 * best) / of)}% of it)` : '');
    out.push(
      '',
      `Ceiling of the ratio in this run, from the in-process rows: ${n} x ${f(bound.one.imagesPerSecond, 2)} images/s on one ORT thread / ` +
        `${f(bound.all.imagesPerSecond, 2)} on ${n} threads = **${f(bound.ceiling, 2)}x** with no serving cost and no slowdown from models ` +
        `running side by side${share(bound.ceiling)}` +
        (bound.sideBySide === undefined
          ? '.'
          : `; ${n} one-thread pipelines actually side by side, still without serving: **${f(bound.sideBySide, 2)}x**${share(bound.sideBySide)}.`),
    );
  }
  out.push('', `Load average (1/5/15 min) when each part started: ${Object.entries(loads).map(([k, v]) => `${k}: ${v}`).join('; ')}.`);
  return out.join('\n') + '\n';
}

/** Most replicas each autoscaled deployment ran, and what it ran after the warm-up and as each measured step started (repeats folded). */
export function replicaLine(name: string, replicas: NonNullable<OcrHttpReport['replicas']>): string {
  const peaks = Object.entries(replicas.peaks).map(([d, n]) => `${d} ${n}`).join(', ') || 'unknown';
  const steps: string[] = [];
  for (const { step, counts } of replicas.steps) {
    const text = formatCounts(counts);
    const label = step.replace(/ round \d+$/, '');
    const last = steps.at(-1);
    if (last?.startsWith(`${label}: `) && last.endsWith(text)) continue;
    steps.push(`${label}: ${text}`);
  }
  return `Replicas of ${name} (from its admin API): at most ${peaks} running; at the start of each step: ${steps.join('; ')}.`;
}

function writeResultsFile(ctx: ScenarioContext, summary: string): void {
  const notes = join(here, 'NOTES.md');
  const text = [
    '# OCR: troupe against a plain single-process server',
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC at commit ${headCommit(root)} on ${availableParallelism()} cores with`,
    `\`npm run bench -- ocr${ctx.durationMs !== 5000 ? ` --duration=${ctx.durationMs / 1000}` : ''}\` (closed-loop steps of ${ctx.durationMs / 1000} s, open-loop`,
    'steps long enough for about 8 arrivals). The load average under the tables says how busy the machine',
    'was: on a shared machine, read the ratios, not the absolute numbers.',
    '',
    summary,
    existsSync(notes) ? readFileSync(notes, 'utf8') : '',
  ].join('\n');
  const path = join(root, 'bench', 'results', 'ocr.md');
  writeFileSync(path, text);
  ctx.log(`wrote ${path}`);
}
