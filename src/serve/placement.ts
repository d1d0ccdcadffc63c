// Placement of replicas against one machine's capacity. GPUs and memory are hard limits: a replica that asks
// for more than is free is refused with an error that says what to do. A fractional numGpus (0.5) packs
// replicas onto one GPU (first fit), each with its share; where the capacity knows its devices' pool sizes the
// grant also carries the slot (device, bytes) the replica's thread acquires when it starts. CPUs are hard for all but a deployment's first replica (the controller
// asks with softCpus): a deployment must be able to serve at all, and its oversubscription is said in its
// status message; its further replicas wait (PENDING) for CPUs instead of slowing every replica down.
import type { DeviceIndex } from '../native/index.ts';
import { InsufficientResourcesError } from './errors.ts';

/** Slot quotas are whole multiples of this (the native pool's alignment). */
const SLOT_ALIGN = 256;

export interface Capacity {
  cpus: number;
  /** GPU device indices (from the native addon's devices()), or ['host'] to run GPU deployments on host slots. */
  gpus: DeviceIndex[];
  /** The size of a device's slot pool in bytes: with it, grants carry the slot a replica acquires. */
  deviceBytes?: (device: DeviceIndex) => number;
  /** Memory replicas may reserve with actorOptions.memory, in MiB (default: no limit). */
  memoryMb?: number;
}

export interface ReserveOptions {
  /** V8 heap the replica asks for (actorOptions.memory), in MiB. */
  memoryMb?: number;
  /** Start it even past the machine's CPUs (default true; the controller passes false for extra replicas). */
  softCpus?: boolean;
  /** Slot quota the replica asks for (actorOptions.gpuMemoryBytes): without numGpus, its share of the device. */
  gpuMemoryBytes?: number;
}

/** The GPU share a replica holds: a device index and a fraction of it (1 or more: whole devices). */
export interface GpuGrant {
  devices: DeviceIndex[];
  fraction: number;
  /** The native slot its thread acquires (on devices[0]); absent when the capacity has no deviceBytes. */
  slot?: { device: DeviceIndex; bytes: number };
}

export interface ResourceUsage {
  cpus: { used: number; total: number };
  gpus: { used: number; total: number };
  /** total is undefined when memory is not limited. */
  memoryMb: { used: number; total: number | undefined };
}

export interface Grant {
  cpus: number;
  memoryMb?: number;
  gpu?: GpuGrant;
}

export class Placement {
  readonly capacity: Capacity;
  #cpusUsed = 0;
  #memoryUsed = 0;
  /** Share of each GPU in use, by device index. */
  #gpuUsed = new Map<DeviceIndex, number>();

  constructor(capacity: Capacity) {
    this.capacity = capacity;
    for (const d of capacity.gpus) this.#gpuUsed.set(d, 0);
  }

  /** A copy with the same reservations, to try a whole application before starting any replica. */
  clone(): Placement {
    const copy = new Placement(this.capacity);
    copy.#cpusUsed = this.#cpusUsed;
    copy.#memoryUsed = this.#memoryUsed;
    copy.#gpuUsed = new Map(this.#gpuUsed);
    return copy;
  }

  get cpusUsed(): number {
    return this.#cpusUsed;
  }

