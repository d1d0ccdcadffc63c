import { TroupeError, registerError } from './troupe-error.ts';

/** A public function or option got a value of the wrong type or out of range; the message names it and what it takes. */
export class InvalidArgumentError extends TroupeError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('TROUPE_ERR_INVALID_ARGUMENT', message, { details });
  }
}
registerError('InvalidArgumentError', InvalidArgumentError);
