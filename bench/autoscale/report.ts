// summary.md (and bench/results/autoscale.md): the goals with their measured figures first, then the phases
// of every variant, then what the autoscaler and the rolling update did, event by event.
import { cpus } from 'node:os';
import type { Sample, SeriesPoint, ScaleDown, ScaleUp, Window } from './analyze.ts';
import type { DeploymentSnapshot } from './protocol.ts';
import type { Phase } from './step-load.ts';

export interface PhaseAnalysis {
  name: string;
  rate: number;
  startMs: number;
  endMs: number;
  window: Window;
  /** Server process CPU (every thread), in cores. */
  serverCores: number;
  /** The whole machine's busy CPU (every process), in cores. */
  machineCores: number;
}

export interface VariantAnalysis {
  name: string;
  phases: PhaseAnalysis[];
  whole: Window;
  generator: { cores: number; maxLagMs: number; queued: number };
  series: SeriesPoint[];
  events: Array<{ t: number; event: string }>;
  firstServed: Array<{ replica: string; t: number }>;
  servedByReplica: Sample['served'];
  lastDeployment: DeploymentSnapshot | null;
  servedOverTime?: Array<{ t: number; served: Sample['served'] }>;
  scaleUp?: ScaleUp;
  /** The high phase once the autoscaled deployment had settled (scenario.ts addSettledWindows): the same window in every step variant. */
  settledHigh?: { from: number; to: number; inFlightLevel: number; window: Window };
  scaleDown?: ScaleDown;
  /** Every scale-down of the run and the requests due around them. */
  downscales?: { count: number; windows: Array<{ from: number; to: number }>; window: Window };
  /** Target changes during the high phase (a steady load): 1 is a settled autoscaler, more is flapping. */
  targetChangesInHigh?: number;
  upscaleDelayMs?: number;
  redeploy?: {
    sentAt: number;
    startedAt: number;
    doneAt: number;
    error?: string;
    /** The window the goal counts: from the redeploy to 1 s after serve.run resolved and only new replicas run. */
    from: number;
    to: number;
    allNewAfterMs: number | null;
    window: Window;
    before: Window;
    after: Window;
  };
}

export interface Config {
  iterations: number;
  /** Replies/s of 1 and of maxReplicas replicas under a closed loop just before the variants (nominal when not measured). */
  capacity: { one: number; all: number; measured: boolean; rounds?: { one: number[]; all: number[] } };
  phases: Phase[];
  rollingRate: number;
  rollingMs: number;
  redeployAtMs: number;
  autoscalingConfig: Record<string, number> & { maxReplicas: number; upscaleDelayMs: number };
  deploymentOptions: Record<string, unknown>;
  git: { commit: string; dirtySrc: boolean };
  load: { before: number[]; after?: number[] };
  /** What the servers ran: troupe compiled (dist/) with server.ts compiled by tsc, or the sources through tsx. */
  code?: 'compiled' | 'sources';
}

export interface Analysis {
  config: Config;
  variants: Array<VariantAnalysis | { name: string; error: string }>;
  date: string;
  command: string;
}

export interface Goal {
  goal: string;
  measured: string;
  met: boolean | null;
  value?: number;
}

const ms = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const sec = (v: number) => (v / 1000).toFixed(1);
const yes = (met: boolean | null) => (met === null ? 'not measured' : met ? 'yes' : '**no**');
const cores = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const errs = (w: Window) => (w.failed === 0 ? '0' : `${w.failed} (${Object.entries(w.errors).map(([k, n]) => `${k} ${n}`).join(', ')})`);