  /** What replicas hold of this machine, against what it has. */
  usage(): ResourceUsage {
    let gpus = 0;
    for (const used of this.#gpuUsed.values()) gpus += used;
    return {
      cpus: { used: round(this.#cpusUsed), total: this.capacity.cpus },
      gpus: { used: round(gpus), total: this.capacity.gpus.length },
      memoryMb: { used: this.#memoryUsed, total: this.capacity.memoryMb },
    };
  }

  /** Reserves what one replica of `deployment` needs; throws InsufficientResourcesError for what it cannot have. */
  reserve(deployment: string, numCpus: number, numGpus: number, options: ReserveOptions = {}): Grant {
    const eps = 1e-9;
    const { memoryMb, softCpus = true, gpuMemoryBytes } = options;
    if (!softCpus && this.#cpusUsed + numCpus > this.capacity.cpus + eps) {
      throw new InsufficientResourcesError(deployment, 'actorOptions.numCpus', numCpus, round(Math.max(0, this.capacity.cpus - this.#cpusUsed)), this.capacity.cpus, 'CPUs');
    }
    const memoryCap = this.capacity.memoryMb;
    if (memoryMb && memoryCap !== undefined && this.#memoryUsed + memoryMb > memoryCap) {
      throw new InsufficientResourcesError(deployment, 'actorOptions.memory', memoryMb, Math.max(0, memoryCap - this.#memoryUsed), memoryCap, 'MiB of memory');
    }
    const grant: Grant = { cpus: numCpus };
    if (numGpus > 0 || gpuMemoryBytes) grant.gpu = this.#reserveGpu(deployment, numGpus, gpuMemoryBytes);
    this.#cpusUsed += numCpus;
    if (memoryMb) {
      grant.memoryMb = memoryMb;
      this.#memoryUsed += memoryMb;
    }
    return grant;
  }

  release(grant: Grant): void {
    this.#cpusUsed -= grant.cpus;
    this.#memoryUsed -= grant.memoryMb ?? 0;
    if (!grant.gpu) return;
    const share = grant.gpu.fraction >= 1 ? 1 : grant.gpu.fraction;
    for (const d of grant.gpu.devices) this.#gpuUsed.set(d, Math.max(0, this.#gpuUsed.get(d)! - share));
  }

  /** A warning when the CPUs asked for exceed the machine's, or undefined. */
  cpuWarning(): string | undefined {
    if (this.#cpusUsed <= this.capacity.cpus) return undefined;
    return `replicas ask for ${this.#cpusUsed} CPUs (actorOptions.numCpus) and this machine has ${this.capacity.cpus}: they share cores and run slower; lower numCpus or numReplicas to stop this`;
  }

  #reserveGpu(deployment: string, numGpus: number, bytes: number | undefined): GpuGrant {
    const total = this.capacity.gpus.length;
    const eps = 1e-9;
    const poolOf = this.capacity.deviceBytes;
    if (bytes !== undefined && poolOf && total > 0) {
      // A quota no device's pool can hold is a mistake in the options, not a wait for resources.
      const largest = Math.max(...this.capacity.gpus.map(d => poolOf(d)));
      if (bytes > largest) throw new InsufficientResourcesError(deployment, 'actorOptions.gpuMemoryBytes', bytes, largest, largest, 'bytes of slot memory');
    }
    const slotOf = (device: DeviceIndex, share: number): GpuGrant['slot'] => {
      if (!poolOf) return undefined;
      return { device, bytes: bytes ?? Math.max(SLOT_ALIGN, Math.floor((poolOf(device) * Math.min(share, 1)) / SLOT_ALIGN) * SLOT_ALIGN) };
    };
    if (numGpus < 1) {
      // A quota books the share of the device it takes, when that is more than numGpus.
      const shareOn = (d: DeviceIndex) => Math.max(numGpus, bytes !== undefined && poolOf ? bytes / poolOf(d) : 0);
      const device = this.capacity.gpus.find(d => this.#gpuUsed.get(d)! + shareOn(d) <= 1 + eps);
      if (device === undefined) {
        const option = numGpus > 0 ? 'actorOptions.numGpus' : 'actorOptions.gpuMemoryBytes';
        throw new InsufficientResourcesError(deployment, option, numGpus > 0 ? numGpus : bytes!, this.#freeGpu(), total);
      }
      const share = shareOn(device);
      this.#gpuUsed.set(device, this.#gpuUsed.get(device)! + share);
      const grant: GpuGrant = { devices: [device], fraction: share };
      const slot = slotOf(device, share);
      if (slot) grant.slot = slot;
      return grant;
    }
    const free = this.capacity.gpus.filter(d => this.#gpuUsed.get(d)! <= eps);
    if (free.length < numGpus) throw new InsufficientResourcesError(deployment, 'actorOptions.numGpus', numGpus, this.#freeGpu(), total);
    const devices = free.slice(0, numGpus);
    for (const d of devices) this.#gpuUsed.set(d, 1);
    const grant: GpuGrant = { devices, fraction: numGpus };
    const slot = slotOf(devices[0], 1);
    if (slot) grant.slot = slot;
    return grant;
  }

  #freeGpu(): number {
    let free = 0;
    for (const used of this.#gpuUsed.values()) free += 1 - used;
    return round(free);
  }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
