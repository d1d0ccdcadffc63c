// Errors of the native layer. The addon throws plain Errors carrying a `code`
// and `details`; fromNativeError turns them into these classes.
import { TroupeError, registerError } from '../errors/index.ts';

type Opts = { cause?: unknown; details?: Record<string, unknown> };

export class NativeMissingError extends TroupeError {
  constructor(message: string, options: Opts = {}) {
    super('TROUPE_ERR_NATIVE_MISSING', message, options);
  }
}

/** A call into the addon got an argument it cannot use. */
export class NativeArgumentError extends TroupeError {
  constructor(message: string, options: Opts = {}) {
    super('TROUPE_ERR_NATIVE_ARGUMENT', message, options);
  }
}

export class EmptyBatchError extends TroupeError {
  constructor(message = 'gather needs at least one tensor', options: Opts = {}) {
    super('TROUPE_ERR_EMPTY_BATCH', message, options);
  }
}

/** Tensors of one gather disagree on dtype, or a tensor's data is not the array its dtype needs. */
export class DTypeMismatchError extends TroupeError {
  constructor(message: string, options: Opts = {}) {
    super('TROUPE_ERR_DTYPE_MISMATCH', message, options);
  }
}

export class RankMismatchError extends TroupeError {
  constructor(message: string, options: Opts = {}) {
    super('TROUPE_ERR_RANK_MISMATCH', message, options);
  }
}

/** A shape does not match its data length, or shapes differ along a dimension that is not padded. */
export class TensorShapeError extends TroupeError {
  constructor(message: string, options: Opts = {}) {
    super('TROUPE_ERR_SHAPE_MISMATCH', message, options);
  }
}

export class DetachedBufferError extends TroupeError {
  constructor(message: string, options: Opts = {}) {
    super('TROUPE_ERR_DETACHED_BUFFER', message, options);
  }
}

/** A slot allocation would pass the slot's quota; details: requested, used, limit (bytes). */
export class SlotQuotaError extends TroupeError {
  constructor(message: string, options: Opts = {}) {
    super('TROUPE_ERR_SLOT_QUOTA', message, options);
  }
  get requested(): number {
    return this.details.requested as number;
  }
  get used(): number {
    return this.details.used as number;
  }
  get limit(): number {
    return this.details.limit as number;
  }
}

/** The slot has the bytes free in total but not in one run. */
export class SlotFragmentedError extends TroupeError {
  constructor(message: string, options: Opts = {}) {
    super('TROUPE_ERR_SLOT_FRAGMENTED', message, options);
  }
}

export class SlotReleasedError extends TroupeError {
  constructor(message: string, options: Opts = {}) {
    super('TROUPE_ERR_SLOT_RELEASED', message, options);
  }
}

export class SlotBufferFreedError extends TroupeError {
  constructor(message: string, options: Opts = {}) {
    super('TROUPE_ERR_BUFFER_FREED', message, options);
  }
}

export class SlotRangeError extends TroupeError {
  constructor(message: string, options: Opts = {}) {
    super('TROUPE_ERR_OUT_OF_RANGE', message, options);
  }
}

/** The pool cannot carve a slot of the asked size. */
export class PoolExhaustedError extends TroupeError {
  constructor(message: string, options: Opts = {}) {
    super('TROUPE_ERR_POOL_EXHAUSTED', message, options);
  }
}

export class PoolReservedError extends TroupeError {
  constructor(message: string, options: Opts = {}) {
    super('TROUPE_ERR_POOL_RESERVED', message, options);
  }
}

export class DeviceNotFoundError extends TroupeError {
  constructor(message: string, options: Opts = {}) {
    super('TROUPE_ERR_NO_SUCH_DEVICE', message, options);
  }
}

/** A buffer in GPU memory was asked for a host view. */
export class NotHostMemoryError extends TroupeError {
  constructor(message: string, options: Opts = {}) {
    super('TROUPE_ERR_NOT_HOST_MEMORY', message, options);
  }
}

/** The CUDA runtime failed, the device ran out of memory, or CUDA is not compiled in. */
export class DeviceError extends TroupeError {
  constructor(code: string, message: string, options: Opts = {}) {
    super(code, message, options);
  }
}

export class NativeInternalError extends TroupeError {
  constructor(message: string, options: Opts = {}) {
    super('TROUPE_ERR_NATIVE_INTERNAL', message, options);
  }
}

const byCode: Record<string, new (message: string, options: Opts) => TroupeError> = {
  TROUPE_ERR_NATIVE_ARGUMENT: NativeArgumentError,
  TROUPE_ERR_NATIVE_DTYPE: DTypeMismatchError,
  TROUPE_ERR_EMPTY_BATCH: EmptyBatchError,
  TROUPE_ERR_DTYPE_MISMATCH: DTypeMismatchError,
  TROUPE_ERR_RANK_MISMATCH: RankMismatchError,
  TROUPE_ERR_SHAPE_MISMATCH: TensorShapeError,
  TROUPE_ERR_DETACHED_BUFFER: DetachedBufferError,
  TROUPE_ERR_SLOT_QUOTA: SlotQuotaError,
  TROUPE_ERR_SLOT_FRAGMENTED: SlotFragmentedError,
  TROUPE_ERR_SLOT_RELEASED: SlotReleasedError,
  TROUPE_ERR_BUFFER_FREED: SlotBufferFreedError,
  TROUPE_ERR_OUT_OF_RANGE: SlotRangeError,
  TROUPE_ERR_POOL_EXHAUSTED: PoolExhaustedError,
  TROUPE_ERR_POOL_RESERVED: PoolReservedError,
  TROUPE_ERR_NO_SUCH_DEVICE: DeviceNotFoundError,
  TROUPE_ERR_NOT_HOST_MEMORY: NotHostMemoryError,
  TROUPE_ERR_NATIVE_INTERNAL: NativeInternalError,
};

/** Turns an error thrown by the addon into its troupe class; anything else passes through. */
export function fromNativeError(err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof TroupeError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('TROUPE_ERR_')) return err;
  const details = ((err as { details?: unknown }).details ?? {}) as Record<string, unknown>;
  const cls = byCode[code];
  if (cls) return new cls(err.message, { details });
  return new DeviceError(code, err.message, { details });
}

for (const cls of [
  NativeMissingError, NativeArgumentError, EmptyBatchError, DTypeMismatchError, RankMismatchError, TensorShapeError,
  DetachedBufferError, SlotQuotaError, SlotFragmentedError, SlotReleasedError, SlotBufferFreedError, SlotRangeError,
  PoolExhaustedError, PoolReservedError, DeviceNotFoundError, NotHostMemoryError, DeviceError, NativeInternalError,
]) {
  registerError(cls.name, cls);
}
