// `npm run bench -- handle-calls`: no-op calls through a DeploymentHandle (router, 1 and 2 replicas; a @batch method)
// against a raw actor call, interleaved in one run. Flags: --duration=SECONDS (each measurement),
// --repeat=N, --in-flight=1,16,256. Prints a markdown table; results.json in bench/out/handle-calls/.
import os from 'node:os';
import type { ScenarioContext } from '../lib/scenario-runner.ts';
import { runSuite, table } from './suite.ts';

export const description = 'no-op DeploymentHandle call (router, 1 and 2 replicas; a @batch method) vs raw actor call: latency, throughput at 1/16/256 in flight';

export async function run(ctx: ScenarioContext): Promise<void> {
  const loadBefore = os.loadavg();
  const rounds = await runSuite({
    durationMs: ctx.durationMs,
    inFlight: typeof ctx.flags['in-flight'] === 'string' ? ctx.flags['in-flight'].split(',').map(Number) : [1, 16, 256],
    repeat: typeof ctx.flags.repeat === 'string' ? Number(ctx.flags.repeat) : ctx.quick ? 1 : 2,
    log: line => ctx.log(line),
  });
  const load = { before: loadBefore, after: os.loadavg() };
  ctx.record('rounds', rounds);
  ctx.record('loadavg', load);
  ctx.log('');
  ctx.log(table(rounds));
  ctx.log(`\nload average (1/5/15 min) before ${load.before.map(v => v.toFixed(2)).join(' ')}, after ${load.after.map(v => v.toFixed(2)).join(' ')}`);
}
