// Autoscaling under a step load: low → high → low arrivals (open loop, Poisson) through the HTTP proxy to a
// deployment whose requests each burn ~4 ms of CPU, against an autoscaled deployment (1-2 replicas) and fixed 1
// and fixed 2 replicas; then a rolling update (a redeploy with a new constructor argument) of 2 replicas at
// 70% of their capacity, as they are (a replica reserves 1 of the 2 CPUs, so the new version has no room until
// an old replica goes) and with actorOptions.numCpus 0.5 (room for a new replica beside the old ones). Each
// variant runs in its own server process (server.ts).
//
//   npm run bench -- autoscale [--only=fixed-1,fixed-2,autoscale,rolling-update,rolling-update-surge] [--quick]
//                              [--phases=10,15,15] [--iterations=20000 | --work-ms=MS] [--low=0.3] [--high=1.4]
//                              [--rolling-load=0.7] [--rates=LOW,HIGH,ROLLING]
//                              [--rolling-seconds=20] [--redeploy-at=8]
//                              [--max-replicas=2] [--target-ongoing=1.5] [--upscale-delay-ms=0]
//                              [--downscale-delay-ms=2000] [--max-queued=N] [--sources]
//
// The servers run what users run: troupe compiled (dist/, built first) and server.ts compiled by tsc, plain node;
// --sources runs them from the sources through tsx instead (replicas then start ~3x slower).
//
// Writes bench/out/autoscale/{results.json,summary.md,autoscale.svg,autoscale.png,rolling-update.svg,
// rolling-update.png} (the PNGs through sharp); a full run (no --only, no --quick) also writes bench/results/autoscale.md and the charts
// beside it. bench/README.md says what each figure means.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScenarioContext } from '../lib/scenario-runner.ts';
import { downscales, drainedAt, inFlight, machineCores, replicaEvents, targetChanges, rollingWindow, scaleDown, scaleUp, serverCores, timeSeries, windowStats, type VariantRun } from './analyze.ts';
import { renderTimelineChart } from './chart.ts';
import { renderSummary, type Analysis, type VariantAnalysis } from './report.ts';
import type { ServerConfig } from './protocol.ts';
import { placePhases, type Phase } from './step-load.ts';
import { buildPackage, compileBenchEntry } from '../lib/compiled.ts';
import { compiledLaunch, measureCapacity, runVariant, sourcesLaunch, type VariantSpec } from './variant-process.ts';
import { calibrate, DEFAULT_ITERATIONS, ITERATIONS_PER_MS } from './work.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

export const description = 'autoscaling under a step load (low, high, low) vs fixed 1 and 2 replicas; a rolling update at 70% load';

const VARIANTS = ['fixed-1', 'fixed-2', 'autoscale', 'rolling-update', 'rolling-update-surge'] as const;

const num = (v: string | boolean | undefined, fallback: number) => (typeof v === 'string' && v !== '' ? Number(v) : fallback);

