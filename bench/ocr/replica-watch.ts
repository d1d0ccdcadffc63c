// How many replicas an autoscaled troupe server runs, read from its admin API (GET /api/applications) while the
// bench loads it: a line per step ("Detector 1, Recognizer 2") and the timeline of every change, so a reader
// sees whether a step ran scaled up or included the ramp.
import { createServer } from 'node:net';

/** Replica counts of one autoscaled deployment at one moment. */
export interface ReplicaCount {
  deployment: string;
  running: number;
  /** STARTING or PENDING: wanted but not serving yet. */
  starting: number;
  stopping: number;
  target: number;
}

export interface ReplicaChange {
  /** ms since the watch started. */
  atMs: number;
  counts: ReplicaCount[];
}

interface StatusBody {
  applications?: Record<string, { deployments?: Record<string, { targetReplicas: number; replicas: { state: string }[]; autoscaling?: unknown }> }>;
}

/** A free loopback port for the server's admin API (`troupe run --admin-port`). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function formatCounts(counts: ReplicaCount[] | undefined): string {
  if (!counts) return 'replicas unknown (admin API did not answer)';
  return counts
    .map((c) => `${c.deployment} ${c.running}${c.starting ? ` (+${c.starting} starting)` : ''}${c.stopping ? ` (${c.stopping} stopping)` : ''}`)
    .join(', ');
}

/** Polls `${adminUrl}/api/applications` every `intervalMs` until stop(); keeps the latest counts and each change. */
export class ReplicaWatch {
  readonly timeline: ReplicaChange[] = [];
  #adminUrl: string;
  #started = Date.now();
  #timer: NodeJS.Timeout;
  #latest: ReplicaCount[] | undefined;
  #lastKey = '';
  #inFlight = false;

  constructor(adminUrl: string, intervalMs = 500) {
    this.#adminUrl = adminUrl.replace(/\/$/, '');
    this.#timer = setInterval(() => void this.poll(), intervalMs);
    this.#timer.unref();
  }

  /** The counts from the latest poll; undefined until one has answered. */
  get latest(): ReplicaCount[] | undefined {
    return this.#latest;
  }

  /** Most RUNNING replicas each deployment had at any poll. */
  peaks(): Record<string, number> {
    const peaks: Record<string, number> = {};
    for (const change of this.timeline) for (const c of change.counts) peaks[c.deployment] = Math.max(peaks[c.deployment] ?? 0, c.running);
    return peaks;
  }

  async poll(): Promise<ReplicaCount[] | undefined> {
    if (this.#inFlight) return this.#latest;
    this.#inFlight = true;
    try {
      const res = await fetch(`${this.#adminUrl}/api/applications`, { signal: AbortSignal.timeout(2000) });
      if (!res.ok) return this.#latest;
      const counts = countsOf((await res.json()) as StatusBody);
      this.#latest = counts;
      const key = JSON.stringify(counts);
      if (key !== this.#lastKey) {
        this.#lastKey = key;
        this.timeline.push({ atMs: Date.now() - this.#started, counts });
      }
    } catch {
      // A missed poll (the server busy or stopping) leaves the latest counts as they were.
    } finally {
      this.#inFlight = false;
    }
    return this.#latest;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

function countsOf(body: StatusBody): ReplicaCount[] {
  const counts: ReplicaCount[] = [];
  for (const app of Object.values(body.applications ?? {})) {
    for (const [deployment, d] of Object.entries(app.deployments ?? {})) {
      if (!d.autoscaling) continue;
      const n = (...states: string[]) => d.replicas.filter((r) => states.includes(r.state)).length;
      counts.push({ deployment, running: n('RUNNING'), starting: n('STARTING', 'PENDING'), stopping: n('STOPPING'), target: d.targetReplicas });
    }
  }
  return counts;
}
