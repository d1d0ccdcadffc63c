// What a replica can learn about itself: its deployment, its name, and the GPU share placement gave it.
// The controller publishes it as a retained topic before it spawns the replica, so it is there in the
// replica's constructor already.
import { callTrace, latestValue, threadContext } from '../core/index.ts';
import { acquireSlot, type DeviceIndex, type Slot } from '../native/index.ts';
import type { GpuGrant } from './placement.ts';
import type { LogLevel } from '../observability/index.ts';

export interface ReplicaContext {
  /** `<application>/<deployment>`. */
  deployment: string;
  replica: string;
  numCpus: number;
  /** The GPU share this replica holds and the native slot its thread was given when it started. */
  gpu?: ReplicaGpu;
  /** The deployment's logLevel, when it set one. */
  logLevel?: LogLevel;
  /** Of the call being served, when an HTTP request started it (through every handle call of a composition). */
  requestId?: string;
  /** The W3C trace id of that request (its traceparent's, or one made for it). */
  traceId?: string;
  /** `00-<traceId>-<spanId>-<flags>`: what to send as `traceparent` to a service outside troupe. */
  traceparent?: string;
}

/** A replica's GPU share: `slot` is its native memory slot (quota `bytes`, SlotQuotaError past it), held from its
 *  start to its end; the controller gives it back when the replica stops, dies or is replaced. */
export interface ReplicaGpu {
  /** The device of the slot (devices[0]): a GPU index, or 'host' for host memory slots. */
  device: DeviceIndex;
  /** Undefined only where the controller was given a capacity without slot pools (tests). Not enumerable: it stays in its thread. */
  slot?: Slot;
  /** The slot's quota in bytes (0 without a slot). */
  bytes: number;
  devices: DeviceIndex[];
  /** Share of the device booked for it (numGpus, or gpuMemoryBytes of the device's pool). */
  fraction: number;
}

/** What the controller publishes: the grant, before the replica's thread turns it into a slot. */
export type PublishedReplicaContext = Omit<ReplicaContext, 'gpu'> & { gpu?: GpuGrant };

/** The topic of one replica's context, by its actor label (`<Class> <replica name>`). */
export function replicaContextTopic(actorLabel: string): string {
  return `troupe.serve.replica/${actorLabel}`;
}

/** Inside a replica (its constructor, init() or a method): its context. Undefined elsewhere. */
export function replicaContext(): ReplicaContext | undefined {
  const label = threadContext()?.actorLabel;
  const published = label === undefined ? undefined : (latestValue(replicaContextTopic(label)) as PublishedReplicaContext | undefined);
  if (published === undefined) return undefined;
  const context: ReplicaContext = published.gpu ? { ...published, gpu: replicaGpu(published.gpu) } : (published as ReplicaContext);
  const trace = callTrace();
  return trace ? { ...context, requestId: trace.requestId, traceId: trace.traceId, traceparent: trace.traceparent } : context;
}

let held: { grant: GpuGrant; gpu: ReplicaGpu } | undefined;

/** The thread's slot for its grant, acquired once: the thread that acquires owns it, so it goes back when the thread ends. */
function replicaGpu(grant: GpuGrant): ReplicaGpu {
  if (held?.grant === grant) return held.gpu;
  const gpu: ReplicaGpu = { device: grant.slot?.device ?? grant.devices[0], bytes: grant.slot?.bytes ?? 0, devices: grant.devices, fraction: grant.fraction };
  if (grant.slot) Object.defineProperty(gpu, 'slot', { value: acquireSlot({ device: grant.slot.device, bytes: grant.slot.bytes }), enumerable: false });
  held = { grant, gpu };
  return gpu;
}

// A GPU replica's thread takes its slot when troupe loads in it, before the user's class is built: a slot the pool
// cannot give fails the replica's start with the pool's error, not its first call.
replicaContext();
