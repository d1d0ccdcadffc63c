// How many replicas to start and which to stop, given what a deployment has and what it should have. Pure.
// A version change rolls in waves (Ray's rolling update): up to `surge` replicas of the new version start
// beyond the target, and an old replica stops only once a new one serves in its place, so the number of
// serving replicas never drops below the target while the old ones drain.

import type { ReplicaState } from './replica.ts';

export interface PlannedReplica {
  name: string;
  version: string;
  state: ReplicaState;
  /** Calls on it: among replicas to stop, the least loaded go first. */
  ongoing: number;
}

export interface ReplicaPlan {
  start: number;
  stop: string[];
}

/** Replicas a rolling update may start beyond the target at once: a fifth of it, at least one (Ray's default). */
export function surgeFor(target: number): number {
  return Math.max(1, Math.ceil(target * 0.2));
}

export function planReplicas(replicas: readonly PlannedReplica[], target: number, version: string): ReplicaPlan {
  const active = replicas.filter(r => r.state === 'PENDING' || r.state === 'STARTING' || r.state === 'RUNNING');
  const current = active.filter(r => r.version === version);
  const old = active.filter(r => r.version !== version);
  const stop: string[] = [];

  // Old replicas that do not serve yet are of no use: stop them at once.
  for (const r of old) if (r.state !== 'RUNNING') stop.push(r.name);
  const oldRunning = old.filter(r => r.state === 'RUNNING');

  // Too many of the current version: stop the ones furthest from serving, then the least loaded.
  let start = 0;
  if (current.length > target) {
    stop.push(...byStopOrder(current).slice(0, current.length - target).map(r => r.name));
  } else if (current.length < target) {
    // With old replicas still serving, start no more than the surge allows beyond the target.
    const room = oldRunning.length === 0 ? target - current.length : Math.max(0, target + surgeFor(target) - current.length - oldRunning.length);
    start = Math.min(target - current.length, room);
  }

  // An old replica goes once enough current ones serve: serving never falls under the target.
  const currentRunning = Math.min(current.filter(r => r.state === 'RUNNING').length, target);
  const excessOld = oldRunning.length + currentRunning - target;
  if (excessOld > 0) stop.push(...byStopOrder(oldRunning).slice(0, excessOld).map(r => r.name));
  return { start, stop };
}

const stateOrder: Record<ReplicaState, number> = { PENDING: 0, STARTING: 1, RUNNING: 2, UNHEALTHY: 3, STOPPING: 4 };

function byStopOrder(replicas: readonly PlannedReplica[]): PlannedReplica[] {
  return [...replicas].sort((a, b) => stateOrder[a.state] - stateOrder[b.state] || a.ongoing - b.ongoing);
}