export function renderSummary(a: Analysis, charts: { files: string[]; notes: string[] }, chartName: (file: string) => string = (f) => f): { text: string; goals: Goal[] } {
  const c = a.config;
  const ok = a.variants.filter((v): v is VariantAnalysis => !('error' in v));
  const failed = a.variants.filter((v): v is { name: string; error: string } => 'error' in v);
  const byName = (n: string) => ok.find((v) => v.name === n);
  const notRun = (n: string) => failed.find((v) => v.name === n);
  const why = (n: string) => (notRun(n) ? `not measured: ${n} did not run (${firstLine(notRun(n)!.error)})` : `not measured: ${n} not in this run`);
  const goals: Goal[] = [];

  // 1. Scale-up time.
  const auto = byName('autoscale');
  if (auto?.scaleUp) {
    const u = auto.scaleUp;
    const d = auto.upscaleDelayMs ?? 0;
    const v = u.firstServedAfterMs === null ? null : u.firstServedAfterMs - d;
    const early = u.replicasAtStep > 1 || u.targetAtStep > 1;
    goals.push({
      goal: 'from the load step to a new replica serving <= 1 s + upscaleDelayMs',
      measured:
        (early
          ? `**not measured**: the deployment had already scaled up before the step (${u.replicasAtStep} replicas listed, target ${u.targetAtStep}; see the events below)`
          : u.firstServedAfterMs === null
          ? 'no new replica replied after the step'
          : `first reply from the new replica (${u.newReplica}, as the proxy saw it) ${ms(u.firstServedAfterMs)} ms after the step; minus upscaleDelayMs ${d}: **${ms(v)} ms**`) +
        `. From serve.status() every 100 ms: target raised after ${ms(u.targetUpAfterMs)} ms, new replica listed after ${ms(u.newReplicaSeenAfterMs)} ms, RUNNING count up after ${ms(u.runningUpAfterMs)} ms`,
      met: early ? null : v === null ? false : v <= 1000,
      value: early ? undefined : v ?? undefined,
    });
  } else goals.push({ goal: 'from the load step to a new replica serving <= 1 s + upscaleDelayMs', measured: why('autoscale'), met: null });

  // 2. p99 against the best fixed count: the fewest failed requests in the window, then the lowest p99 (a count
  // that sheds a third of its requests has a low p99 of the rest, and is not the one to match).
  const fixed = ok.filter((v) => v.name.startsWith('fixed-'));
  const best = (pick: (v: VariantAnalysis) => Window | undefined) => {
    const ws = fixed.map((v) => ({ v, w: pick(v) })).filter((x): x is { v: VariantAnalysis; w: Window } => !!x.w && Number.isFinite(x.w.p99));
    return ws.sort((x, y) => x.w.failed - y.w.failed || x.w.p99 - y.w.p99)[0];
  };
  const high = (v: VariantAnalysis) => v.phases.find((p) => p.name === 'high')?.window;
  const settled = (v: VariantAnalysis) => v.settledHigh?.window;
  if (auto && fixed.length) {
    // Read once the autoscaled deployment has caught up with the load: the scale-up goal above bounds the
    // transient before it (the queue that 1.4x one replica's load builds while a replica starts would hold any
    // p99 of the whole phase), and the transient is reported beside it.
    const bs = best(settled);
    const bh = best(high);
    const bw = best((v) => v.whole);
    const as = settled(auto);
    const ah = high(auto)!;
    const rs = bs && as ? as.p99 / bs.w.p99 : NaN;
    const rh = bh ? ah.p99 / bh.w.p99 : NaN;
    const rw = bw ? auto.whole.p99 / bw.w.p99 : NaN;
    const win = auto.settledHigh;
    goals.push({
      goal: 'p99 under autoscaling within 1.5x of the best fixed replica count',
      measured:
        (win && as && bs
          ? `settled (${sec(win.from)}-${sec(win.to)} s: from when the requests in flight were down to ${win.inFlightLevel}, what ${bs.v.name} had in flight ` +
            `at the median of its high phase, after the new replica's first reply, to the end of the high phase; the same window in every variant): ` +
            `autoscale ${ms(as.p99)} ms (${as.failed} failed of ${as.count}) against ${bs.v.name} ${ms(bs.w.p99)} ms (${bs.w.failed} failed): **${rs.toFixed(2)}x**. `
          : 'settled window: not measured (no scale-up reply in the high phase). ') +
        `With the transient: high phase ${ms(ah.p99)} ms against ${bh?.v.name} ${ms(bh?.w.p99)} ms (${rh.toFixed(2)}x); ` +
        `whole run ${ms(auto.whole.p99)} ms against ${bw?.v.name} ${ms(bw?.w.p99)} ms (${rw.toFixed(2)}x)`,
      met: Number.isFinite(rs) ? rs <= 1.5 : null,
      value: Number.isFinite(rs) ? rs : undefined,
    });
  } else goals.push({ goal: 'p99 under autoscaling within 1.5x of the best fixed replica count', measured: auto ? 'not measured: no fixed variant in this run' : why('autoscale'), met: null });

  // 3a. Failures during scale-down.
  if (auto?.scaleDown) {
    const d = auto.scaleDown;
    const scaled = d.runningDownAfterMs !== null;
    goals.push({
      goal: 'zero failed requests during scale-down',
      measured: scaled
        ? `**${errs(d.during)}** failed of ${d.during.count} requests due from ${sec(d.during.from)} s to ${sec(d.during.to)} s ` +
          `(1 s before the target was lowered, ${ms(d.targetDownAfterMs)} ms after the step down, to 1 s after the stopped replica was gone, ` +
          `${ms(d.goneAfterMs)} ms after it); from the step down to the end of the run: ${errs(d.window)} of ${d.window.count}` +
          (auto.downscales && auto.downscales.count > 1
            ? `. Across all ${auto.downscales.count} scale-downs of the run (±1 s): ${errs(auto.downscales.window)} of ${auto.downscales.window.count}`
            : '')
        : `the deployment **did not scale down** during the run (${errs(d.window)} failed of ${d.window.count} due after the step down)`,
      met: scaled ? d.during.failed === 0 : false,
      value: d.during.failed,
    });
  } else goals.push({ goal: 'zero failed requests during scale-down', measured: why('autoscale'), met: null });

  // 3b. Failures during a rolling update: as configured (each replica reserves one of the CPUs), and with room
  // for a new replica beside the old ones (numCpus 0.5).
  const pct = Math.round((100 * c.rollingRate) / c.capacity.all);
  for (const [name, what] of [
    ['rolling-update', ''],
    ['rolling-update-surge', ' (actorOptions.numCpus 0.5: room for a new replica beside the old ones)'],
  ] as const) {
    const goal = `zero failed requests during a rolling update at ${pct}% load${what}`;
    const roll = byName(name);
    if (!roll?.redeploy) {
      if (name === 'rolling-update' || notRun(name)) goals.push({ goal, measured: why(name), met: null });
      continue;
    }
    const r = roll.redeploy;
    const rolled = r.allNewAfterMs !== null;
    goals.push({
      goal,
      measured:
        `**${errs(r.window)}** failed of ${r.window.count} requests due from the redeploy to 1 s after the update was done ` +
        `(serve.run resolved ${Number.isFinite(r.doneAt) ? `${ms(r.doneAt - r.sentAt)} ms` : 'never'}, only new replicas RUNNING ` +
        `${rolled ? `${ms(r.allNewAfterMs)} ms` : '**never**'} after the redeploy${r.error ? `; serve.run failed: ${r.error}` : ''}); ` +
        `${roll.whole.failed} in the whole run; p99 ${ms(r.window.p99)} ms in that window against ${ms(r.before.p99)} ms before it`,
      met: r.window.failed === 0 && rolled && !r.error,
      value: r.window.failed,
    });
  }

  const lines: string[] = [
    '# autoscale: a step load against an autoscaled deployment and fixed replica counts',
    '',
    '```',
    a.command,
    '```',
    '',
    `Measured ${a.date} at commit ${c.git.commit}${c.git.dirtySrc ? ' (with uncommitted changes under src/)' : ''}; ${cpus().length} CPUs, Node ${process.version}; ` +
      `load average (1, 5, 15 min) ${c.load.before.map((l) => l.toFixed(2)).join(', ')} before, ${c.load.after?.map((l) => l.toFixed(2)).join(', ') ?? '?'} after. ` +
      (c.code === 'sources'
        ? 'The servers ran the sources through tsx (--sources): a replica starts ~3x slower than compiled.'
        : 'The servers ran what users run: troupe compiled (dist/) and the server compiled by tsc, plain node, no TypeScript loader.'),
    `Every request does ${c.iterations} iterations of PBKDF2 (about 4 ms of CPU here; the table gives what a reply cost the server) in a replica; ` +
      (c.capacity.measured
        ? `under a closed loop (16 clients, the best of ${c.capacity.rounds?.one.length ?? '?'} rounds of 1.5 s) just before, 1 replica served ${c.capacity.one} req/s and ` +
          `${c.autoscalingConfig.maxReplicas} served ${c.capacity.all} req/s; the rates below are fractions of those. `
        : `the rates below were given (--rates). `) +
      `Poisson arrivals through the HTTP proxy (open loop, latency from when each was due): ` +
      c.phases.map((p) => `${p.rate}/s for ${p.durationMs / 1000} s`).join(', then ') +
      `. Autoscaled: \`${JSON.stringify(c.autoscalingConfig)}\`. Every deployment: \`${JSON.stringify(c.deploymentOptions)}\`. ` +
      `Rolling update: ${c.autoscalingConfig.maxReplicas} fixed replicas at ${c.rollingRate}/s for ${c.rollingMs / 1000} s, redeployed with a new constructor argument at ${c.redeployAtMs / 1000} s ` +
      '(serve.run under the same name), as they are and with actorOptions.numCpus 0.5 (rolling-update-surge).',
    '',
    '| goal | measured | met? |',
    '|---|---|---|',
    ...goals.map((g) => `| ${g.goal} | ${g.measured} | ${yes(g.met)} |`),
    '',
  ];
  for (const f of failed) lines.push(`**${f.name} did not run:** ${firstLine(f.error)}`, '');
  const disturbed = ok.flatMap((v) =>
    v.phases.map((p) => ({ v: v.name, p: p.name, others: p.machineCores - p.serverCores - v.generator.cores })).filter((x) => x.others > 0.3),
  );
  if (c.capacity.measured && c.capacity.all < 1.7 * c.capacity.one) {
    lines.push(
      `**Disturbed:** ${c.autoscalingConfig.maxReplicas} replicas served only ${(c.capacity.all / c.capacity.one).toFixed(2)}x what one did in the capacity ` +
        'measurement (2 cores should give ~1.9x): the machine was busy or slow then, and the rates derived from it are off.',
      '',
    );
  }
  if (disturbed.length) {
    lines.push(
      `**Disturbed:** other processes took more than 0.3 of the 2 cores in ${disturbed.map((d) => `${d.v} ${d.p} (${d.others.toFixed(2)})`).join(', ')}; ` +
        'those rows measure the neighbours as much as troupe.',
      '',
    );
  }
  if (auto?.targetChangesInHigh !== undefined) {
    const n = auto.targetChangesInHigh;
    lines.push(
      `Autoscaled: the target changed ${n} time${n === 1 ? '' : 's'} during the ${sec((auto.phases[1]?.endMs ?? 0) - (auto.phases[1]?.startMs ?? 0))} s of steady high load` +
        (n > 1 ? ' (**it flapped**: one change, up, is what the load asks for; the events below say when and on what reading)' : '') + '.',
      '',
    );
  }

  lines.push(
    '| variant | phase | offered/s | requests | replies/s | p50 ms | p99 ms | max ms | failed | server CPU, cores (ms/reply) | other processes, cores |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|',
  );
  for (const v of ok) {
    for (const p of v.phases) {
      const w = p.window;
      const others = p.machineCores - p.serverCores - v.generator.cores;
      lines.push(
        `| ${v.name} | ${p.name} ${sec(p.startMs)}-${sec(p.endMs)} s | ${p.rate} | ${w.count} | ${Math.round(w.throughput)} | ${ms(w.p50)} | ${ms(w.p99)} | ${ms(w.max)} | ${errs(w)} | ` +
          `${cores(p.serverCores)} (${w.throughput > 0 ? ((p.serverCores * 1000) / w.throughput).toFixed(1) : 'n/a'}) | ${cores(Math.max(0, others))} |`,
      );
    }
    if (v.settledHigh) {
      const { from, to, window: sw } = v.settledHigh;
      lines.push(`| ${v.name} | high, settled ${sec(from)}-${sec(to)} s | | ${sw.count} | ${Math.round(sw.throughput)} | ${ms(sw.p50)} | ${ms(sw.p99)} | ${ms(sw.max)} | ${errs(sw)} | | |`);
    }
    const w = v.whole;
    lines.push(`| ${v.name} | whole run | | ${w.count} | ${Math.round(w.throughput)} | ${ms(w.p50)} | ${ms(w.p99)} | ${ms(w.max)} | ${errs(w)} | | |`);
  }
  lines.push(
    '',
    'A request counts in the phase in which it was due; "high, settled" is the high phase from when the autoscaled ' +
      "deployment had caught up (its new replica replying and no more requests in flight than the fixed count's median; the same window in every variant); " +
      'p99 is of successful replies; "failed" is every request without a 2xx reply ' +
      '(a status, a closed connection, a 10 s timeout). Server CPU is the server process (proxy and replica threads) over the phase; ' +
      'other processes is what the rest of the machine took meanwhile (/proc/stat less the server and the load generator).',
    `Load generator (this process): ${ok.map((v) => `${v.name} ${v.generator.cores.toFixed(2)} cores, sent at most ${ms(v.generator.maxLagMs)} ms late${v.generator.queued ? `, ${v.generator.queued} waited for a connection` : ''}`).join('; ')}.`,
    '',
  );

  for (const v of ok) {
    if (v.name !== 'autoscale' && !v.redeploy) continue;
    lines.push(`## ${v.name}: replicas over time (serve.status() every 100 ms; t from the start of the load)`, '');
    const shown = v.events.slice(0, 60);
    for (const e of shown) lines.push(`- ${sec(e.t)} s: ${e.event}`);
    if (v.events.length > shown.length) lines.push(`- … ${v.events.length - shown.length} more in results.json`);
    lines.push(`- first reply per replica (proxy): ${v.firstServed.map((f) => `${f.replica} at ${sec(f.t)} s`).join(', ')}`);
    lines.push(`- replies per replica: ${Object.entries(v.servedByReplica).map(([k, n]) => `${k} ${n}`).join(', ')}`, '');
  }

  const svg = charts.files.filter((f) => f.endsWith('.svg'));
  for (const f of svg) {
    const png = f.replace(/\.svg$/, '.png');
    const image = charts.files.includes(png) ? png : f;
    lines.push(`![${f}](${chartName(image)})`, '', `[SVG](${chartName(f)}) (hover a line for its name)${image === png ? '' : '; no PNG'}`, '');
  }
  for (const n of charts.notes) lines.push(`${n}`, '');
  return { text: lines.join('\n'), goals };
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}
