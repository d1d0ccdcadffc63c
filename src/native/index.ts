// The native layer's face: the addon typed, with TypeScript fallbacks for
// gather/scatter where the binary is missing.
import { loadNative, nativeAvailable } from './binding.ts';
import type { DeviceInfo } from './types.ts';

export { nativeAvailable, loadNative, nativeCandidates, type NativeBinding } from './binding.ts';
export { gather, gatherAsync, scatter } from './batching.ts';
export { fillBatch, gatherReference, scatterReference } from './reference.ts';
export {
  DTYPES, ARRAY_OF, isDtype, typedArrayFor, dtypeBytes, allocateData, dataMatchesDtype, dtypeOfArray, elementCount, checkTensor,
  tensor, isTensor, padBitsOf, fillBitsOf, elementOfBits, toFloat16Bits, MAX_RANK,
  type Dtype, type DataOf, type Tensor, type TensorData, type TypedArray, type TypedArrayClass,
} from './tensor.ts';
export {
  acquireSlot, closePool, heldSlotBytes, ownedSlotCount, poolStats, reservePool, Slot, SlotBuffer, slotPoolBytes,
  type AcquireSlotOptions, type DeviceIndex, type PoolStats, type SlotBatch, type SlotStats,
} from './slots.ts';
export { aliasArrayBuffer, aliasWhole } from './alias.ts';
export {
  DTypeMismatchError, DetachedBufferError, DeviceError, DeviceNotFoundError, EmptyBatchError, NativeArgumentError,
  NativeInternalError, NativeMissingError, NotHostMemoryError, PoolExhaustedError, PoolReservedError, RankMismatchError,
  SlotBufferFreedError, SlotFragmentedError, SlotQuotaError, SlotRangeError, SlotReleasedError, TensorShapeError,
  fromNativeError,
} from './errors.ts';
export type { DeviceInfo, GatherOptions, GatherResult, ScatterLengths, ScatterOptions } from './types.ts';

/** GPUs visible to this process; empty (never throws) with no GPU, no driver, or no binary. */
export function devices(): DeviceInfo[] {
  if (!nativeAvailable()) return [];
  try {
    return loadNative().devices();
  } catch {
    return [];
  }
}

/** Whether the binary was built with CUDA, and why devices() is empty when it is. */
export function gpuDiagnostic(): { cudaCompiled: boolean; message: string } {
  if (!nativeAvailable()) return { cudaCompiled: false, message: 'the native addon is not built' };
  const b = loadNative();
  return { cudaCompiled: b.cudaCompiled, message: b.diagnostic() };
}

/** Pinned host↔device copy bandwidth of a GPU in bytes/s (the device's own ceiling), best of `iterations`. */
export function measureDeviceCopyBandwidth(device: number, options: { bytes?: number; iterations?: number; direction?: 'toDevice' | 'toHost' } = {}): number {
  return loadNative().measureCopyBandwidth(device, options.bytes ?? 64 << 20, options.iterations ?? 5, options.direction !== 'toHost');
}
