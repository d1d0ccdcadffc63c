// The CPU work a request does: PBKDF2-SHA256 with a set number of iterations, run synchronously on the
// replica's thread. Native code, so its speed does not depend on how V8 happened to compile it: a JS loop
// measured in one process ran 3.4x faster in another (the same file, loaded with --enable-source-maps or
// not), which made "4 ms" mean 1.2 ms in the replicas. A fixed amount of work, not a spin until a wall-clock
// time: a descheduled thread then takes longer instead of quietly doing less, so contention for the 2 cores
// shows. calibrate() turns milliseconds into iterations once, in the scenario's process; every variant gets
// the same count.
import { pbkdf2Sync } from 'node:crypto';

/** Does `iterations` rounds of PBKDF2-SHA256; returns the first byte of the key (so the reply depends on it). */
export function spin(iterations: number): number {
  return pbkdf2Sync('troupe', 'autoscale-bench', iterations, 32, 'sha256')[0];
}

/**
 * Iterations that take `ms` of CPU: timed with the process's CPU clock, not the wall clock, so a busy machine
 * (other processes taking turns on the cores) does not make the work come out smaller. The median of several
 * tries (the fastest undercounts: a round costs more CPU time while the other core is busy); only this thread
 * works while it calibrates.
 */
export function calibrate(ms: number): number {
  const probe = 5_000;
  spin(1000);
  const times: number[] = [];
  for (let i = 0; i < 21; i++) {
    const cpu = process.cpuUsage();
    spin(probe);
    const used = process.cpuUsage(cpu);
    times.push((used.user + used.system) / 1000);
  }
  const median = times.sort((a, b) => a - b)[times.length >> 1];
  return Math.max(1, Math.round((probe * ms) / median));
}
