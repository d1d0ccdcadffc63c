// The CPU work a request does: PBKDF2-SHA256 with a set number of iterations, run synchronously on the
// replica's thread. Native code, so its speed does not depend on how V8 happened to compile it: a JS loop
// measured in one process ran 3.4x faster in another (the same file, loaded with --enable-source-maps or
// not), which made "4 ms" mean 1.2 ms in the replicas. A fixed amount of work, not a spin until a wall-clock
// time: a descheduled thread then takes longer instead of quietly doing less, so contention for the 2 cores
// shows. Every variant and every run does the same DEFAULT_ITERATIONS; what a reply really costs is measured
// (the scenario measures capacity, and the summary gives the server's CPU per reply).
import { pbkdf2Sync } from 'node:crypto';

/** About 4 ms on this project's 2-core machine (20.6k-20.9k iterations per 4 ms in most calibrations). */
export const DEFAULT_ITERATIONS = 20_000;
/** The same machine's usual speed, for the nominal figures printed before capacity is measured. */
export const ITERATIONS_PER_MS = 5_200;

/** Does `iterations` rounds of PBKDF2-SHA256; returns the first byte of the key (so the reply depends on it). */
export function spin(iterations: number): number {
  return pbkdf2Sync('troupe', 'autoscale-bench', iterations, 32, 'sha256')[0];
}

/**
 * Iterations that take `ms` on an idle core (--work-ms): the fastest of many short wall-clock probes, in batches
 * spread over about a second. Being descheduled only ever makes a probe slower, so the fastest one should be the
 * uncontended cost; yet on this machine whole seconds of probes read 14.1k-14.3k iterations per 4 ms in 2 of 7
 * bench runs, where the rest read 20.6k-20.9k and the work then really cost ~4.2-4.6 ms (the host's clock speed,
 * presumably). The process's CPU clock read 12k to 20k. Hence a fixed count by default.
 */
export async function calibrate(ms: number): Promise<number> {
  const probe = 2_000;
  for (let i = 0; i < 20; i++) spin(probe);
  let best = Infinity;
  for (let batch = 0; batch < 20; batch++) {
    await new Promise((r) => setTimeout(r, 40));
    for (let i = 0; i < 25; i++) {
      const t = performance.now();
      spin(probe);
      best = Math.min(best, performance.now() - t);
    }
  }
  return Math.max(1, Math.round((probe * ms) / best));
}
