// Errors of @batch: bad options or a bad method at decoration, a full queue at
// call time, a batch method that broke its contract (not one result per call).
import { TroupeError, registerError } from '../errors/index.ts';

type Opts = { cause?: unknown; details?: Record<string, unknown> };

/** An option of @batch or configureBatch is missing, of the wrong type, or out of range. */
export class BatchOptionsError extends TroupeError {
  constructor(message: string, options: Opts = {}) {
    super('TROUPE_ERR_BATCH_OPTIONS', message, options);
  }
}
registerError('BatchOptionsError', BatchOptionsError);

/** @batch was put on something that cannot be batched (a sync method, a generator, a field). */
export class BatchMethodError extends TroupeError {
  constructor(message: string, options: Opts = {}) {
    super('TROUPE_ERR_BATCH_METHOD', message, options);
  }
}
registerError('BatchMethodError', BatchMethodError);

/** configureBatch or batchStats named a method that has no @batch. */
export class NotBatchedError extends TroupeError {
  constructor(method: string, batched: string[]) {
    super(
      'TROUPE_ERR_NOT_BATCHED',
      `${method} is not a @batch method${batched.length ? `; the batched methods here are ${batched.join(', ')}` : ' and this object has no @batch methods'}.`,
      { details: { method, batched } },
    );
  }
}
registerError('NotBatchedError', NotBatchedError);

/** The calls waiting for a batch reached maxQueuedCalls: the caller should back off and retry. */
export class BatchQueueFullError extends TroupeError {
  constructor(method: string, limit: number) {
    super(
      'TROUPE_ERR_BATCH_QUEUE_FULL',
      `${method} already has ${limit} calls waiting for a batch (maxQueuedCalls): retry later, add replicas, or raise maxQueuedCalls.`,
      { details: { method, limit } },
    );
  }
}
registerError('BatchQueueFullError', BatchQueueFullError);

/** The batch method returned something other than one result per call. */
export class BatchResultError extends TroupeError {
  constructor(method: string, expected: number, actual: number | string) {
    const got = typeof actual === 'number' ? `an array of ${actual}` : actual;
    super(
      'TROUPE_ERR_BATCH_RESULT',
      `${method} was called with a batch of ${expected} and must return an array of ${expected} results (one per call, in order), but returned ${got}.`,
      { details: { method, expected, actual } },
    );
  }
}
registerError('BatchResultError', BatchResultError);
