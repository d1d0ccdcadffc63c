// Where the served classifier's CPU goes: starts `troupe run bench/batching/http-app.ts:<export>`, loads it
// with wrk (closed loop), and prints the CPU time of every thread of the server process per request, from
// /proc/<pid>/task/*/stat before and after. Contention from other work disturbs this less than throughput.
//
//   node --import tsx bench/batching/thread-cpu.ts [--export=single] [--replicas=2] [--batch=4]
//        [--connections=32] [--seconds=5] [--rounds=2] [--warm-up=20]
//
// Threads are named by what they are, as far as /proc tells: the process's main thread (the HTTP proxy), the
// busiest threads (the replicas, whose model runs on their own thread with one ORT thread), the rest
// (V8's helper threads: concurrent marking and sweeping, and others).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveWrk, parseWrk } from '../lib/wrk.ts';
import { ROW } from './classifier-actors.ts';
import { TROUPE_NODE_FLAGS } from '../lib/troupe-node.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const TICKS_PER_S = 100; // USER_HZ on Linux

/** utime + stime in clock ticks of every thread of `pid`. */
function threadTicks(pid: number): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks.set(Number(tid), Number(fields[11]) + Number(fields[12]));
    } catch {
      // the thread ended between readdir and read
    }
  }
  return ticks;
}

async function main(): Promise<void> {
  if (!haveWrk()) throw new Error('this script needs wrk: apt-get install -y wrk');
  const exportName = arg('export', 'single');
  const connections = Number(arg('connections', '32'));
  const seconds = Number(arg('seconds', '5'));
  const rounds = Number(arg('rounds', '2'));
  const env = { ...process.env, CLS_REPLICAS: arg('replicas', '2'), CLS_MAX_BATCH: arg('batch', '4') };
  const child = spawn(process.execPath, [...TROUPE_NODE_FLAGS, join(root, 'bin', 'troupe.js'), 'run', `bench/batching/http-app.ts:${exportName}`, '--port', '0'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const dir = mkdtempSync(join(tmpdir(), 'troupe-thread-cpu-'));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let seen = '';
      const onData = (b: Buffer) => {
        seen += b;
        const m = /listening (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
        if (m) resolve(m[1]);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`the server exited (code ${code}) before listening`)));
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream.removeAllListeners('data');
      stream.resume(); // access log lines, not read
    }
    const body = join(dir, 'crop.f32');
    const crop = new Float32Array(ROW[0] * ROW[1] * ROW[2]).map((_, i) => Math.sin(i / 97));
    writeFileSync(body, crop);
    const wrk = (s: number) =>
      execFileSync('wrk', ['-t1', `-c${connections}`, `-d${s}s`, '-s', join(here, 'post-body.lua'), `${url}/classify`], { env: { ...process.env, BODY_FILE: body }, encoding: 'utf8' });
    wrk(Number(arg('warm-up', '20'))); // V8 optimizes the request path for ~15 s of load (see http.ts)
    for (let round = 1; round <= rounds; round++) {
      const before = threadTicks(child.pid!);
      const out = wrk(seconds);
      const after = threadTicks(child.pid!);
      const { requests, throughput, errors } = parseWrk(out);
      const rows = [...after]
        .map(([tid, t]) => ({ tid, ms: ((t - (before.get(tid) ?? 0)) * 1000) / TICKS_PER_S }))
        .filter((r) => r.ms > 0)
        .sort((a, b) => b.ms - a.ms);
      const replicas = Number(env.CLS_REPLICAS) + (exportName === 'app' ? 1 : 0);
      const name = (tid: number, i: number) => (tid === child.pid ? 'main thread (proxy)' : i < replicas + 1 ? 'replica' : 'helper');
      const perReq = (ms: number) => ((ms * 1000) / requests).toFixed(0).padStart(6);
      console.log(`round ${round}: ${exportName}, ${env.CLS_REPLICAS} replica(s), wrk c=${connections}: ${throughput.toFixed(0)} req/s, errors ${JSON.stringify(errors)}, load ${loadavg()[0].toFixed(2)}`);
      let rank = 0;
      for (const r of rows) console.log(`  ${String(r.tid).padStart(8)} ${name(r.tid, r.tid === child.pid ? 0 : ++rank).padEnd(20)} ${perReq(r.ms)} µs/request  ${((100 * r.ms) / (seconds * 1000)).toFixed(0)}% of a core`);
      console.log(`  server process in all: ${perReq(rows.reduce((a, r) => a + r.ms, 0))} µs/request`);
    }
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
