// Placement of replicas against one machine's capacity. GPUs and memory are hard limits: a replica that asks
// for more than is free is refused with an error that says what to do. A fractional numGpus (0.5) packs
// replicas onto one GPU (first fit), each with its share, which the replica can turn into a native slot
// (acquireSlot({ device, fraction })). CPUs are hard for all but a deployment's first replica (the controller
// asks with softCpus): a deployment must be able to serve at all, and its oversubscription is said in its
// status message; its further replicas wait (PENDING) for CPUs instead of slowing every replica down.
import { InsufficientResourcesError } from './errors.ts';

export interface Capacity {
  cpus: number;
  /** GPU device indices (from the native addon's devices()). */
  gpus: number[];
  /** Memory replicas may reserve with actorOptions.memory, in MiB (default: no limit). */
  memoryMb?: number;
}

export interface ReserveOptions {
  /** V8 heap the replica asks for (actorOptions.memory), in MiB. */
  memoryMb?: number;
  /** Start it even past the machine's CPUs (default true; the controller passes false for extra replicas). */
  softCpus?: boolean;
}

/** The GPU share a replica holds: a device index and a fraction of it (1 or more: whole devices). */
export interface GpuGrant {
  devices: number[];
  fraction: number;
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
  #gpuUsed = new Map<number, number>();

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
    const { memoryMb, softCpus = true } = options;
    if (!softCpus && this.#cpusUsed + numCpus > this.capacity.cpus + eps) {
      throw new InsufficientResourcesError(deployment, 'actorOptions.numCpus', numCpus, round(Math.max(0, this.capacity.cpus - this.#cpusUsed)), this.capacity.cpus, 'CPUs');
    }
    const memoryCap = this.capacity.memoryMb;
    if (memoryMb && memoryCap !== undefined && this.#memoryUsed + memoryMb > memoryCap) {
      throw new InsufficientResourcesError(deployment, 'actorOptions.memory', memoryMb, Math.max(0, memoryCap - this.#memoryUsed), memoryCap, 'MiB of memory');
    }
    const grant: Grant = { cpus: numCpus };
    if (numGpus > 0) grant.gpu = this.#reserveGpu(deployment, numGpus);
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
    const share = Math.min(grant.gpu.fraction, 1);
    for (const d of grant.gpu.devices) this.#gpuUsed.set(d, Math.max(0, this.#gpuUsed.get(d)! - share));
  }

  /** A warning when the CPUs asked for exceed the machine's, or undefined. */
  cpuWarning(): string | undefined {
    if (this.#cpusUsed <= this.capacity.cpus) return undefined;
    return `replicas ask for ${this.#cpusUsed} CPUs (actorOptions.numCpus) and this machine has ${this.capacity.cpus}: they share cores and run slower; lower numCpus or numReplicas to stop this`;
  }

  #reserveGpu(deployment: string, numGpus: number): GpuGrant {
    const total = this.capacity.gpus.length;
    const eps = 1e-9;
    if (numGpus < 1) {
      const device = this.capacity.gpus.find(d => this.#gpuUsed.get(d)! + numGpus <= 1 + eps);
      if (device === undefined) throw new InsufficientResourcesError(deployment, 'actorOptions.numGpus', numGpus, this.#freeGpu(), total);
      this.#gpuUsed.set(device, this.#gpuUsed.get(device)! + numGpus);
      return { devices: [device], fraction: numGpus };
    }
    const free = this.capacity.gpus.filter(d => this.#gpuUsed.get(d)! <= eps);
    if (free.length < numGpus) throw new InsufficientResourcesError(deployment, 'actorOptions.numGpus', numGpus, this.#freeGpu(), total);
    const devices = free.slice(0, numGpus);
    for (const d of devices) this.#gpuUsed.set(d, 1);
    return { devices, fraction: numGpus };
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
