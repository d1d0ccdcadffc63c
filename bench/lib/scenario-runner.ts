// The scenario module interface and the runner of declarative measurements. See bench/README.md.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  formatResult,
  renderLatencyChart,
  runClosedLoop,
  runSweep,
  type BenchResult,
  type LoadTarget,
  type SweepResult,
} from '../../src/cli/bench/index.ts';
import { haveWrk, runWrk, type WrkResult } from './wrk.ts';

/** Something running to be measured: an HTTP URL on 127.0.0.1, or any async function. */
export interface StartedTarget {
  url?: string;
  fn?: (index: number) => Promise<unknown>;
  stop(): Promise<void>;
}

export interface Measurement {
  name: string;
  /** Starts the server (or loads the model) and says where to send load. */
  start(): Promise<StartedTarget>;
  /** Request path, method, headers, body, appended to the started url. Default GET /. */
  request?: { path?: string; method?: string; headers?: Record<string, string>; body?: string };
  /** Skip, with the reason printed, e.g. a missing Debian package. */
  skip?: () => string | null;
}

export interface Plan {
  /** Closed-loop concurrency levels, each measured by our generator and by wrk when installed. */
  concurrency?: number[];
  /** Open-loop sweep, as fractions of the best closed-loop throughput. Empty: no sweep. */
  sweepFractions?: number[];
}

export interface ScenarioContext {
  name: string;
  /** bench/out/<scenario>/, created. */
  outDir: string;
  /** --key=value and --flag from the command line. */
  flags: Record<string, string | boolean>;
  /** Length of each measurement, ms (--duration seconds; --quick makes it short). */
  durationMs: number;
  quick: boolean;
  log(line: string): void;
  /** Adds a named entry to bench/out/<scenario>/results.json. */
  record(key: string, value: unknown): void;
  /** Writes an SVG latency-against-load chart; returns its path. */
  chart(file: string, sweeps: SweepResult[], title: string): string;
  /** Runs a declarative list of measurements (what `export const measurements` gets). */
  measure(measurements: Measurement[], plan?: Plan): Promise<MeasurementReport[]>;
}

/** A scenario module, bench/<name>/scenario.ts. */
export interface ScenarioModule {
  description?: string;
  /** Full control... */
  run?: (ctx: ScenarioContext) => Promise<void>;
  /** ...or a list the runner measures with `plan`. */
  measurements?: Measurement[];
  plan?: Plan;
}

export interface MeasurementReport {
  name: string;
  skipped?: string;
  closed: BenchResult[];
  wrk: WrkResult[];
  sweep?: SweepResult;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runMeasurements(ctx: ScenarioContext, list: Measurement[], plan: Plan = {}): Promise<MeasurementReport[]> {
  const concurrency = plan.concurrency ?? [1, 16, 64];
  const fractions = plan.sweepFractions ?? [0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 1.0];
  const only = typeof ctx.flags.only === 'string' ? ctx.flags.only.split(',') : null;
  const useWrk = ctx.flags.wrk !== false && ctx.flags['no-wrk'] !== true && haveWrk();
  if (!useWrk) ctx.log('wrk not used (not installed, or --no-wrk): `apt-get install -y wrk` to compare with it');
  const reports: MeasurementReport[] = [];
  for (const m of list) {
    if (only && !only.includes(m.name)) continue;
    const why = m.skip?.();
    if (why) {
      ctx.log(`skip ${m.name}: ${why}`);
      reports.push({ name: m.name, skipped: why, closed: [], wrk: [] });
      continue;
    }
    ctx.log(`== ${m.name}`);
    const started = await m.start();
    const report: MeasurementReport = { name: m.name, closed: [], wrk: [] };
    try {
      const req = m.request ?? {};
      const url = started.url ? started.url.replace(/\/$/, '') + (req.path ?? '/') : undefined;
      const target: LoadTarget = url ? { url, method: req.method, headers: req.headers, body: req.body } : started.fn!;
      // Warm the server (JIT, connection setup) before anything is recorded.
      await runClosedLoop({ target, concurrency: 8, durationMs: Math.min(1000, ctx.durationMs / 2), progress: false });
      for (const c of concurrency) {
        const r = await runClosedLoop({ target, concurrency: c, durationMs: ctx.durationMs, label: `${m.name} (troupe bench)` });
        ctx.log(formatResult(r));
        report.closed.push(r);
        if (useWrk && url) {
          await pause(200);
          const w = await runWrk(url, { connections: c, durationS: Math.max(1, Math.round(ctx.durationMs / 1000)) });
          ctx.log(
            `${m.name} (wrk) [c=${c}] ${Math.round(w.throughput)} req/s  p50 ${w.latencyMs.p50.toFixed(2)}  p99 ${w.latencyMs.p99.toFixed(2)} ms` +
              (Object.keys(w.errors).length ? `  errors ${JSON.stringify(w.errors)}` : ''),
          );
          report.wrk.push(w);
        }
        await pause(200);
      }
      const peak = Math.max(0, ...report.closed.map((r) => r.throughput));
      if (fractions.length > 0 && peak > 0) {
        const rates = [...new Set(fractions.map((f) => Math.max(1, Math.round((peak * f) / 10) * 10)))];
        report.sweep = await runSweep({
          target,
          rates,
          durationMs: ctx.durationMs,
          label: m.name,
          pauseMs: 200,
          onStep: (p) => ctx.log(formatResult(p)),
        });
      }
    } finally {
      await started.stop();
    }
    reports.push(report);
    ctx.record(m.name, report);
  }
  const sweeps = reports.flatMap((r) => (r.sweep ? [r.sweep] : []));
  if (sweeps.length) ctx.log(`chart: ${ctx.chart('latency.svg', sweeps, `${ctx.name}: latency against offered load`)}`);
  const table = summaryTable(reports);
  writeFileSync(join(ctx.outDir, 'summary.md'), table);
  ctx.log('\n' + table);
  return reports;
}

/** A markdown table: one row per target, tool and concurrency. */
export function summaryTable(reports: MeasurementReport[]): string {
  const rows = ['| target | tool | load | req/s | p50 ms | p99 ms | errors |', '|---|---|---|---:|---:|---:|---:|'];
  for (const r of reports) {
    if (r.skipped) {
      rows.push(`| ${r.name} | skipped: ${r.skipped} | | | | | |`);
      continue;
    }
    for (const c of r.closed) {
      rows.push(`| ${r.name} | troupe bench | c=${c.concurrency} | ${Math.round(c.throughput)} | ${c.latencyMs.p50.toFixed(3)} | ${c.latencyMs.p99.toFixed(3)} | ${c.errorCount} |`);
    }
    for (const w of r.wrk) {
      const errs = Object.values(w.errors).reduce((a, b) => a + b, 0);
      rows.push(`| ${r.name} | wrk -t${w.threads} | c=${w.connections} | ${Math.round(w.throughput)} | ${w.latencyMs.p50.toFixed(3)} | ${w.latencyMs.p99.toFixed(3)} | ${errs} |`);
    }
  }
  return rows.join('\n') + '\n';
}

export { renderLatencyChart };
