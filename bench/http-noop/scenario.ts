// No-op GET through each server: the cost of the HTTP layer alone, side by side in one run.
// npm run bench -- http-noop [--duration=5] [--rounds=3] [--only=uws-hello,fastapi] [--no-wrk] [--quick]
// Prints a markdown table with the ratios against the goals and writes bench/results/http-noop.md (the table,
// then bench/http-noop/NOTES.md); --only and --quick runs write only bench/out/http-noop/.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runClosedLoop } from '../../src/cli/bench/index.ts';
import { freePort } from '../lib/free-port.ts';
import type { Measurement, ScenarioContext, StartedTarget } from '../lib/scenario-runner.ts';
import { startServerProcess } from '../lib/server-process.ts';
import { haveWrk, runWrk } from '../lib/wrk.ts';
import { TROUPE_NODE_FLAGS } from '../lib/troupe-node.ts';
import { headCommit } from '../lib/commit.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
// Debian's python, where python3-fastapi and python3-uvicorn install (not a pyenv or venv one).
const debianPython = '/usr/bin/python3';

const nodeServer = (file: string, ...args: string[]) => () =>
  startServerProcess(process.execPath, ['--import', 'tsx', join(here, file), ...(args.length ? args : ['0'])], { cwd: root });
// troupe's servers run with the Node flags `troupe run` and `npm start` use (bin/troupe.js says why).
const troupeServer = (file: string, ...args: string[]) => () =>
  startServerProcess(process.execPath, [...TROUPE_NODE_FLAGS, '--import', 'tsx', join(here, file), ...args], { cwd: root });
/** The same server with metrics off in every thread (the cost goal of issue 21 compares it with metrics on). */
const troupeServerNoMetrics = (file: string, ...args: string[]) => () =>
  startServerProcess(process.execPath, [...TROUPE_NODE_FLAGS, '--import', 'tsx', join(here, file), ...args], { cwd: root, env: { TROUPE_METRICS: 'off' } });

function pythonMissing(modules: string, packages: string): () => string | null {
  return () => {
    try {
      execFileSync(debianPython, ['-c', `import ${modules}`], { stdio: 'ignore' });
      return null;
    } catch {
      return `${packages} not installed (apt-get install -y ${packages})`;
    }
  };
}
const fastapiServer = (...args: string[]) => async () =>
  startServerProcess(debianPython, [join(here, 'fastapi_app.py'), String(await freePort()), ...args], { cwd: root });

export const description = 'no-op GET: raw uWS, uWS + worker echo, troupe (serve.run + proxy, 1 and 2 replicas), FastAPI/uvicorn (h11, and uvloop + httptools)';

/**
 * The targets, in the order measured. Each start() returns { url, stop() } for a server on
 * 127.0.0.1, each in its own process so that the load generator never shares its event loop.
 * troupe's server (troupe-server.ts) keeps the default access log on (it is part of every request), except in
 * troupe-1-replica-no-log. FastAPI runs both ways too, so that each troupe row has a like-for-like baseline.
 */
export const measurements: Measurement[] = [
  { name: 'uws-hello', start: nodeServer('uws-hello.ts') },
  { name: 'uws-worker-echo', start: nodeServer('uws-worker-echo.ts') },
  { name: 'troupe-1-replica', start: troupeServer('troupe-server.ts', '1') },
  { name: 'troupe-2-replicas', start: troupeServer('troupe-server.ts', '2') },
  // No deployment options at all (noop-app.ts NoopDefaults): the defaults a new user gets must reach the goal too.
  { name: 'troupe-1-replica-defaults', start: troupeServer('troupe-server.ts', '1', '--defaults') },
  // The same with maxOngoingRequests 5, every deployment's default until 2026-12: the before of the row above.
  { name: 'troupe-1-replica-max-ongoing-5', start: troupeServer('troupe-server.ts', '1', '--max-ongoing-5') },
  // uvicorn below runs with access_log=False: this row is the like-for-like comparison.
  { name: 'troupe-1-replica-no-log', start: troupeServer('troupe-server.ts', '1', '--no-access-log') },
  // Metrics (on by default in every row above) off: what counting each request costs.
  { name: 'troupe-1-replica-metrics-off', start: troupeServerNoMetrics('troupe-server.ts', '1') },
  // Diagnostic: the same proxy (access log on) with a target that answers in the proxy's own thread, no replica:
  // the distance to troupe-1-replica is what the hop to a replica thread and back costs.
  { name: 'troupe-proxy-in-thread', start: troupeServer('proxy-only-server.ts', '0') },
  // The issue's baseline: python3-fastapi + python3-uvicorn, i.e. asyncio and h11, without its access log.
  { name: 'fastapi', skip: pythonMissing('fastapi, uvicorn', 'python3-fastapi python3-uvicorn'), start: fastapiServer() },
  // The same with uvicorn's default logging (an access line per request on stdout): like for like with
  // troupe-1-replica, whose access log is on by default.
  { name: 'fastapi-access-log', skip: pythonMissing('fastapi, uvicorn', 'python3-fastapi python3-uvicorn'), start: fastapiServer('--access-log') },
  // For scale: the same app on uvloop + httptools (what `pip install uvicorn[standard]` runs), when installed.
  { name: 'fastapi-uvloop', skip: pythonMissing('fastapi, uvicorn, uvloop, httptools', 'python3-uvloop python3-httptools'), start: fastapiServer('--uvloop') },
];

