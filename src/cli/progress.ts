// A line per replica state change, from successive status snapshots: what `troupe run` and `troupe deploy` print
// while replicas start, roll or stop.
import type { ServeStatus } from '../serve/index.ts';

type Applications = ServeStatus['applications'];

export class ReplicaProgress {
  #seen = new Map<string, { state: string; since: number; reason?: string }>();
  #print: (line: string) => void;
  #now: () => number;

  constructor(print: (line: string) => void, now: () => number = Date.now) {
    this.#print = print;
    this.#now = now;
  }

  /** Prints what changed since the last snapshot. */
  observe(applications: Applications): void {
    const now = this.#now();
    const current = new Set<string>();
    for (const app of Object.values(applications)) {
      for (const d of Object.values(app.deployments)) {
        for (const r of d.replicas) {
          current.add(r.name);
          const before = this.#seen.get(r.name);
          if (before && before.state === r.state && before.reason === r.reason) continue;
          const took = before && r.state === 'RUNNING' && before.state !== 'RUNNING' ? ` after ${((now - before.since) / 1000).toFixed(1)} s` : '';
          const why = r.reason && r.state !== 'RUNNING' ? `: ${r.reason}` : '';
          this.#print(`troupe: replica ${r.name} ${r.state}${took}${why}`);
          this.#seen.set(r.name, { state: r.state, since: before && before.state === r.state ? before.since : now, reason: r.reason });
        }
      }
    }
    for (const name of [...this.#seen.keys()]) {
      if (current.has(name)) continue;
      this.#seen.delete(name);
      this.#print(`troupe: replica ${name} stopped`);
    }
  }
}

/** Polls `status` every `intervalMs` and prints replica changes until stop(). */
export function watchReplicas(status: () => Applications, print: (line: string) => void, intervalMs = 100): { stop(): void; poll(): void } {
  const progress = new ReplicaProgress(print);
  const poll = () => progress.observe(status());
  poll();
  const timer = setInterval(poll, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer), poll };
}
