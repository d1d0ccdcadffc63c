// The CPU work a request does: PBKDF2-SHA256 with a set number of iterations, run synchronously on the
// replica's thread. Native code, so its speed does not depend on how V8 happened to compile it: a JS loop
// measured in one process ran 3.4x faster in another (the same file, loaded with --enable-source-maps or
// not), which made "4 ms" mean 1.2 ms in the replicas. A fixed amount of work, not a spin until a wall-clock
// time: a descheduled thread then takes longer instead of quietly doing less, so contention for the 2 cores
// shows. calibrate() turns milliseconds into iterations once, in the scenario's process; every variant gets
// the same count (--iterations=N pins it).
import { pbkdf2Sync } from 'node:crypto';

/** Does `iterations` rounds of PBKDF2-SHA256; returns the first byte of the key (so the reply depends on it). */
export function spin(iterations: number): number {
  return pbkdf2Sync('troupe', 'autoscale-bench', iterations, 32, 'sha256')[0];
}

/**
 * Iterations that take `ms` on an idle core: the fastest of many short wall-clock probes, in batches spread over
 * about a second. Being descheduled (other processes, the host, this process's own compiler threads just after
 * start-up) only ever makes a probe slower, so the fastest one is the uncontended cost, provided some probe
 * found the core free: 80 ms of back-to-back probes read 14.3k iterations where a quieter moment read 20.7k, and
 * the first count's requests then cost the server 3.2 ms, not 4. The process's CPU clock was tried first and
 * read 12k to 20k from one run to the next on this shared machine.
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
