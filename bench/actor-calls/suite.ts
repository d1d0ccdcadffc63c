// The actor-call benchmark: a no-op actor call through the runtime against a raw postMessage echo
// worker, measured in the same process and run, interleaved so that a change in the machine's load
// hits both sides alike.
import { Runtime } from '../../src/index.ts';
import { burst, latency, throughput, type LatencyResult, type ThroughputResult } from './measure.ts';
import { Driver, Noop } from './noop-actor.ts';
import { startRawEcho } from './raw-echo.ts';

export interface SuiteOptions {
  /** Length of each latency and throughput measurement, ms. */
  durationMs: number;
  /** Calls in flight for the throughput measurements. */
  inFlight: number[];
  /** Size of the all-at-once burst (0: none). */
  burst: number;
  /** How many times the whole set is repeated, to show the spread. */
  repeat: number;
  /** Also measure a call that echoes a small object (default true). */
  objectEcho?: boolean;
  log(line: string): void;
}

export interface SuiteRound {
  latency: { raw: LatencyResult; actor: LatencyResult };
  throughput: Array<{ raw: ThroughputResult; actor: ThroughputResult; ratio: number }>;
  burst?: { raw: number; actor: number; ratio: number };
  /** The same, echoing a small object (msgpackr's path instead of the compact frame). */
  /** One actor calling another from its worker thread (the main thread only starts it). */
  actorToActor?: ThroughputResult[];
  object?: { latency: { raw: LatencyResult; actor: LatencyResult }; throughput: { raw: ThroughputResult; actor: ThroughputResult; ratio: number } };
}

/** A small object argument: it takes msgpackr's path, where a no-op call takes the compact frame. */
const smallObject = { id: 12345, label: 'cat', scores: [0.1, 0.7, 0.2] };

const us = (v: number) => `${v.toFixed(1)} µs`;

export async function runSuite(options: SuiteOptions): Promise<SuiteRound[]> {
  const { log } = options;
  const runtime = new Runtime();
  const raw = await startRawEcho();
  const rounds: SuiteRound[] = [];
  try {
    const handle = await runtime.spawn(Noop, []);
    const driver = await runtime.spawn(Driver, []);
    const actorCall = () => handle.noop();
    const rawCall = () => raw.call('noop', []);
    // Warm both paths (JIT, msgpackr's structures) before anything is recorded.
    await throughput(rawCall, 16, Math.min(500, options.durationMs));
    await throughput(actorCall, 16, Math.min(500, options.durationMs));
    await latency(rawCall, 200);
    await latency(actorCall, 200);

    for (let r = 1; r <= options.repeat; r++) {
      log(`-- round ${r} of ${options.repeat}`);
      const rawLat = await latency(rawCall, options.durationMs);
      const actorLat = await latency(actorCall, options.durationMs);
      log(`latency, one call at a time   raw p50 ${us(rawLat.p50)} p99 ${us(rawLat.p99)}   actor p50 ${us(actorLat.p50)} p99 ${us(actorLat.p99)} p99.9 ${us(actorLat.p999)}`);
      const round: SuiteRound = { latency: { raw: rawLat, actor: actorLat }, throughput: [] };
      for (const n of options.inFlight) {
        const rawT = await throughput(rawCall, n, options.durationMs);
        const actorT = await throughput(actorCall, n, options.durationMs);
        const ratio = actorT.callsPerSecond / rawT.callsPerSecond;
        round.throughput.push({ raw: rawT, actor: actorT, ratio });
        log(
          `throughput, ${String(n).padStart(5)} in flight   raw ${String(rawT.callsPerSecond).padStart(8)}/s   actor ${String(actorT.callsPerSecond).padStart(8)}/s` +
            `   actor/raw ${(ratio * 100).toFixed(0)}%   actor p50 ${us(actorT.p50)} p99 ${us(actorT.p99)}`,
        );
      }
      if (options.burst > 0) {
        const rawB = await burst(rawCall, options.burst, 3);
        const actorB = await burst(actorCall, options.burst, 3);
        round.burst = { raw: rawB.callsPerSecond, actor: actorB.callsPerSecond, ratio: actorB.callsPerSecond / rawB.callsPerSecond };
        log(`burst of ${options.burst} at once        raw ${rawB.callsPerSecond}/s   actor ${actorB.callsPerSecond}/s   actor/raw ${(round.burst.ratio * 100).toFixed(0)}%  (best of 3)`);
      }
      if (options.objectEcho ?? true) {
        const rawEcho = () => raw.call('echo', [smallObject]);
        const actorEcho = () => handle.echo(smallObject);
        const rl = await latency(rawEcho, options.durationMs);
        const al = await latency(actorEcho, options.durationMs);
        const rt = await throughput(rawEcho, 256, options.durationMs);
        const at = await throughput(actorEcho, 256, options.durationMs);
        round.object = { latency: { raw: rl, actor: al }, throughput: { raw: rt, actor: at, ratio: at.callsPerSecond / rt.callsPerSecond } };
        log(`echo of a small object        raw p50 ${us(rl.p50)}   actor p50 ${us(al.p50)} p99 ${us(al.p99)}   256 in flight: raw ${rt.callsPerSecond}/s actor ${at.callsPerSecond}/s (${((at.callsPerSecond / rt.callsPerSecond) * 100).toFixed(0)}%)`);
      }
      round.actorToActor = [];
      for (const n of options.inFlight) round.actorToActor.push(await driver.drive(handle, n, options.durationMs));
      log(`actor → actor, in a worker     ${round.actorToActor.map(r => `${r.inFlight} in flight ${r.callsPerSecond}/s (p50 ${us(r.p50)})`).join('   ')}`);
      rounds.push(round);
    }
  } finally {
    await raw.close();
    await runtime.shutdown();
  }
  return rounds;
}