export async function run(ctx: ScenarioContext): Promise<void> {
  const f = ctx.flags;
  const only = typeof f.only === 'string' ? f.only.split(',') : null;
  const unknown = only?.filter((o) => !(VARIANTS as readonly string[]).includes(o)) ?? [];
  if (unknown.length) throw new Error(`--only: no variant ${unknown.join(', ')} (variants: ${VARIANTS.join(', ')})`);
  const wanted = (v: string) => !only || only.includes(v);
  const phaseSeconds = typeof f.phases === 'string' ? f.phases.split(',').map(Number) : ctx.quick ? [4, 6, 6] : [10, 15, 15];
  if (phaseSeconds.length !== 3 || !phaseSeconds.every((s) => s > 0)) throw new Error('--phases takes three durations in seconds (low, high, low)');
  // The work per request is a fixed number of iterations (about 4 ms here), the same in every run; --work-ms
  // calibrates a count on this machine instead (work.ts says why that is less steady than it sounds).
  const iterations = typeof f['work-ms'] === 'string' ? await calibrate(Number(f['work-ms'])) : num(f.iterations, DEFAULT_ITERATIONS);
  const maxReplicas = num(f['max-replicas'], 2);
  const rollingMs = num(f['rolling-seconds'], ctx.quick ? 8 : 20) * 1000;
  const redeployAtMs = num(f['redeploy-at'], ctx.quick ? 3 : 8) * 1000;
  const autoscalingConfig = {
    minReplicas: 1,
    maxReplicas,
    // 1.5, not Ray's default 2: a replica here serves one request at a time, so 2 in flight each is a queue, and
    // under 76% of two replicas' capacity the total read 1.9-2.9, asking for 1 replica in some seconds (a flap in
    // the high phase). Not 1 either: with upscaleDelayMs 0, a pause of ~100 ms in the low phase (30% of one
    // replica) lifted the 1 s average past 1 and added a replica (three runs of four). Ray's guide says to lower
    // the target for a latency-sensitive replica.
    targetOngoingRequests: num(f['target-ongoing'], 1.5),
    upscaleDelayMs: num(f['upscale-delay-ms'], 0),
    downscaleDelayMs: num(f['downscale-delay-ms'], 2000),
    metricsIntervalMs: 100,
    lookBackPeriodMs: 1000,
  };
  const common: Record<string, unknown> = typeof f['max-queued'] === 'string' ? { maxQueuedRequests: Number(f['max-queued']) } : {};
  const server = (options: Record<string, unknown>): ServerConfig => ({ iterations, options: { ...common, ...options }, sampleEveryMs: 100 });
  const fromSources = f.sources === true;
  if (!fromSources) buildPackage((line) => ctx.log(line));
  const launch = fromSources ? sourcesLaunch : compiledLaunch(compileBenchEntry(join(here, 'server.ts'), join(ctx.outDir, 'compiled')));

  // The rates are fractions of what one replica, and maxReplicas replicas, serve on this machine now (a closed
  // loop, each in its own process): the work's real cost here, proxy included, not its nominal 4 ms.
  const nominalMs = iterations / ITERATIONS_PER_MS;
  const capacity: { one: number; all: number; measured: boolean; rounds?: { one: number[]; all: number[] } } = {
    one: 1000 / nominalMs,
    all: (maxReplicas * 1000) / nominalMs,
    measured: false,
  };
  if (typeof f.rates !== 'string') {
    const rounds = ctx.quick ? 2 : 4;
    const one = await measureCapacity(launch, server({ numReplicas: 1 }), 1500, rounds);
    const all = await measureCapacity(launch, server({ numReplicas: maxReplicas }), 1500, rounds);
    if (!one.ok || !all.ok) throw new Error(`could not measure capacity: ${one.ok ? '' : one.error} ${all.ok ? '' : all.error}`);
    Object.assign(capacity, { one: Math.round(one.throughput), all: Math.round(all.throughput), measured: true, rounds: { one: one.rounds, all: all.rounds } });
    const show = (xs: number[]) => xs.map((x) => Math.round(x)).join(', ');
    ctx.log(`capacity (closed loop, 16 clients, best of ${rounds} rounds of 1.5 s): 1 replica ${capacity.one} req/s (${show(one.rounds)}), ` +
      `${maxReplicas} replicas ${capacity.all} req/s (${show(all.rounds)})`);
  }
  const given = typeof f.rates === 'string' ? f.rates.split(',').map(Number) : [];
  const low = given[0] ?? Math.round(num(f.low, 0.3) * capacity.one);
  // 1.4x one replica: more than one can serve, and under what two sustained in an open loop in every run; at the
  // issue's 1.6x, two replicas shed requests in some runs (the proxy's thread takes its share of the 2 cores).
  const high = given[1] ?? Math.round(num(f.high, 1.4) * capacity.one);
  const rollingRate = given[2] ?? Math.round(num(f['rolling-load'], 0.7) * capacity.all);
  if (high > 0.9 * capacity.all) ctx.log(`note: the high rate ${high}/s is over 90% of what ${maxReplicas} replicas served (${capacity.all}/s): they will queue`);

  const phases: Phase[] = [
    { name: 'low', rate: low, durationMs: phaseSeconds[0] * 1000 },
    { name: 'high', rate: high, durationMs: phaseSeconds[1] * 1000 },
    { name: 'low', rate: low, durationMs: phaseSeconds[2] * 1000 },
  ];
  const specs: VariantSpec[] = ([
    { name: 'fixed-1', server: server({ numReplicas: 1 }), phases },
    { name: `fixed-${maxReplicas}`, server: server({ numReplicas: maxReplicas }), phases },
    { name: 'autoscale', server: server({ autoscalingConfig }), phases },
    {
      name: 'rolling-update',
      server: server({ numReplicas: maxReplicas }),
      phases: [{ name: 'steady', rate: rollingRate, durationMs: rollingMs }],
      redeployAtMs,
    },
    {
      name: 'rolling-update-surge',
      server: server({ numReplicas: maxReplicas, actorOptions: { numCpus: 0.5 } }),
      phases: [{ name: 'steady', rate: rollingRate, durationMs: rollingMs }],
      redeployAtMs,
    },
  ] as Array<Omit<VariantSpec, 'launch'>>).filter((_, i) => wanted(VARIANTS[i])).map((s) => ({ ...s, launch }));

  const git = gitState();
  const config = {
    iterations, capacity, phases, rollingRate, rollingMs, redeployAtMs, autoscalingConfig, code: (fromSources ? 'sources' : 'compiled') as 'sources' | 'compiled',
    deploymentOptions: { maxOngoingRequests: 8, ...common }, git, load: { before: loadavg() },
  };
  ctx.record('config', config);
  ctx.log(`work ${iterations} iterations (~${nominalMs.toFixed(1)} ms here); step ${low} → ${high} → ${low}/s; ` +
    `rolling update at ${rollingRate}/s; commit ${git.commit}${git.dirtySrc ? ' (src/ has uncommitted changes)' : ''}`);

  const analyses: Analysis['variants'] = [];
  const runs = new Map<string, VariantRun>();
  for (const spec of specs) {
    ctx.log(`== ${spec.name} (load ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
    const outcome = await runVariant(spec, ctx.log);
    if (!outcome.ok) {
      ctx.log(`  ${spec.name} did not run: ${outcome.error}`);
      analyses.push({ name: spec.name, error: outcome.error });
      continue;
    }
    const a = analyzeVariant(outcome.run, autoscalingConfig.upscaleDelayMs);
    analyses.push(a);
    runs.set(spec.name, outcome.run);
    ctx.log(`  ${spec.name}: ${a.phases.map((p) => `${p.name} p99 ${p.window.p99.toFixed(1)} ms, ${p.window.failed} failed`).join('; ')}`);
  }
  (config.load as Record<string, unknown>).after = loadavg();
  addSettledWindows(analyses, runs);

  const analysis: Analysis = { config, variants: analyses, date: new Date().toISOString(), command: `npm run bench -- autoscale ${process.argv.slice(3).join(' ')}`.trim() };
  ctx.record('variants', analyses);
  const charts = await writeCharts(ctx, analysis);
  const summary = renderSummary(analysis, charts);
  ctx.record('goals', summary.goals);
  writeFileSync(join(ctx.outDir, 'summary.md'), summary.text);
  ctx.log('\n' + summary.text);
  if (!only && !ctx.quick) {
    const notes = existsSync(join(here, 'NOTES.md')) ? '\n' + readFileSync(join(here, 'NOTES.md'), 'utf8') : '';
    const results = join(root, 'bench', 'results');
    const committed = (file: string) => (file.startsWith('autoscale') ? file : `autoscale-${file}`);
    writeFileSync(join(results, 'autoscale.md'), renderSummary(analysis, charts, committed).text + notes);
    for (const file of charts.files) copyFileSync(join(ctx.outDir, file), join(results, committed(file)));
    ctx.log('wrote bench/results/autoscale.md and its charts');
  }
}

function analyzeVariant(run: VariantRun, upscaleDelayMs: number): VariantAnalysis {
  const r = run.records;
  const end = r.phases.at(-1)!.endMs;
  const a: VariantAnalysis = {
    name: run.name,
    phases: r.phases.map((p) => ({
      name: p.name,
      rate: p.rate,
      startMs: p.startMs,
      endMs: p.endMs,
      window: windowStats(r, p.startMs, p.endMs),
      serverCores: serverCores(run.samples, p.startMs, p.endMs),
      machineCores: machineCores(run.machine, p.startMs, p.endMs),
    })),
    whole: windowStats(r, 0, end),
    generator: { cores: run.generatorCpuMs / end, maxLagMs: r.maxLagMs, queued: r.queued },
    series: timeSeries(run),
    events: withRedeploy(replicaEvents(run.samples), run.redeploy),
    firstServed: run.firstServed,
    servedByReplica: run.samples.at(-1)?.served ?? {},
    lastDeployment: run.samples.at(-1)?.deployment ?? null,
    // Replies so far by replica, every 500 ms: how the router spread the load (in results.json only).
    servedOverTime: run.samples.filter((_, i) => i % 5 === 0).map((s) => ({ t: Math.round(s.t), served: s.served })),
  };
  if (run.name === 'autoscale' && r.phases.length >= 3) {
    a.scaleUp = scaleUp(run, r.phases[1].startMs);
    a.scaleDown = scaleDown(run, r.phases[2].startMs, end);
    a.downscales = downscales(run, end);
    a.targetChangesInHigh = targetChanges(run.samples, r.phases[1].startMs, r.phases[1].endMs);
    a.upscaleDelayMs = upscaleDelayMs;
  }
  const roll = rollingWindow(run, end);
  if (run.redeploy && roll) {
    a.redeploy = {
      ...run.redeploy,
      ...roll,
      window: windowStats(r, roll.from, roll.to),
      before: windowStats(r, 0, roll.from),
      after: windowStats(r, roll.to, end),
    };
  }
  return a;
}

/**
 * Every step variant's requests from when the autoscaled deployment had caught up with the high load to the end
 * of the high phase, the same window in each, so "p99 under autoscaling" compares the autoscaled count with fixed
 * ones; the transient before it (bounded by the scale-up goal) is reported apart. Caught up: its new replica
 * had replied and the requests in flight were down to the median that the best fixed count (the most replicas)
 * had in flight during its own high phase.
 */
function addSettledWindows(analyses: Analysis['variants'], runs: Map<string, VariantRun>): void {
  const auto = analyses.find((v): v is VariantAnalysis => v.name === 'autoscale' && !('error' in v));
  const high = auto?.phases.find((p) => p.name === 'high');
  const servedAfter = auto?.scaleUp?.firstServedAfterMs;
  const fixed = [...runs.keys()].filter((n) => n.startsWith('fixed-')).sort((a, b) => Number(b.slice(6)) - Number(a.slice(6)))[0];
  const autoRun = runs.get('autoscale');
  if (!auto || !high || !autoRun || !fixed || servedAfter === null || servedAfter === undefined) return;
  const counts = inFlight(runs.get(fixed)!.records, high.startMs, high.endMs).sort((a, b) => a - b);
  const level = counts[Math.floor(counts.length / 2)] ?? 0;
  const from = drainedAt(autoRun.records, high.startMs + servedAfter, high.endMs, level);
  if (from === null) return;
  for (const v of analyses) {
    const run = runs.get(v.name);
    if ('error' in v || !run || v.redeploy) continue;
    v.settledHigh = { from, to: high.endMs, inFlightLevel: level, window: windowStats(run.records, from, high.endMs) };
  }
}

/** The redeploy and serve.run's return placed among the replica events. */
function withRedeploy(events: Array<{ t: number; event: string }>, d: VariantRun['redeploy']): Array<{ t: number; event: string }> {
  if (!d) return events;
  const more = [{ t: d.sentAt, event: 'redeploy asked for (serve.run with v2 under the same name)' }];
  if (Number.isFinite(d.doneAt)) more.push({ t: d.doneAt, event: `serve.run resolved${d.error ? ` with an error: ${d.error}` : ''}` });
  return [...events, ...more].sort((a, b) => a.t - b.t);
}

async function writeCharts(ctx: ScenarioContext, analysis: Analysis): Promise<{ files: string[]; notes: string[] }> {
  const files: string[] = [];
  const notes: string[] = [];
  const done = analysis.variants.filter((v): v is VariantAnalysis => !('error' in v));
  const step = done.filter((v) => !v.redeploy);
  const rolling = done.filter((v) => v.redeploy);
  const phases = placePhases(analysis.config.phases);
  const charts: Array<{ file: string; svg: string }> = [];
  if (step.length) {
    charts.push({
      file: 'autoscale.svg',
      svg: renderTimelineChart(step.map((v) => ({ label: v.name, points: v.series, showTarget: v.name === 'autoscale' })), {
        title: `Step load ${phases.map((p) => p.rate).join(' → ')} req/s (${analysis.config.iterations} PBKDF2 iterations each): replicas and p99 over time`,
        phases,
      }),
    });
  }
  if (rolling.length) {
    // The first variant's markers (the others' land within a few hundred ms; their events are in the summary).
    const d = rolling[0].redeploy!;
    const markers = [{ t: d.sentAt, label: 'redeploy' }];
    if (Number.isFinite(d.doneAt)) markers.push({ t: d.doneAt, label: `serve.run resolved (${rolling[0].name})` });
    if (d.allNewAfterMs !== null) markers.push({ t: d.sentAt + d.allNewAfterMs, label: `only new replicas (${rolling[0].name})` });
    charts.push({
      file: 'rolling-update.svg',
      svg: renderTimelineChart(rolling.map((v) => ({ label: v.name, points: v.series, showTarget: true })), {
        title: `Rolling update of ${analysis.config.autoscalingConfig.maxReplicas} replicas at ${analysis.config.rollingRate} req/s`,
        phases: placePhases([{ name: 'steady', rate: analysis.config.rollingRate, durationMs: analysis.config.rollingMs }]),
        markers,
      }),
    });
  }
  for (const c of charts) {
    writeFileSync(join(ctx.outDir, c.file), c.svg);
    files.push(c.file);
    const png = c.file.replace(/\.svg$/, '.png');
    try {
      const { default: sharp } = await import('sharp');
      await sharp(Buffer.from(c.svg), { density: 96 }).png().toFile(join(ctx.outDir, png));
      files.push(png);
    } catch (err) {
      notes.push(`${png} skipped: sharp could not render the SVG (${(err as Error).message})`);
    }
  }
  return { files, notes };
}

function gitState(): { commit: string; dirtySrc: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: root, encoding: 'utf8' }).trim() !== '';
    return { commit, dirtySrc: dirty };
  } catch {
    return { commit: 'unknown', dirtySrc: false };
  }
}

