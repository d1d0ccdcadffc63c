// `npm run bench -- actor-calls`: the actor-call benchmark under the bench harness (results.json in
// bench/out/actor-calls/). Flags: --duration=SECONDS (each measurement), --repeat=N, --burst=N.
import type { ScenarioContext } from '../lib/scenario-runner.ts';
import { runSuite } from './suite.ts';

export const description = 'no-op actor call vs raw postMessage echo: latency, throughput at 1/16/256 in flight, a 20k burst';

export async function run(ctx: ScenarioContext): Promise<void> {
  const rounds = await runSuite({
    durationMs: ctx.durationMs,
    inFlight: typeof ctx.flags['in-flight'] === 'string' ? ctx.flags['in-flight'].split(',').map(Number) : [1, 16, 256],
    burst: typeof ctx.flags.burst === 'string' ? Number(ctx.flags.burst) : 20_000,
    repeat: typeof ctx.flags.repeat === 'string' ? Number(ctx.flags.repeat) : ctx.quick ? 1 : 3,
    log: line => ctx.log(line),
  });
  ctx.record('rounds', rounds);
}
