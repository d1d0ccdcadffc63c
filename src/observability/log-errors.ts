// Errors of logging options: a level or format that troupe does not know.
import { TroupeError, registerError } from '../errors/index.ts';

export class LoggingOptionError extends TroupeError {
  constructor(what: string, value: unknown, allowed: readonly string[]) {
    super(
      'TROUPE_ERR_LOGGING_OPTION',
      `${what} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}; fix the option (or TROUPE_LOG_LEVEL / TROUPE_LOG_FORMAT)`,
      { details: { value, allowed } },
    );
  }
}

/** A GET /api/logs query parameter that cannot be used (a limit that is not a positive integer). */
export class LogQueryError extends TroupeError {
  constructor(message: string) {
    super('TROUPE_ERR_LOG_QUERY', message);
  }
}

registerError('LoggingOptionError', LoggingOptionError);
registerError('LogQueryError', LogQueryError);
