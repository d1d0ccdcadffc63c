// Runs one variant: forks server.ts (serve + the Busy deployment, its own process), puts the step load on it
// through the HTTP proxy, and collects what both sides saw. A server that cannot deploy (an option the
// controller does not know yet) ends the variant with its error instead of the whole bench.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runClosedLoop } from '../../src/cli/bench/index.ts';
import { TROUPE_NODE_FLAGS } from '../lib/troupe-node.ts';
import type { Sample, VariantRun } from './analyze.ts';
import { now, type ControlMessage, type ServerConfig, type ServerMessage } from './protocol.ts';
import { runStepLoad, type Phase, type StepProgress } from './step-load.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

/** How to start server.ts: compiled (plain node, troupe from dist/) or from the sources through tsx. */
export interface ServerLaunch {
  script: string;
  execArgv: string[];
}

/** server.ts from the sources: tsx in the main thread and every replica, troupe from src/. */
export const sourcesLaunch: ServerLaunch = {
  script: join(here, 'server.ts'),
  execArgv: [...TROUPE_NODE_FLAGS, '--conditions=troupe-source', '--import', 'tsx'],
};

/** server.ts compiled by tsc (compileBenchEntry), troupe from dist/: what a user runs. */
export const compiledLaunch = (script: string): ServerLaunch => ({ script, execArgv: [...TROUPE_NODE_FLAGS] });

export interface VariantSpec {
  name: string;
  launch: ServerLaunch;
  server: ServerConfig;
  phases: Phase[];
  /** ms after the load starts at which to redeploy with a new constructor argument (a rolling update). */
  redeployAtMs?: number;
  seed?: number;
}

export type VariantOutcome = { ok: true; run: VariantRun } | { ok: false; name: string; error: string };

interface ForkedServer {
  child: ChildProcess;
  exited: Promise<unknown>;
  /** The ready (or failed) message; rejects when the process exits first or says nothing for 90 s. */
  ready: Promise<Extract<ServerMessage, { type: 'ready' | 'failed' }>>;
  /** The last 4 kB the server printed. */
  output(): string;
}

