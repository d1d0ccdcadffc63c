// Device pools and the slots replicas hold in them. A pool reserves memory once
// per process (a GPU's, or aligned host memory for 'host'); a slot is an
// exclusive part of it with a hard quota and its own CUDA stream; buffers are
// carved from a slot. A slot goes back to the pool on release(), when it is
// garbage collected, or when the thread that acquired it exits or dies.
import { loadNative, type NativeSlot, type NativeSlotBuffer } from './binding.ts';
import { NativeArgumentError, fromNativeError } from './errors.ts';
import { planGather } from './layout.ts';
import type { GatherOptions } from './types.ts';
import { ARRAY_OF, type Dtype, type Tensor, type TensorData } from './tensor.ts';
import { rawTensors } from './batching.ts';

/** A GPU index from devices(), or 'host' for host memory. */
export type DeviceIndex = number | 'host';

export interface PoolStats {
  device: DeviceIndex;
  bytes: number;
  used: number;
  largestFree: number;
  slots: number;
}

export interface SlotStats extends Omit<PoolStats, 'slots' | 'device'> {
  id: number;
  device: DeviceIndex;
  buffers: number;
  released: boolean;
}

export interface AcquireSlotOptions {
  device: DeviceIndex;
  /** Exact quota in bytes (rounded up to 256). */
  bytes?: number;
  /** Share of the pool, e.g. a replica's numGpus (0.25 = a quarter). Used when bytes is absent. */
  fraction?: number;
}

function call<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw fromNativeError(err);
  }
}

async function callAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fromNativeError(err);
  }
}

function deviceNumber(device: DeviceIndex): number {
  if (device === 'host') return -1;
  if (!Number.isInteger(device) || device < 0) {
    throw new NativeArgumentError(`device must be a GPU index from devices() or 'host', not ${String(device)}`);
  }
  return device;
}

const deviceOf = (n: number): DeviceIndex => (n < 0 ? 'host' : n);

/**
 * Reserves the pool of a device once per process. Without bytes: half the GPU's free memory, or for
 * 'host' min(1 GiB, a quarter of RAM). Returns the pool's size. Acquiring a slot reserves the default
 * pool when none was reserved.
 */
export function reservePool(device: DeviceIndex, options: { bytes?: number } = {}): number {
  return call(() => loadNative().reservePool(deviceNumber(device), options.bytes ?? 0));
}

/** The size of a device's pool in bytes, reserving the default pool when none is: what slot shares are of. */
export function slotPoolBytes(device: DeviceIndex): number {
  const n = deviceNumber(device);
  const known = poolStats().find(p => p.device === device);
  return known ? known.bytes : call(() => loadNative().reservePool(n, 0));
}

/** Frees a pool's memory; false (and nothing freed) while slots are still held. */
export function closePool(device: DeviceIndex): boolean {
  return call(() => loadNative().closePool(deviceNumber(device)));
}

export function poolStats(): PoolStats[] {
  return call(() => loadNative().poolStats()).map((p) => ({ ...p, device: deviceOf(p.device) }));
}

export function acquireSlot(options: AcquireSlotOptions): Slot {
  const device = deviceNumber(options.device);
  const { bytes, fraction } = options;
  if (bytes === undefined && fraction === undefined) throw new NativeArgumentError('acquireSlot needs bytes or fraction');
  if (bytes !== undefined && (!Number.isSafeInteger(bytes) || bytes <= 0)) {
    throw new NativeArgumentError(`slot bytes must be a positive integer, not ${bytes}`);
  }
  if (bytes === undefined && !(fraction! > 0 && fraction! <= 1)) {
    throw new NativeArgumentError(`slot fraction must be in (0, 1], not ${fraction}`);
  }
  const slot = new Slot(call(() => loadNative().acquireSlot(device, bytes ?? 0, fraction ?? 0)));
  acquired.add(new WeakRef(slot));
  return slot;
}

/** Slots this thread acquired, for heldSlotBytes(): weak, so that a slot left to the GC still goes. */
const acquired = new Set<WeakRef<Slot>>();