/** Load levels: one connection (latency), many (throughput). */
const CONCURRENCY = [1, 64];

interface Row {
  name: string;
  concurrency: number;
  tool: string;
  rps: number[];
  p50: number[];
  p99: number[];
  errors: number;
}

/**
 * All targets run at once and are measured in interleaved rounds (each target once per round), so load from
 * other processes on a shared machine falls on all of them alike; a row is the median of its rounds.
 */
export async function run(ctx: ScenarioContext): Promise<void> {
  const rounds = Number(ctx.flags.rounds ?? (ctx.quick ? 1 : 3));
  const seconds = Math.max(1, Math.round(ctx.durationMs / 1000));
  const only = typeof ctx.flags.only === 'string' ? ctx.flags.only.split(',') : null;
  const useWrk = ctx.flags.wrk !== false && haveWrk();
  if (!useWrk) ctx.log('wrk not found (apt-get install -y wrk): measuring with the troupe bench generator instead');
  const loadBefore = uptime();
  const started: { name: string; target: StartedTarget }[] = [];
  const skipped: string[] = [];
  try {
    for (const m of measurements) {
      if (only && !only.includes(m.name)) continue;
      const why = m.skip?.();
      if (why) {
        ctx.log(`skip ${m.name}: ${why}`);
        skipped.push(`${m.name}: ${why}`);
        continue;
      }
      ctx.log(`start ${m.name}`);
      started.push({ name: m.name, target: await m.start() });
    }
    const rows = new Map<string, Row>();
    for (const { target } of started) {
      // Warm up: JIT, connections, replicas.
      await runClosedLoop({ target: { url: target.url! }, concurrency: 8, durationMs: 1000, progress: false });
    }
    for (let round = 1; round <= rounds; round++) {
      for (const { name, target } of started) {
        for (const c of CONCURRENCY) {
          const key = `${name}@${c}`;
          const row = rows.get(key) ?? { name, concurrency: c, tool: useWrk ? 'wrk -t1' : 'troupe bench', rps: [], p50: [], p99: [], errors: 0 };
          rows.set(key, row);
          if (useWrk) {
            const w = await runWrk(target.url!, { connections: c, durationS: seconds });
            row.rps.push(w.throughput);
            row.p50.push(w.latencyMs.p50);
            row.p99.push(w.latencyMs.p99);
            row.errors += Object.values(w.errors).reduce((a, b) => a + b, 0);
          } else {
            const r = await runClosedLoop({ target: { url: target.url! }, concurrency: c, durationMs: seconds * 1000, progress: false });
            row.rps.push(r.throughput);
            row.p50.push(r.latencyMs.p50);
            row.p99.push(r.latencyMs.p99);
            row.errors += r.errorCount;
          }
          ctx.log(`round ${round} ${name} c=${c}: ${Math.round(row.rps.at(-1)!)} req/s, p50 ${row.p50.at(-1)!.toFixed(3)} ms, p99 ${row.p99.at(-1)!.toFixed(3)} ms`);
        }
      }
    }
    const loadAfter = uptime();
    const table = renderTable([...rows.values()]);
    const ratios = renderRatios([...rows.values()]);
    ctx.record('rows', [...rows.values()]);
    ctx.record('load', { before: loadBefore, after: loadAfter });
    writeFileSync(join(ctx.outDir, 'summary.md'), table + '\n' + ratios);
    ctx.log('\n' + table + '\n' + ratios);
    if (!only && !ctx.quick) writeResults(ctx, { table, ratios, rounds, seconds, loadBefore, loadAfter, skipped, tool: useWrk ? 'wrk' : 'troupe bench' });
  } finally {
    for (const { target } of started) await target.stop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function renderTable(rows: Row[]): string {
  const out = ['| target | load | req/s (median) | req/s (rounds) | p50 ms | p99 ms | errors |', '|---|---|---:|---|---:|---:|---:|'];
  for (const r of rows) {
    out.push(`| ${r.name} | c=${r.concurrency} | ${Math.round(median(r.rps))} | ${r.rps.map((x) => Math.round(x)).join(', ')} | ${median(r.p50).toFixed(3)} | ${median(r.p99).toFixed(3)} | ${r.errors} |`);
  }
  return out.join('\n') + '\n';
}

/** troupe against the goals: >= 50% of raw uWS hello-world, >= 10x FastAPI (req/s at the highest load). */
function renderRatios(rows: Row[]): string {
  const top = Math.max(...CONCURRENCY);
  const rps = (name: string) => {
    const r = rows.find((x) => x.name === name && x.concurrency === top);
    return r ? median(r.rps) : NaN;
  };
  const pct = (t: number, base: number) => (Number.isFinite(t) && Number.isFinite(base) ? `${Math.round((100 * t) / base)}%` : 'n/a');
  const times = (t: number, base: number) => (Number.isFinite(t) && Number.isFinite(base) ? `${(t / base).toFixed(1)}x` : 'n/a');
  const out = [
    `| at c=${top} | vs uws-hello (goal >= 50%) | vs uws-worker-echo | vs fastapi, no log | vs fastapi-access-log | vs fastapi-uvloop, no log |`,
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const name of ['troupe-1-replica', 'troupe-2-replicas', 'troupe-1-replica-defaults', 'troupe-1-replica-max-ongoing-5', 'troupe-1-replica-no-log', 'troupe-1-replica-metrics-off', 'troupe-proxy-in-thread']) {
    const t = rps(name);
    if (!Number.isFinite(t)) continue;
    out.push(`| ${name} | ${pct(t, rps('uws-hello'))} | ${pct(t, rps('uws-worker-echo'))} | ${times(t, rps('fastapi'))} | ${times(t, rps('fastapi-access-log'))} | ${times(t, rps('fastapi-uvloop'))} |`);
  }
  // The 10x goal, like for like: each server with its default access log, and each without one.
  out.push(
    '',
    `Against FastAPI (goal >= 10x), like for like: ${times(rps('troupe-1-replica'), rps('fastapi-access-log'))} with both access logs on ` +
      `(each server's default), ${times(rps('troupe-1-replica-no-log'), rps('fastapi'))} with both off.`,
  );
  // Issue 21: metrics on may cost at most 5% of the rate with them off.
  const on = rps('troupe-1-replica');
  const off = rps('troupe-1-replica-metrics-off');
  if (Number.isFinite(on) && Number.isFinite(off)) {
    out.push('', `Metrics (goal: on costs <= 5% of the rate with them off): troupe-1-replica ${Math.round(on)} req/s against ${Math.round(off)} with TROUPE_METRICS=off: ${on >= off ? 'no measurable cost' : `${((100 * (off - on)) / off).toFixed(1)}% slower`}.`);
  }
  return out.join('\n') + '\n';
}

function uptime(): string {
  return loadavg().map((x) => x.toFixed(2)).join(', ');
}

function writeResults(
  ctx: ScenarioContext,
  r: { table: string; ratios: string; rounds: number; seconds: number; loadBefore: string; loadAfter: string; skipped: string[]; tool: string },
): void {
  const notesFile = join(here, 'NOTES.md');
  const notes = existsSync(notesFile) ? readFileSync(notesFile, 'utf8') : '';
  const text = [
    '# http-noop: a no-op GET through troupe\'s HTTP proxy, against raw uWebSockets.js and FastAPI',
    '',
    '```',
    `npm run bench -- http-noop${ctx.durationMs === 5000 ? '' : ` --duration=${r.seconds}`}${r.rounds === 3 ? '' : ` --rounds=${r.rounds}`}`,
    '```',
    '',
    `Measured ${new Date().toISOString()} at commit ${headCommit(root)} with ${r.tool} (one thread, keep-alive), ${r.rounds} interleaved rounds of ${r.seconds} s per target and load;`,
    `${cpus().length} CPUs, Node ${process.version}; load average (1, 5, 15 min) ${r.loadBefore} before, ${r.loadAfter} after.`,
    'The machine is shared: under load every number is lower than on a quiet machine, the ratios less so.',
    ...r.skipped.map((s) => `Skipped ${s}.`),
    '',
    r.table,
    r.ratios,
    notes,
  ].join('\n');
  writeFileSync(join(root, 'bench', 'results', 'http-noop.md'), text);
  ctx.log(`wrote bench/results/http-noop.md`);
}