function forkServer(launch: ServerLaunch, config: ServerConfig): ForkedServer {
  const child = fork(launch.script, [JSON.stringify(config)], {
    cwd: root,
    execArgv: launch.execArgv,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = once(child, 'exit');
  const ready = new Promise<Extract<ServerMessage, { type: 'ready' | 'failed' }>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server.ts sent no ready message within 90 s')), 90_000);
    child.on('message', (m: ServerMessage) => {
      if (m.type === 'ready' || m.type === 'failed') {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server.ts exited before it was ready (code ${code}, signal ${signal})`));
    });
  });
  ready.catch(() => {}); // read by the caller; never an unhandled rejection
  return { child, exited, ready, output: () => output };
}

const failure = (m: Extract<ServerMessage, { type: 'failed' }>) => `serve.${m.stage} failed: ${m.code ? `${m.code}: ` : ''}${m.message}`;

/**
 * Replies per second of a deployment with these options under a closed loop (16 clients, more than its replicas
 * take at once, so it is never idle): what "one replica's capacity" means on this machine. The best of `rounds`
 * rounds, since other processes on a shared machine only ever lower it.
 */
export async function measureCapacity(
  launch: ServerLaunch,
  config: ServerConfig,
  roundMs: number,
  rounds: number,
): Promise<{ ok: true; throughput: number; rounds: number[] } | { ok: false; error: string }> {
  const server = forkServer(launch, config);
  try {
    const ready = await server.ready;
    if (ready.type === 'failed') return { ok: false, error: failure(ready) };
    const target = { url: `http://127.0.0.1:${ready.port}/` };
    await runClosedLoop({ target, concurrency: 16, durationMs: 1000, progress: false });
    const all: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const r = await runClosedLoop({ target, concurrency: 16, durationMs: roundMs, progress: false });
      if (r.errorCount > 0) return { ok: false, error: `${r.errorCount} requests failed (${JSON.stringify(r.errors)})` };
      all.push(r.throughput);
    }
    return { ok: true, throughput: Math.max(...all), rounds: all };
  } catch (err) {
    return { ok: false, error: `${(err as Error).message}\n${server.output()}` };
  } finally {
    await stopChild(server.child, server.exited);
  }
}

export async function runVariant(spec: VariantSpec, log: (line: string) => void): Promise<VariantOutcome> {
  const server = forkServer(spec.launch, spec.server);
  const { child, exited } = server;
  const samples: Array<Sample & { at: number }> = [];
  const firstServed: Array<{ replica: string; at: number }> = [];
  let redeployed: Extract<ServerMessage, { type: 'redeployed' }> | undefined;
  let latest: Extract<ServerMessage, { type: 'sample' }> | undefined;
  child.on('message', (m: ServerMessage) => {
    if (m.type === 'sample') {
      latest = m;
      samples.push({ ...m, t: 0 });
    } else if (m.type === 'first-served') firstServed.push({ replica: m.replica, at: m.at });
    else if (m.type === 'redeployed') {
      redeployed = m;
      log(`  redeploy ${m.version}: serve.run resolved after ${Math.round(m.at - m.startedAt)} ms${m.error ? `, failed: ${m.error}` : ''}`);
    }
  });

  try {
    const ready = await server.ready;
    if (ready.type === 'failed') return { ok: false, name: spec.name, error: failure(ready) };

    const url = `http://127.0.0.1:${ready.port}/`;
    log(`  server ready at ${url}; load: ${spec.phases.map((p) => `${p.name} ${p.rate}/s for ${p.durationMs / 1000} s`).join(', ')}`);
    const cpu0 = process.cpuUsage();
    let redeploySentAt: number | undefined;
    let redeployTimer: NodeJS.Timeout | undefined;
    const loadStart = now();
    if (spec.redeployAtMs !== undefined) {
      redeployTimer = setTimeout(() => {
        redeploySentAt = now();
        log(`  redeploying (v2) at ${((redeploySentAt - loadStart) / 1000).toFixed(1)} s`);
        child.send({ type: 'redeploy', version: 'v2' } satisfies ControlMessage);
      }, spec.redeployAtMs);
    }
    // The whole machine's busy CPU time, twice a second: what other processes took shows beside the server's.
    const machine: Array<{ at: number; busyMs: number }> = [];
    const readMachine = () => {
      const busy = machineBusyMs();
      if (busy !== null) machine.push({ at: now(), busyMs: busy });
    };
    readMachine();
    const machineTimer = setInterval(readMachine, 500);
    const records = await runStepLoad({
      target: { url },
      phases: spec.phases,
      seed: spec.seed,
      onSecond: (p: StepProgress) => log(progressLine(p, latest)),
    });
    clearTimeout(redeployTimer);
    clearInterval(machineTimer);
    readMachine();
    const cpu = process.cpuUsage(cpu0);
    // Let a redeploy still in progress finish (so the run says how long it took), within reason.
    for (let i = 0; i < 100 && redeploySentAt !== undefined && !redeployed; i++) await new Promise((r) => setTimeout(r, 100));
    const rel = (at: number) => at - records.startedAt;
    const run: VariantRun = {
      name: spec.name,
      records,
      samples: samples.map((s) => ({ t: rel(s.at), cpuMs: s.cpuMs, deployment: s.deployment, served: s.served, serverErrors: s.serverErrors })),
      firstServed: firstServed.map((f) => ({ replica: f.replica, t: rel(f.at) })),
      generatorCpuMs: (cpu.user + cpu.system) / 1000,
      machine: machine.map((m) => ({ t: rel(m.at), busyMs: m.busyMs })),
    };
    if (redeploySentAt !== undefined) {
      run.redeploy = {
        sentAt: rel(redeploySentAt),
        startedAt: redeployed ? rel(redeployed.startedAt) : NaN,
        doneAt: redeployed ? rel(redeployed.at) : NaN,
        error: redeployed ? redeployed.error : 'serve.run had not resolved 10 s after the load ended',
      };
    }
    return { ok: true, run };
  } catch (err) {
    return { ok: false, name: spec.name, error: `${(err as Error).message}\n${server.output()}` };
  } finally {
    await stopChild(child, exited);
  }
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (child.connected) child.send({ type: 'stop' } satisfies ControlMessage);
  else child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
  await exited;
  clearTimeout(timer);
}

function progressLine(p: StepProgress, s: Extract<ServerMessage, { type: 'sample' }> | undefined): string {
  const d = s?.deployment;
  const running = d?.replicas.filter((r) => r.state === 'RUNNING').length ?? 0;
  const others = d?.replicas.filter((r) => r.state !== 'RUNNING').map((r) => r.state.toLowerCase()) ?? [];
  return (
    `  ${(p.t / 1000).toFixed(0).padStart(3)} s ${p.phase.padEnd(5)} sent ${p.sent} ok ${p.ok} failed ${p.failed} in flight ${p.inFlight}; ` +
    `replicas running ${running}${others.length ? ` (+${others.join(', ')})` : ''}, target ${d?.targetReplicas ?? '?'}`
  );
}

/** Busy CPU time of every core since boot, ms, from /proc/stat (null where there is none). */
function machineBusyMs(): number | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: all but idle and iowait, in 1/100 s.
    const busy = fields.slice(0, 8).reduce((a, v, i) => (i === 3 || i === 4 ? a : a + v), 0);
    return busy * 10;
  } catch {
    return null;
  }
}
