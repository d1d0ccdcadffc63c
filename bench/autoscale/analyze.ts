// Pure functions from what a variant recorded (every request, the server's samples) to the series the chart
// draws and the figures the summary states. No I/O: test/cli/bench/autoscale-analyze.test.ts feeds them by hand.
import type { DeploymentSnapshot } from './protocol.ts';
import type { PlacedPhase, StepLoadRecords } from './step-load.ts';

/** A server sample on the load's clock (ms since the load started). */
export interface Sample {
  t: number;
  cpuMs: number;
  deployment: DeploymentSnapshot | null;
  served: Record<string, number>;
  serverErrors: number;
}

export interface VariantRun {
  name: string;
  records: StepLoadRecords;
  samples: Sample[];
  /** The proxy's first reply from each replica, ms on the load's clock (negative: before the load). */
  firstServed: Array<{ replica: string; t: number }>;
  /** Rolling update: when it was asked for and when serve.run resolved (ms on the load's clock). */
  redeploy?: { sentAt: number; startedAt: number; doneAt: number; error?: string };
  /** CPU time of the load generator's process over the run, ms. */
  generatorCpuMs: number;
  /** Busy CPU time of the whole machine (every process), ms since boot, sampled twice a second. */
  machine?: Array<{ t: number; busyMs: number }>;
}

export interface Window {
  count: number;
  ok: number;
  failed: number;
  errors: Record<string, number>;
  p50: number;
  p99: number;
  max: number;
  /** Successful replies per second over the window. */
  throughput: number;
}

