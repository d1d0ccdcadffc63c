// HTTP errors. The status lives in `details.status`, so an HttpError thrown in a replica keeps it after being
// flattened to a record and rebuilt on the main thread.
import { InvalidArgumentError, TroupeError, registerError } from '../errors/index.ts';

export class HttpError extends TroupeError {
  constructor(status: number, message: string, details: Record<string, unknown> = {}, code = 'TROUPE_ERR_HTTP') {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new InvalidArgumentError(`HttpError status must be an integer from 400 to 599, got ${String(status)}`);
    }
    super(code, message, { details: { ...details, status } });
  }

  get status(): number {
    return this.details.status as number;
  }
}

export class RouteNotFoundError extends HttpError {
  constructor(method: string, path: string) {
    super(404, `no route for ${method} ${path}; the admin API's GET /api/routes lists the mounted routes`, { method, path }, 'TROUPE_ERR_ROUTE_NOT_FOUND');
  }
}

export class MethodNotAllowedError extends HttpError {
  constructor(method: string, path: string, allow: string[]) {
    super(405, `${method} is not allowed on ${path}; allowed: ${allow.join(', ')}`, { method, path, allow }, 'TROUPE_ERR_METHOD_NOT_ALLOWED');
  }
}

export class MalformedBodyError extends HttpError {
  constructor(message: string, cause?: unknown) {
    super(400, `malformed request body: ${message}`, {}, 'TROUPE_ERR_MALFORMED_BODY');
    if (cause !== undefined) Object.defineProperty(this, 'cause', { value: cause, configurable: true, writable: true });
  }
}

export interface ValidationIssue {
  /** Where: 'body', 'query' or 'params', then a JSON pointer, e.g. 'body/items/0/price'. */
  path: string;
  message: string;
  keyword: string;
}

export class ValidationError extends HttpError {
  constructor(part: string, issues: ValidationIssue[]) {
    const first = issues[0];
    super(400, `request ${part} does not match its schema${first ? `: ${first.path} ${first.message}` : ''}`, { errors: issues }, 'TROUPE_ERR_VALIDATION');
  }
}

export class BodyTooLargeError extends HttpError {
  constructor(limit: number) {
    super(413, `request body is larger than ${limit} bytes; send less or raise maxBodyBytes`, { limit }, 'TROUPE_ERR_BODY_TOO_LARGE');
  }
}

export class UnsupportedMediaTypeError extends HttpError {
  constructor(contentType: string, accepted: string[]) {
    super(415, `content type '${contentType || '(none)'}' is not accepted here; send one of: ${accepted.join(', ')}`, { contentType, accepted }, 'TROUPE_ERR_UNSUPPORTED_MEDIA_TYPE');
  }
}

export class RequestTimeoutError extends HttpError {
  constructor(timeoutMs: number, phase: 'body' | 'call') {
    super(
      phase === 'body' ? 408 : 504,
      phase === 'body'
        ? `the request body did not arrive within ${timeoutMs} ms`
        : `the application did not answer within ${timeoutMs} ms; the call was cancelled (raise requestTimeoutMs for slow models)`,
      { timeoutMs, phase },
      phase === 'body' ? 'TROUPE_ERR_BODY_TIMEOUT' : 'TROUPE_ERR_REQUEST_TIMEOUT',
    );
  }
}

export class ShuttingDownError extends HttpError {
  constructor() {
    super(503, 'the server is shutting down; retry against another instance', {}, 'TROUPE_ERR_SHUTTING_DOWN');
  }
}

/** A request whose framing the proxy refuses before routing (conflicting lengths, headers past the limits, an
 *  unsupported transfer coding): answered at once and the connection closed, so no ambiguous body is forwarded. */
export class BadRequestFramingError extends HttpError {
  constructor(status: 400 | 431 | 501, message: string, details: Record<string, unknown> = {}) {
    super(status, message, details, 'TROUPE_ERR_BAD_REQUEST_FRAMING');
  }
}

export class RouteDefinitionError extends TroupeError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('TROUPE_ERR_ROUTE_DEFINITION', message, { details });
  }
}

export class ProxyListenError extends TroupeError {
  constructor(host: string, port: number) {
    super('TROUPE_ERR_LISTEN', `could not listen on ${host}:${port}; is the port in use? pass port 0 to pick a free one`, { details: { host, port } });
  }
}

export class ProxyStateError extends TroupeError {
  constructor(message: string) {
    super('TROUPE_ERR_PROXY_STATE', message);
  }
}

for (const cls of [
  HttpError, RouteNotFoundError, MethodNotAllowedError, MalformedBodyError, ValidationError, BodyTooLargeError,
  UnsupportedMediaTypeError, RequestTimeoutError, ShuttingDownError, RouteDefinitionError, ProxyListenError, ProxyStateError,
  BadRequestFramingError,
]) {
  registerError(cls.name, cls);
}
