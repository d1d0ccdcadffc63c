// The handle-call benchmark: a no-op call through a DeploymentHandle (router, 1 and 2 replicas) against
// a raw actor call (Runtime.spawn + ActorHandle) to the same kind of no-op, in the same process and run,
// interleaved so that a change in the machine's load hits every side alike.
import { Runtime, type Unbatched } from '../../src/index.ts';
import { ServeController } from '../../src/serve/index.ts';
import { Noop } from '../actor-calls/noop-actor.ts';
import { latency, throughput, type Call, type LatencyResult, type ThroughputResult } from '../actor-calls/measure.ts';
import { NoopDeployment } from './noop-deployment.ts';

export interface SuiteOptions {
  /** Length of each measurement, ms. */
  durationMs: number;
  /** Calls in flight for the throughput measurements. */
  inFlight: number[];
  repeat: number;
  log(line: string): void;
}

export type Target = 'actor' | 'handle-1' | 'handle-2' | 'batch-1';
export const targets: Target[] = ['actor', 'handle-1', 'handle-2', 'batch-1'];

export interface SuiteRound {
  latency: Record<Target, LatencyResult>;
  throughput: Array<Record<Target, ThroughputResult>>;
}

const us = (v: number) => `${v.toFixed(1)} µs`;

// Replicas take up to 1000 calls each and callers queue up to 1000: the benchmark measures the path,
// not the admission limits (with Ray's default of 5 per replica, 256 in flight would mostly wait in the queue).
const limits = { maxOngoingRequests: 1000, maxQueuedRequests: 1000 };

/** A DeploymentResponse is awaited like a promise (the measurements only await what a call returns). */
export const awaitable = (call: () => PromiseLike<unknown>): Call => call as Call;

export async function runSuite(options: SuiteOptions): Promise<SuiteRound[]> {
  const { log } = options;
  const runtime = new Runtime();
  const controller = new ServeController(runtime);
  const rounds: SuiteRound[] = [];
  try {
    const actor = await runtime.spawn(Noop, []);
    const one = await controller.run(NoopDeployment.bind().options({ ...limits, numReplicas: 1 }), { name: 'one' });
    const two = await controller.run(NoopDeployment.bind().options({ ...limits, numReplicas: 2 }), { name: 'two' });
    const batched = controller.getHandle<Unbatched<NoopDeployment>>('one');
    const calls: Record<Target, Call> = {
      actor: () => actor.noop(),
      'handle-1': awaitable(() => one.noop()),
      'handle-2': awaitable(() => two.noop()),
      'batch-1': awaitable(() => batched.batchedNoop(1)),
    };
    for (const t of targets) {
      await throughput(calls[t], 16, Math.min(500, options.durationMs));
      await latency(calls[t], 200);
    }
    for (let r = 1; r <= options.repeat; r++) {
      log(`-- round ${r} of ${options.repeat}`);
      const lat = {} as Record<Target, LatencyResult>;
      for (const t of targets) lat[t] = await latency(calls[t], options.durationMs);
      log(`latency, one call at a time   ${targets.map(t => `${t} p50 ${us(lat[t].p50)} p99 ${us(lat[t].p99)}`).join('   ')}`);
      const round: SuiteRound = { latency: lat, throughput: [] };
      for (const n of options.inFlight) {
        const thr = {} as Record<Target, ThroughputResult>;
        for (const t of targets) thr[t] = await throughput(calls[t], n, options.durationMs);
        round.throughput.push(thr);
        const pct = (t: Target) => `${((thr[t].callsPerSecond / thr.actor.callsPerSecond) * 100).toFixed(0)}%`;
        log(
          `throughput, ${String(n).padStart(3)} in flight   ` +
            targets.map(t => `${t} ${thr[t].callsPerSecond}/s${t === 'actor' ? '' : ` (${pct(t)})`} p50 ${us(thr[t].p50)} p99 ${us(thr[t].p99)}`).join('   '),
        );
      }
      rounds.push(round);
    }
  } finally {
    await controller.shutdown();
    await runtime.shutdown();
  }
  return rounds;
}

/** A markdown table: one row per measurement and round, the handle's share of the actor's throughput. */
export function table(rounds: SuiteRound[]): string {
  const lines = [
    '| round | measurement | actor | handle, 1 replica | handle, 2 replicas | @batch(32) method, 1 replica |',
    '|---|---|---|---|---|---|',
  ];
  rounds.forEach((round, i) => {
    const l = round.latency;
    lines.push(`| ${i + 1} | latency p50 / p99, one at a time | ${targets.map(t => `${us(l[t].p50)} / ${us(l[t].p99)}`).join(' | ')} |`);
    for (const thr of round.throughput) {
      const cell = (t: Target) =>
        `${Math.round(thr[t].callsPerSecond / 100) / 10}k/s` +
        (t === 'actor' ? '' : ` (**${((thr[t].callsPerSecond / thr.actor.callsPerSecond) * 100).toFixed(0)}%**)`) +
        `, p50 ${us(thr[t].p50)} p99 ${us(thr[t].p99)}`;
      lines.push(`| ${i + 1} | ${thr.actor.inFlight} in flight | ${targets.map(cell).join(' | ')} |`);
    }
  });
  return lines.join('\n');
}
