// troupe's diagnostics_channel table (undici's lib/core/diagnostics.js is the model): named channels a user
// subscribes to with node:diagnostics_channel to attach OpenTelemetry or their own tracing, without troupe
// depending on either. Publishers check `hasSubscribers` first, so an unwatched channel costs one property read.
import diagnostics from 'node:diagnostics_channel';

/** Published on the main thread when the HTTP proxy takes a request (before routing). */
export interface RequestStartMessage {
  requestId: string;
  traceId: string;
  /** `00-<traceId>-<spanId>-<flags>`: the proxy's span for this request. */
  traceparent: string;
  method: string;
  path: string;
}

/** Published on the main thread when the request's response is done (or the client went away: status 499). */
export interface RequestEndMessage extends RequestStartMessage {
  application: string | undefined;
  deployment: string | undefined;
  replica: string | undefined;
  status: number;
  latencyMs: number;
}

/** Published on the main thread by the controller when a replica changes state. */
export interface ReplicaStateMessage {
  application: string;
  deployment: string;
  replica: string;
  from: string;
  to: string;
  /** Why (UNHEALTHY: the failure; STOPPING: the cause; PENDING: what it waits for). */
  reason: string | undefined;
}

/** Published in the replica's thread when @batch hands a batch to the method. */
export interface BatchFlushMessage {
  /** `<Class>.<method>`. */
  method: string;
  size: number;
  /** How long the batch's first request waited (ms). */
  waitMs: number;
  /** What flushed it: the batch was full, or its wait ran out. */
  reason: 'full' | 'timeout';
}

/** Published on the main thread by the controller when autoscaling changes a deployment's target. */
export interface AutoscaleDecisionMessage {
  application: string;
  deployment: string;
  from: number;
  to: number;
  /** The averaged ongoing requests the policy saw, undefined before any report. */
  ongoingRequests: number | undefined;
}

export const CHANNEL_NAMES = {
  requestStart: 'troupe:request:start',
  requestEnd: 'troupe:request:end',
  replicaState: 'troupe:replica:state',
  batchFlush: 'troupe:batch:flush',
  autoscaleDecision: 'troupe:autoscale:decision',
} as const;

export const channels = {
  requestStart: diagnostics.channel(CHANNEL_NAMES.requestStart),
  requestEnd: diagnostics.channel(CHANNEL_NAMES.requestEnd),
  replicaState: diagnostics.channel(CHANNEL_NAMES.replicaState),
  batchFlush: diagnostics.channel(CHANNEL_NAMES.batchFlush),
  autoscaleDecision: diagnostics.channel(CHANNEL_NAMES.autoscaleDecision),
};

/** Splits a deployment id `<application>/<deployment>`. */
export function splitDeploymentId(id: string): { application: string; deployment: string } {
  const slash = id.indexOf('/');
  return slash < 0 ? { application: '', deployment: id } : { application: id.slice(0, slash), deployment: id.slice(slash + 1) };
}

/** For the controller: publishes a replica's state change when someone listens. */
export function publishReplicaState(replica: string, from: string, to: string, reason: string | undefined): void {
  if (!channels.replicaState.hasSubscribers) return;
  const hash = replica.lastIndexOf('#');
  const { application, deployment } = splitDeploymentId(hash < 0 ? replica : replica.slice(0, hash));
  channels.replicaState.publish({ application, deployment, replica, from, to, reason } satisfies ReplicaStateMessage);
}
