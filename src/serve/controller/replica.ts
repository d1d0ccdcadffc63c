// One replica as the controller tracks it, and the only ways its state may change. Ray's ReplicaState at our
// size: PENDING (waiting for resources or a restart back-off) → STARTING → RUNNING → UNHEALTHY or STOPPING →
// gone. Only RUNNING replicas are published to routers.
import type { Grant } from '../placement.ts';
import { publishReplicaState } from '../../observability/index.ts';
import type { ReplicaRef } from './replica-actions.ts';

export type ReplicaState = 'PENDING' | 'STARTING' | 'RUNNING' | 'UNHEALTHY' | 'STOPPING';

const allowed: Record<ReplicaState, readonly ReplicaState[]> = {
  PENDING: ['STARTING', 'STOPPING'],
  STARTING: ['RUNNING', 'STOPPING'],
  RUNNING: ['UNHEALTHY', 'STOPPING'],
  UNHEALTHY: ['STOPPING'],
  STOPPING: [],
};

export interface Replica {
  readonly name: string;
  /** The deployment version it runs (code, constructor arguments, actor options). */
  readonly version: string;
  state: ReplicaState;
  /** When it entered its state (ms). */
  since: number;
  /** Why it waits (PENDING), or what went wrong last (UNHEALTHY). */
  reason?: string;
  grant?: Grant;
  ref?: ReplicaRef;
  /** The userConfig version it was last configured with. */
  configVersion: number;
  /** The maxOngoingRequests it runs with. */
  limit: number;
  healthFailures: number;
  lastHealthAt: number;
  /** An action on it (start, stop, health check, reconfigure) is in flight. */
  busy: boolean;
  /** The latest load it reported: calls running or waiting on it. */
  ongoing: number;
  /** Multiplexed model ids it holds (from its load report). */
  models?: string[];
  /** Calls the routers of its thread have in flight or waiting, by deployment id (from its load report). */
  routerLoads?: Record<string, number>;
  /** Calls the routers of its thread hold waiting for a replica, by deployment id (from its load report). */
  routerQueued?: Record<string, number>;
}

export function newReplica(name: string, version: string, now: number, configVersion: number, limit: number): Replica {
  return { name, version, state: 'PENDING', since: now, configVersion, limit, healthFailures: 0, lastHealthAt: now, busy: false, ongoing: 0 };
}

/** Moves a replica to `next`; a move the state machine does not have is a bug in the controller, not bad input. */
export function transition(replica: Replica, next: ReplicaState, now: number, reason?: string): void {
  if (!allowed[replica.state].includes(next)) throw new Error(`replica ${replica.name}: no transition ${replica.state} → ${next}`);
  publishReplicaState(replica.name, replica.state, next, reason);
  replica.state = next;
  replica.since = now;
  replica.reason = reason;
}

/** Serving, or about to: what counts toward a deployment's target. */
export function isActive(replica: Replica): boolean {
  return replica.state === 'PENDING' || replica.state === 'STARTING' || replica.state === 'RUNNING';
}
