// `npm run bench -- replica-start`: what one no-op replica costs to start, from the compiled package (dist/, plain
// node, a .js app: no TypeScript loader anywhere) and from the sources (tsx in every worker, as before the build),
// against a bare worker_thread measured in the same run. Goal: <= 20 MB RSS and <= 150 ms to ready per replica.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPackage } from '../lib/compiled.ts';
import type { ScenarioContext } from '../lib/scenario-runner.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

export const description = 'ms to ready and RSS of a no-op replica and actor (compiled package, .js app; and from sources) vs a bare worker_thread';

interface Row {
  readyMs: number;
  readyMsAll: number[];
  rssMbPerThread: number;
}
interface Measurement {
  count: number;
  rounds: number;
  bareWorker: Row;
  actor: Row;
  replica: Row;
}

function measure(nodeArgs: string[], count: number, rounds: number): Measurement {
  const out = execFileSync(process.execPath, ['--expose-gc', ...nodeArgs, join(here, 'measure.js'), String(count), String(rounds)], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Measurement;
}

export async function run(ctx: ScenarioContext): Promise<void> {
  // The compiled package is what users run: build it from the sources of this checkout first.
  buildPackage((line) => ctx.log(line));
  const count = ctx.quick ? 4 : 8;
  const rounds = ctx.quick ? 3 : 7;
  const compiled = measure([], count, rounds);
  ctx.record('compiled', compiled);
  const sources = measure(['--conditions=troupe-source', '--import', 'tsx'], count, rounds);
  ctx.record('sources', sources);

  const fmt = (label: string, r: Row, base: Row) =>
    `${label.padEnd(34)} ${r.readyMs.toFixed(0).padStart(6)} ms ${(r.readyMs / base.readyMs).toFixed(1).padStart(6)}x ${r.rssMbPerThread.toFixed(1).padStart(7)} MB ${(r.rssMbPerThread / base.rssMbPerThread).toFixed(1).padStart(6)}x`;
  const lines = [
    `median ms to ready (${rounds} starts after a warm-up) and RSS per thread with ${count} alive; x = ratio to the bare worker_thread of the same process`,
    `${'thread'.padEnd(34)} ${'ready'.padStart(9)} ${'ratio'.padStart(7)} ${'RSS'.padStart(10)} ${'ratio'.padStart(7)}`,
    fmt('bare worker_thread (compiled run)', compiled.bareWorker, compiled.bareWorker),
    fmt('actor, compiled, .js app', compiled.actor, compiled.bareWorker),
    fmt('serve replica, compiled, .js app', compiled.replica, compiled.bareWorker),
    fmt('bare worker_thread (sources run)', sources.bareWorker, sources.bareWorker),
    fmt('actor, sources + tsx', sources.actor, sources.bareWorker),
    fmt('serve replica, sources + tsx', sources.replica, sources.bareWorker),
  ];
  const goal = compiled.replica.rssMbPerThread <= 20 && compiled.replica.readyMs <= 150;
  lines.push(`goal (compiled replica <= 20 MB and <= 150 ms): ${goal ? 'met' : 'missed'} (${compiled.replica.rssMbPerThread.toFixed(1)} MB, ${compiled.replica.readyMs.toFixed(0)} ms)`);
  for (const line of lines) ctx.log(line);
  ctx.record('table', lines.join('\n'));
  ctx.record('goalMet', goal);
}
