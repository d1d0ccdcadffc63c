// What a replica can learn about itself: its deployment, its name, and the GPU share placement gave it.
// The controller publishes it as a retained topic before it spawns the replica, so it is there in the
// replica's constructor already.
import { latestValue, threadContext } from '../core/index.ts';
import type { GpuGrant } from './placement.ts';

export interface ReplicaContext {
  /** `<application>/<deployment>`. */
  deployment: string;
  replica: string;
  numCpus: number;
  /** The GPU device(s) and fraction (numGpus) this replica holds; for a native slot: acquireSlot({ device: gpu.devices[0], fraction: gpu.fraction }). */
  gpu?: GpuGrant;
}

/** The topic of one replica's context, by its actor label (`<Class> <replica name>`). */
export function replicaContextTopic(actorLabel: string): string {
  return `troupe.serve.replica/${actorLabel}`;
}

/** Inside a replica (its constructor, init() or a method): its context. Undefined elsewhere. */
export function replicaContext(): ReplicaContext | undefined {
  const label = threadContext()?.actorLabel;
  return label === undefined ? undefined : (latestValue(replicaContextTopic(label)) as ReplicaContext | undefined);
}
