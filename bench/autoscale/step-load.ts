// An open loop whose arrival rate follows a schedule of phases (low, high, low): src/cli/bench's runOpenLoop
// keeps one rate per run, and running three runs back to back would pause the load at each step while the
// previous run drains. Every request is kept (when it was due, when it ended, how), so the scenario can draw
// p99 over time and count failures in any window. It reuses the bench library's lanes (one keep-alive
// connection per request in flight, the lean HTTP client that does not take the 2 cores from the server).
import { performance } from 'node:perf_hooks';
import { seededRandom } from '../../src/cli/bench/arrivals.ts';
import type { HttpTarget } from '../../src/cli/bench/index.ts';
import { laneFactory, type Lane } from '../../src/cli/bench/lanes.ts';

export interface Phase {
  name: string;
  /** Arrivals per second. */
  rate: number;
  durationMs: number;
}

/** A phase placed on the run's clock. */
export interface PlacedPhase extends Phase {
  startMs: number;
  endMs: number;
}

export interface StepLoadOptions {
  target: HttpTarget;
  phases: Phase[];
  /** A request still running after this long ends as `timeout`. Default 10 s. */
  timeoutMs?: number;
  /** Connections at most; later arrivals wait for one with their clock running. Default 4096. */
  maxInFlight?: number;
  seed?: number;
  /** Called once a second with what has happened so far. */
  onSecond?: (p: StepProgress) => void;
}

export interface StepProgress {
  /** ms since the load started. */
  t: number;
  phase: string;
  sent: number;
  ok: number;
  failed: number;
  inFlight: number;
}

/** Every request of a run; times are ms since `startedAt`. */
export interface StepLoadRecords {
  /** Epoch ms (performance.timeOrigin based) of t = 0. */
  startedAt: number;
  phases: PlacedPhase[];
  due: Float64Array;
  /** NaN for a request never sent (the run was stopped). */
  done: Float64Array;
  /** null for a 2xx/3xx reply, the error kind otherwise (`status:503`, `timeout`, `connect:closed`...). */
  kind: (string | null)[];
  /** How late the generator sent a request at worst, ms (it runs on timers: about 1 ms is normal). */
  maxLagMs: number;
  /** Arrivals that waited for a free connection. */
  queued: number;
}

export function placePhases(phases: Phase[]): PlacedPhase[] {
  let t = 0;
  return phases.map((p) => {
    const placed = { ...p, startMs: t, endMs: t + p.durationMs };
    t += p.durationMs;
    return placed;
  });
}

/**
 * The arrival times of a Poisson process whose rate steps from phase to phase: each phase gets
 * round(rate x duration) arrivals at uniformly random times inside it (what a Poisson process's arrivals are,
 * given their count), so every run offers exactly the scheduled load. Sorted, ms from the start.
 */
export function arrivalSchedule(phases: PlacedPhase[], random: () => number): Float64Array {
  const times: number[] = [];
  for (const p of phases) {
    const n = Math.round((p.rate * p.durationMs) / 1000);
    const at: number[] = [];
    for (let i = 0; i < n; i++) at.push(p.startMs + random() * p.durationMs);
    at.sort((a, b) => a - b);
    times.push(...at);
  }
  return Float64Array.from(times);
}

export function runStepLoad(options: StepLoadOptions): Promise<StepLoadRecords> {
  const phases = placePhases(options.phases);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxInFlight = options.maxInFlight ?? 4096;
  const due = arrivalSchedule(phases, seededRandom(options.seed ?? 0x5ca1e));
  const n = due.length;
  const done = new Float64Array(n).fill(NaN);
  const kind: (string | null)[] = new Array(n).fill(null);
  const factory = laneFactory(options.target);
  const lanes: Lane[] = [];
  const free: Lane[] = [];
  const waiting: number[] = [];
  let waitHead = 0;
  let next = 0;
  let inFlight = 0;
  let ok = 0;
  let failed = 0;
  let queued = 0;
  let maxLag = 0;
  const t0 = performance.now();
  const startedAt = performance.timeOrigin + t0;
  const lastDue = n ? due[n - 1] : 0;
  const hardStop = Math.max(lastDue, phases.at(-1)?.endMs ?? 0) + timeoutMs + 1000;

  return new Promise((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearInterval(sweeper);
      clearInterval(progress);
      for (const lane of lanes) lane.close();
      resolve({ startedAt, phases, due, done, kind, maxLagMs: Math.round(maxLag * 1000) / 1000, queued });
    };
    const maybeFinish = () => {
      if (next >= n && inFlight === 0 && waitHead >= waiting.length) finish();
    };
    const start = (lane: Lane, i: number) => {
      inFlight++;
      lane.send(i, (k) => {
        inFlight--;
        done[i] = performance.now() - t0;
        kind[i] = k;
        if (k === null) ok++;
        else failed++;
        if (waitHead < waiting.length) start(lane, waiting[waitHead++]);
        else {
          free.push(lane);
          maybeFinish();
        }
      });
    };
    const dispatch = (i: number) => {
      let lane = free.pop();
      if (!lane && lanes.length < maxInFlight) {
        lane = factory.create();
        lanes.push(lane);
      }
      if (lane) start(lane, i);
      else {
        queued++;
        waiting.push(i);
      }
    };
    // Timers only (no setImmediate spin): a request goes out at most about a millisecond late, and that
    // lateness is part of its latency, which is measured from when it was due.
    const tick = () => {
      const now = performance.now() - t0;
      while (next < n && due[next] <= now) {
        maxLag = Math.max(maxLag, now - due[next]);
        dispatch(next++);
      }
      if (next < n) setTimeout(tick, Math.max(0, due[next] - (performance.now() - t0)));
      else maybeFinish();
    };
    const sweeper = setInterval(() => {
      const now = performance.now();
      const all = now - t0 >= hardStop;
      for (const lane of lanes) if (lane.startedAt !== 0 && (all || now - lane.startedAt >= timeoutMs)) lane.abort('timeout');
      if (all) {
        // Arrivals still waiting for a connection at the hard stop never went out.
        for (; waitHead < waiting.length; waitHead++) {
          kind[waiting[waitHead]] = 'timeout';
          failed++;
        }
        maybeFinish();
      }
    }, 50);
    const progress = setInterval(() => {
      const t = performance.now() - t0;
      const phase = phases.find((p) => t < p.endMs)?.name ?? 'drain';
      options.onSecond?.({ t, phase, sent: next, ok, failed, inFlight });
    }, 1000);
    tick();
  });
}
