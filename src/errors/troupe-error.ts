// The one base class of every error troupe throws. A stable `code` names the kind,
// the message says what to do next, and `cause` is kept. Errors cross threads as
// plain records and are rebuilt from the catalog on the other side.

const brand = Symbol.for('troupe.error');

export interface ErrorRecord {
  name: string;
  code?: string;
  message: string;
  stack?: string;
  cause?: ErrorRecord | unknown;
  details?: Record<string, unknown>;
}

export class TroupeError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
    this.name = new.target.name;
  }

  // instanceof survives two copies of the library loaded side by side.
  static [Symbol.hasInstance](value: unknown): boolean {
    if (this === TroupeError) return typeof value === 'object' && value !== null && (value as any)[brand] === true;
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }

  get [brand]() {
    return true;
  }
}

type ErrorClass = new (...args: any[]) => Error;
const catalog = new Map<string, ErrorClass>();
for (const builtin of [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError, AggregateError]) {
  catalog.set(builtin.name, builtin);
}

/** Registers an error class so that it can be rebuilt after crossing a thread. */
export function registerError(name: string, cls: ErrorClass): void {
  catalog.set(name, cls);
}

/** Flattens an error (or any thrown value) to a record that survives msgpackr and structured clone. */
export function toErrorRecord(err: unknown, depth = 0): ErrorRecord {
  if (!(err instanceof Error)) {
    return { name: 'Error', message: typeof err === 'string' ? err : `non-error value thrown: ${safeString(err)}` };
  }
  const record: ErrorRecord = { name: err.name, message: err.message, stack: err.stack };
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') record.code = code;
  const details = (err as { details?: unknown }).details;
  if (details && typeof details === 'object') record.details = details as Record<string, unknown>;
  if (err.cause !== undefined && depth < 8) record.cause = toErrorRecord(err.cause, depth + 1);
  return record;
}

/** Rebuilds an error from its record: the same class where the catalog knows the name. */
export function fromErrorRecord(record: ErrorRecord, extraStack = ''): Error {
  const cause = record.cause && typeof record.cause === 'object' && 'message' in (record.cause as object)
    ? fromErrorRecord(record.cause as ErrorRecord)
    : record.cause;
  const cls = catalog.get(record.name);
  let err: Error;
  if (cls) {
    err = Object.create(cls.prototype);
    Object.defineProperty(err, 'message', { value: record.message, writable: true, configurable: true });
    if (cause !== undefined) Object.defineProperty(err, 'cause', { value: cause, writable: true, configurable: true });
  } else {
    err = new Error(record.message, cause === undefined ? undefined : { cause });
  }
  Object.defineProperty(err, 'name', { value: record.name, writable: true, configurable: true });
  if (record.code !== undefined) (err as any).code = record.code;
  if (record.details !== undefined) (err as any).details = record.details;
  Object.defineProperty(err, 'stack', {
    value: (record.stack ?? `${record.name}: ${record.message}`) + extraStack,
    writable: true,
    configurable: true,
  });
  return err;
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return typeof value;
  }
}
