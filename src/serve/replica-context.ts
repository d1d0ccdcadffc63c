// What a replica can learn about itself: its deployment, its name, and the GPU share placement gave it.
// The controller publishes it as a retained topic before it spawns the replica, so it is there in the
// replica's constructor already.
import { callTrace, latestValue, threadContext } from '../core/index.ts';
import type { GpuGrant } from './placement.ts';
import type { LogLevel } from '../observability/index.ts';

export interface ReplicaContext {
  /** `<application>/<deployment>`. */
  deployment: string;
  replica: string;
  numCpus: number;
  /** The GPU device(s) and fraction (numGpus) this replica holds; for a native slot: acquireSlot({ device: gpu.devices[0], fraction: gpu.fraction }). */
  gpu?: GpuGrant;
  /** The deployment's logLevel, when it set one. */
  logLevel?: LogLevel;
  /** Of the call being served, when an HTTP request started it (through every handle call of a composition). */
  requestId?: string;
  /** The W3C trace id of that request (its traceparent's, or one made for it). */
  traceId?: string;
  /** `00-<traceId>-<spanId>-<flags>`: what to send as `traceparent` to a service outside troupe. */
  traceparent?: string;
}

/** The topic of one replica's context, by its actor label (`<Class> <replica name>`). */
export function replicaContextTopic(actorLabel: string): string {
  return `troupe.serve.replica/${actorLabel}`;
}

/** Inside a replica (its constructor, init() or a method): its context. Undefined elsewhere. */
export function replicaContext(): ReplicaContext | undefined {
  const label = threadContext()?.actorLabel;
  const context = label === undefined ? undefined : (latestValue(replicaContextTopic(label)) as ReplicaContext | undefined);
  const trace = context && callTrace();
  return trace ? { ...context, requestId: trace.requestId, traceId: trace.traceId, traceparent: trace.traceparent } : context;
}
