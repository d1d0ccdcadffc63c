// Errors of the object store. Each names what went wrong with a ref or the arena and what to do next.
import { TroupeError, registerError } from '../errors/index.ts';

/** The ref's object was released (every holder let go) and its memory may hold someone else's data now. */
export class ObjectReleasedError extends TroupeError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('TROUPE_ERR_OBJECT_RELEASED', message, { details });
  }
}

/** The arena (or its object table) has no room for a put, even after waiting for frees. */
export class ObjectStoreFullError extends TroupeError {
  constructor(
    message: string,
    details: { requested: number; free: number; capacity: number; largestFree: number; objects: number; reason: string },
  ) {
    super('TROUPE_ERR_OBJECT_STORE_FULL', message, { details });
  }
}

/** The ref was made by another store (another runtime, or a store that was recreated). */
export class ForeignObjectRefError extends TroupeError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('TROUPE_ERR_FOREIGN_OBJECT_REF', message, { details });
  }
}

/** The value is not a well-formed ref, or its fields (offset, length, dtype, shape) do not match the stored object. */
export class InvalidObjectRefError extends TroupeError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('TROUPE_ERR_INVALID_OBJECT_REF', message, { details });
  }
}

/** A tensor whose dtype, shape and data length disagree, or a value the store cannot hold. */
export class InvalidTensorError extends TroupeError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('TROUPE_ERR_INVALID_TENSOR', message, { details });
  }
}

/** A release or take by a holder that holds nothing on that object (a double release). */
export class ObjectNotHeldError extends TroupeError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('TROUPE_ERR_OBJECT_NOT_HELD', message, { details });
  }
}

/** The store's shared lock stayed taken past its deadline: a thread probably died inside the store. */
export class ObjectStoreLockError extends TroupeError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('TROUPE_ERR_OBJECT_STORE_LOCK', message, { details });
  }
}

/** Bad options to create or attach a store, or a use of a closed store. */
export class ObjectStoreConfigError extends TroupeError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('TROUPE_ERR_OBJECT_STORE_CONFIG', message, { details });
  }
}

registerError('ObjectReleasedError', ObjectReleasedError);
registerError('ObjectStoreFullError', ObjectStoreFullError);
registerError('ForeignObjectRefError', ForeignObjectRefError);
registerError('InvalidObjectRefError', InvalidObjectRefError);
registerError('InvalidTensorError', InvalidTensorError);
registerError('ObjectNotHeldError', ObjectNotHeldError);
registerError('ObjectStoreLockError', ObjectStoreLockError);
registerError('ObjectStoreConfigError', ObjectStoreConfigError);