export interface SeriesPoint {
  t: number;
  running: number;
  target: number;
  starting: number;
  stopping: number;
  /** p99 (ms) of the successful replies that ended in the last second; null when there were none. */
  p99: number | null;
  /** Successful replies per second over the last second. */
  okPerS: number;
  /** Failed requests that ended in the last second. */
  failedLastS: number;
  offered: number;
  /** What the autoscaler decides on: serve.status()'s autoscaling.ongoingRequests (averaged over its look-back). */
  ongoing: number | null;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** serve.status()'s autoscaling.ongoingRequests, when the deployment autoscales and has samples. */
export function autoscalingOngoing(d: DeploymentSnapshot | null): number | null {
  const a = d?.autoscaling as { ongoingRequests?: unknown } | undefined;
  return typeof a?.ongoingRequests === 'number' ? a.ongoingRequests : null;
}

export const countRunning = (d: DeploymentSnapshot | null) => d?.replicas.filter((r) => r.state === 'RUNNING').length ?? 0;
const countState = (d: DeploymentSnapshot | null, s: string) => d?.replicas.filter((r) => r.state === s).length ?? 0;

/** The requests DUE in [from, to): their outcome and latency (from when they were due to their reply). */
export function windowStats(r: StepLoadRecords, from: number, to: number): Window {
  const lat: number[] = [];
  const errors: Record<string, number> = {};
  let count = 0;
  for (let i = 0; i < r.due.length; i++) {
    if (r.due[i] < from || r.due[i] >= to) continue;
    count++;
    const k = r.kind[i];
    if (k === null) lat.push(r.done[i] - r.due[i]);
    else errors[k] = (errors[k] ?? 0) + 1;
  }
  lat.sort((a, b) => a - b);
  const failed = count - lat.length;
  return {
    count,
    ok: lat.length,
    failed,
    errors,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    max: lat.length ? lat[lat.length - 1] : NaN,
    throughput: to > from ? (lat.length * 1000) / (to - from) : NaN,
  };
}

/** Requests sent and not yet answered at each step of `stepMs` in [from, to): the load generator's view of the queue. */
export function inFlight(r: StepLoadRecords, from: number, to: number, stepMs = 50): number[] {
  const counts = new Array<number>(Math.max(0, Math.ceil((to - from) / stepMs))).fill(0);
  for (let i = 0; i < r.due.length; i++) {
    const start = Math.max(from, r.due[i]);
    const end = Number.isNaN(r.done[i]) ? to : Math.min(to, r.done[i]);
    for (let k = Math.ceil((start - from) / stepMs); k < counts.length && from + k * stepMs < end; k++) counts[k]++;
  }
  return counts;
}

/**
 * When the queue a scale-up left behind had drained: the first time from `from` on at which the requests in
 * flight were down to `level` (what a fixed replica count has in flight under the same load), ms; null if never
 * before `to`.
 */
export function drainedAt(r: StepLoadRecords, from: number, to: number, level: number, stepMs = 50): number | null {
  const counts = inFlight(r, from, to, stepMs);
  const k = counts.findIndex((n) => n <= level);
  return k < 0 ? null : from + k * stepMs;
}

/** The last sample at or before t (samples sorted by t). */
export function sampleAt(samples: Sample[], t: number): Sample | undefined {
  let lo = 0;
  let hi = samples.length - 1;
  let found: Sample | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (samples[mid].t <= t) {
      found = samples[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Every `stepMs`: replicas by state, p99 and throughput over the last `windowMs` (by when replies ended). */
export function timeSeries(run: VariantRun, stepMs = 100, windowMs = 1000): SeriesPoint[] {
  const r = run.records;
  const endMs = Math.max(r.phases.at(-1)?.endMs ?? 0, ...Array.from(r.done).filter(Number.isFinite));
  // Replies by end time, with their latency.
  const ends: Array<{ end: number; lat: number; ok: boolean }> = [];
  for (let i = 0; i < r.due.length; i++) {
    if (Number.isFinite(r.done[i])) ends.push({ end: r.done[i], lat: r.done[i] - r.due[i], ok: r.kind[i] === null });
  }
  ends.sort((a, b) => a.end - b.end);
  const out: SeriesPoint[] = [];
  let lo = 0;
  let hi = 0;
  for (let t = stepMs; t <= endMs + stepMs / 2; t += stepMs) {
    while (hi < ends.length && ends[hi].end <= t) hi++;
    while (lo < hi && ends[lo].end <= t - windowMs) lo++;
    const lat: number[] = [];
    let failed = 0;
    for (let i = lo; i < hi; i++) {
      if (ends[i].ok) lat.push(ends[i].lat);
      else failed++;
    }
    lat.sort((a, b) => a - b);
    const s = sampleAt(run.samples, t)?.deployment ?? null;
    out.push({
      t,
      running: countRunning(s),
      target: s?.targetReplicas ?? 0,
      starting: countState(s, 'STARTING'),
      stopping: countState(s, 'STOPPING'),
      p99: lat.length ? percentile(lat, 99) : null,
      okPerS: (lat.length * 1000) / windowMs,
      failedLastS: failed,
      offered: r.phases.find((p) => t > p.startMs && t <= p.endMs)?.rate ?? 0,
      ongoing: autoscalingOngoing(s),
    });
  }
  return out;
}

/** Changes of the target, of the RUNNING count and of the replica names, in order: the autoscaler's story. */
export function replicaEvents(samples: Sample[]): Array<{ t: number; event: string }> {
  const events: Array<{ t: number; event: string }> = [];
  let prev: DeploymentSnapshot | null | undefined;
  for (const s of samples) {
    const d = s.deployment;
    if (prev === undefined) {
      events.push({ t: s.t, event: `first sample: target ${d?.targetReplicas}, ${describe(d)}` });
    } else {
      if ((d?.targetReplicas ?? 0) !== (prev?.targetReplicas ?? 0)) {
        const ongoing = autoscalingOngoing(prev ?? null);
        events.push({ t: s.t, event: `target ${prev?.targetReplicas} → ${d?.targetReplicas}${ongoing === null ? '' : ` (average ongoing requests just before: ${ongoing.toFixed(2)})`}` });
      }
      const before = new Map((prev?.replicas ?? []).map((r) => [r.name, r.state]));
      const now = new Map((d?.replicas ?? []).map((r) => [r.name, r.state]));
      for (const [name, state] of now) if (before.get(name) !== state) events.push({ t: s.t, event: `${name}: ${before.get(name) ?? 'new'} → ${state}` });
      for (const [name, state] of before) if (!now.has(name)) events.push({ t: s.t, event: `${name}: ${state} → gone` });
      if ((d?.status ?? '') !== (prev?.status ?? '')) events.push({ t: s.t, event: `status ${prev?.status} → ${d?.status}${d?.message ? ` (${d.message})` : ''}` });
    }
    prev = d;
  }
  return events;
}

function describe(d: DeploymentSnapshot | null): string {
  if (!d) return 'no deployment';
  return `${d.status}, replicas ${d.replicas.map((r) => `${r.name} ${r.state}`).join(', ') || 'none'}`;
}

/** When the load stepped up and what followed, all in ms after the step. */
export interface ScaleUp {
  stepAt: number;
  /** targetReplicas first above its value at the step. */
  targetUpAfterMs: number | null;
  /** A replica not there at the step first seen (any state). */
  newReplicaSeenAfterMs: number | null;
  /** The RUNNING count first above its value at the step. */
  runningUpAfterMs: number | null;
  /** The proxy's first reply from a replica that had not replied before the step. */
  firstServedAfterMs: number | null;
  newReplica: string | null;
  /** Replicas listed (any state) and the target at the step: more than one means it scaled up before the step
   *  (a busy machine can make the low phase queue), and then nothing after the step measures the goal. */
  replicasAtStep: number;
  targetAtStep: number;
}

export function scaleUp(run: VariantRun, stepAt: number): ScaleUp {
  const at = sampleAt(run.samples, stepAt)?.deployment ?? null;
  const target0 = at?.targetReplicas ?? 0;
  const running0 = countRunning(at);
  const names0 = new Set((at?.replicas ?? []).map((r) => r.name));
  const after = run.samples.filter((s) => s.t >= stepAt);
  const first = (pred: (s: Sample) => boolean) => {
    const s = after.find(pred);
    return s ? s.t - stepAt : null;
  };
  // New: neither listed at the step nor replying before it.
  const servedBefore = new Set(run.firstServed.filter((f) => f.t < stepAt).map((f) => f.replica));
  const fresh = run.firstServed.filter((f) => f.t >= stepAt && !servedBefore.has(f.replica) && !names0.has(f.replica)).sort((a, b) => a.t - b.t)[0];
  return {
    stepAt,
    targetUpAfterMs: first((s) => (s.deployment?.targetReplicas ?? 0) > target0),
    newReplicaSeenAfterMs: first((s) => (s.deployment?.replicas ?? []).some((r) => !names0.has(r.name))),
    runningUpAfterMs: first((s) => countRunning(s.deployment) > running0),
    firstServedAfterMs: fresh ? fresh.t - stepAt : null,
    newReplica: fresh?.replica ?? null,
    replicasAtStep: at?.replicas.length ?? 0,
    targetAtStep: target0,
  };
}

export interface ScaleDown {
  stepAt: number;
  targetDownAfterMs: number | null;
  runningDownAfterMs: number | null;
  /** The replicas listed (any state) first down to the lowered target: the stopped one is gone. */
  goneAfterMs: number | null;
  /** Requests due from 1 s before the target was lowered to 1 s after the stopped replica was gone: the ones
   *  in flight on, or routed to, a replica being stopped. */
  during: Window & { from: number; to: number };
  /** Requests due from the step down to the end of the run (those queued behind the high phase's backlog too). */
  window: Window;
}

export function scaleDown(run: VariantRun, stepAt: number, endMs: number): ScaleDown {
  const before = run.samples.filter((s) => s.t < stepAt).slice(-5);
  const at = sampleAt(run.samples, stepAt)?.deployment ?? null;
  const after = run.samples.filter((s) => s.t >= stepAt);
  // Down from the most replicas seen around the step (the step itself may catch a replica still starting).
  const peakTarget = Math.max(at?.targetReplicas ?? 0, ...before.map((s) => s.deployment?.targetReplicas ?? 0));
  const peakRunning = Math.max(countRunning(at), ...before.map((s) => countRunning(s.deployment)));
  const lowered = after.find((s) => (s.deployment?.targetReplicas ?? 0) < peakTarget);
  const running = after.find((s) => countRunning(s.deployment) < peakRunning);
  const gone = lowered && after.find((s) => s.t >= lowered.t && (s.deployment?.replicas.length ?? 0) <= (s.deployment?.targetReplicas ?? 0));
  const from = lowered ? lowered.t - 1000 : stepAt;
  const to = gone ? gone.t + 1000 : endMs;
  return {
    stepAt,
    targetDownAfterMs: lowered ? lowered.t - stepAt : null,
    runningDownAfterMs: running ? running.t - stepAt : null,
    goneAfterMs: gone ? gone.t - stepAt : null,
    during: { ...windowStats(run.records, from, Math.min(to, endMs)), from, to: Math.min(to, endMs) },
    window: windowStats(run.records, stepAt, endMs),
  };
}

/**
 * The rolling update's window: from the redeploy to 1 s after both serve.run has resolved and every replica
 * listed is a new one (not listed when the redeploy was asked for) and RUNNING.
 */
export function rollingWindow(run: VariantRun, endMs: number): { from: number; to: number; allNewAfterMs: number | null } | null {
  const d = run.redeploy;
  if (!d) return null;
  const old = new Set((sampleAt(run.samples, d.sentAt)?.deployment?.replicas ?? []).map((r) => r.name));
  const allNew = run.samples.find(
    (s) => s.t >= d.sentAt && !!s.deployment?.replicas.length && s.deployment.replicas.every((r) => !old.has(r.name) && r.state === 'RUNNING'),
  );
  const settled = Math.max(Number.isFinite(d.doneAt) ? d.doneAt : endMs, allNew ? allNew.t : endMs);
  return { from: d.sentAt, to: Math.min(endMs, settled + 1000), allNewAfterMs: allNew ? allNew.t - d.sentAt : null };
}

/** Seconds of server CPU per second of wall time over [from, to): how many of the 2 cores the server used. */
export function serverCores(samples: Sample[], from: number, to: number): number {
  const inside = samples.filter((s) => s.t >= from && s.t < to);
  if (inside.length < 2) return NaN;
  const cpu = inside.slice(1).reduce((a, s) => a + s.cpuMs, 0);
  return cpu / (inside.at(-1)!.t - inside[0].t);
}

/** Cores the whole machine kept busy over [from, to) (every process), from the samples nearest inside it. */
export function machineCores(machine: Array<{ t: number; busyMs: number }> | undefined, from: number, to: number): number {
  const inside = (machine ?? []).filter((m) => m.t >= from - 250 && m.t <= to + 250);
  if (inside.length < 2) return NaN;
  const a = inside[0];
  const b = inside.at(-1)!;
  return (b.busyMs - a.busyMs) / (b.t - a.t);
}

/**
 * Every scale-down of the run (each time the target went down), with the requests due from 1 s before it to 1 s
 * after the stopped replica was gone; overlapping windows merged. Failures here are requests lost to a replica
 * being stopped, or to the capacity it took with it.
 */
export function downscales(run: VariantRun, endMs: number): { count: number; windows: Array<{ from: number; to: number }>; window: Window } {
  const windows: Array<{ from: number; to: number }> = [];
  let count = 0;
  for (let i = 1; i < run.samples.length; i++) {
    const prev = run.samples[i - 1].deployment;
    const cur = run.samples[i];
    if (!prev || !cur.deployment || cur.deployment.targetReplicas >= prev.targetReplicas) continue;
    count++;
    const gone = run.samples.slice(i).find((s) => (s.deployment?.replicas.length ?? 0) <= (s.deployment?.targetReplicas ?? 0));
    const w = { from: Math.max(0, cur.t - 1000), to: Math.min(endMs, (gone?.t ?? endMs) + 1000) };
    const last = windows.at(-1);
    if (last && w.from <= last.to) last.to = Math.max(last.to, w.to);
    else windows.push(w);
  }
  const parts = windows.map((w) => windowStats(run.records, w.from, w.to));
  const errors: Record<string, number> = {};
  for (const p of parts) for (const [k, n] of Object.entries(p.errors)) errors[k] = (errors[k] ?? 0) + n;
  const sum = (f: (w: Window) => number) => parts.reduce((a, w) => a + f(w), 0);
  return {
    count,
    windows,
    window: { count: sum((w) => w.count), ok: sum((w) => w.ok), failed: sum((w) => w.failed), errors, p50: NaN, p99: NaN, max: NaN, throughput: NaN },
  };
}

/** How many times the target changed in [from, to): one per step of a steady load is what a settled autoscaler does. */
export function targetChanges(samples: Sample[], from: number, to: number): number {
  let n = 0;
  for (let i = 1; i < samples.length; i++) {
    if (samples[i].t < from || samples[i].t >= to) continue;
    if ((samples[i].deployment?.targetReplicas ?? 0) !== (samples[i - 1].deployment?.targetReplicas ?? 0)) n++;
  }
  return n;
}
