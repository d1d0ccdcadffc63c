import { TroupeError, registerError } from '../../errors/index.ts';

/** A load-generator option is missing, out of range, or contradicts another. */
export class BenchOptionsError extends TroupeError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('TROUPE_ERR_BENCH_OPTIONS', message, { details });
  }
}

/** The load generator only targets this machine's loopback interface. */
export class BenchTargetNotLocalError extends TroupeError {
  constructor(url: string) {
    super(
      'TROUPE_ERR_BENCH_TARGET_NOT_LOCAL',
      `bench targets only 127.0.0.1 (or localhost / ::1), got ${url}: start the server locally and point the bench at it`,
      { details: { url } },
    );
  }
}

registerError('BenchOptionsError', BenchOptionsError);
registerError('BenchTargetNotLocalError', BenchTargetNotLocalError);