/** The quota bytes of the slots this thread holds (what /metrics shows per replica); never loads the addon. */
export function heldSlotBytes(): number {
  let n = 0;
  for (const ref of acquired) {
    const slot = ref.deref();
    if (slot === undefined || slot.released) acquired.delete(ref);
    else n += slot.bytes;
  }
  return n;
}

/** How many slots the calling thread holds (released ones excluded). */
export function ownedSlotCount(): number {
  return loadNative().ownedSlots();
}

export class SlotBuffer {
  readonly #native: NativeSlotBuffer;

  /** @internal */
  constructor(native: NativeSlotBuffer) {
    this.#native = native;
  }

  get byteLength(): number {
    return this.#native.byteLength;
  }
  get device(): DeviceIndex {
    return deviceOf(this.#native.device);
  }
  /** True once freed or once its slot was released. */
  get freed(): boolean {
    return this.#native.freed;
  }
  /** Address in the slot's memory (a device pointer for GPU slots), for libraries that bind raw memory. */
  get address(): bigint {
    return this.#native.address;
  }

  /** Copies host memory (any typed array, including views of a SharedArrayBuffer) into the buffer, off the event loop. */
  write(source: ArrayBufferView | ArrayBufferLike, byteOffset = 0): Promise<void> {
    return callAsync(() => this.#native.write(source, byteOffset));
  }

  /** Copies buffer bytes starting at byteOffset into `target` (its whole length), off the event loop. */
  read(target: ArrayBufferView | ArrayBufferLike, byteOffset = 0): Promise<void> {
    return callAsync(() => this.#native.read(target, byteOffset));
  }

  /** Host slots only: an ArrayBuffer over the buffer's memory, detached when the buffer is freed or the slot released. */
  hostView(): ArrayBuffer {
    return call(() => this.#native.hostView());
  }

  free(): void {
    call(() => this.#native.free());
  }
}

export interface SlotBatch {
  buffer: SlotBuffer;
  dtype: Dtype;
  /** [batchSize, ...padded request shape] */
  shape: number[];
  lengths: number[][];
  padDims: number[];
  count: number;
  /** Copies the batch to host memory. */
  toHost(): Promise<Tensor>;
}

export class Slot {
  readonly #native: NativeSlot;

  /** @internal */
  constructor(native: NativeSlot) {
    this.#native = native;
  }

  get id(): number {
    return this.#native.id;
  }
  get device(): DeviceIndex {
    return deviceOf(this.#native.device);
  }
  /** The quota in bytes. */
  get bytes(): number {
    return this.#native.bytes;
  }
  get released(): boolean {
    return this.#native.released;
  }

  /** Carves a buffer; throws SlotQuotaError (requested, used, limit) past the quota. */
  alloc(bytes: number): SlotBuffer {
    return new SlotBuffer(call(() => this.#native.alloc(bytes)));
  }

  stats(): SlotStats {
    const s = call(() => this.#native.stats());
    return { ...s, device: deviceOf(s.device) };
  }

  /** Returns the slot to its pool; its buffers become unusable and their host views are detached. */
  release(): void {
    call(() => this.#native.release());
  }

  [Symbol.dispose](): void {
    this.release();
  }

  /**
   * Gathers request tensors into a new buffer of this slot. On a GPU the tensors are staged through
   * pinned memory and padded on the device; on a host slot the padding happens on a pool thread.
   */
  async gather(tensors: readonly Tensor[], options: Omit<GatherOptions, 'out'> = {}): Promise<SlotBatch> {
    const layout = planGather(tensors, options);
    const native = await callAsync(() =>
      this.#native.gather(rawTensors(tensors), layout.row, layout.rows, layout.padBits),
    );
    const buffer = new SlotBuffer(native);
    const shape = [layout.rows, ...layout.row];
    return {
      buffer,
      dtype: layout.dtype,
      shape,
      lengths: layout.lengths,
      padDims: layout.padDims,
      count: tensors.length,
      async toHost(): Promise<Tensor> {
        const data: TensorData = new ARRAY_OF[layout.dtype](shape.reduce((a, b) => a * b, 1));
        await buffer.read(data, 0);
        return { dtype: layout.dtype, shape, data } as Tensor;
      },
    };
  }
}
