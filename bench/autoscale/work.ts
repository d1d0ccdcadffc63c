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
 * Iterations that take `ms` on an idle core: the fastest of many short wall-clock probes. Being descheduled
 * (other processes, the host) only ever makes a probe slower, so the fastest one is the uncontended cost; the
 * process's CPU clock was tried first and read 12k to 20k iterations for "4 ms" from one run to the next on
 * this shared machine.
 */
export function calibrate(ms: number): number {
  const probe = 2_000;
  for (let i = 0; i < 20; i++) spin(probe);
  let best = Infinity;
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    spin(probe);
    best = Math.min(best, performance.now() - t);
  }
  return Math.max(1, Math.round((probe * ms) / best));
}
