// Errors → HTTP, by `code` (errors come back from replicas rebuilt, so classes cannot be relied on).

export interface ErrorReply {
  /** 0: nothing to send (the client went away). */
  status: number;
  code: string;
  message: string;
  details: Record<string, unknown>;
  headers: Record<string, string> | undefined;
  /** A fault of ours or the user's code: logged with its stack. */
  internal: boolean;
}

// Overloaded: the client should come back later (Retry-After). The router's queue is full, or a @batch method's.
const OVERLOADED = new Set(['TROUPE_ERR_BACKPRESSURE', 'TROUPE_ERR_BATCH_QUEUE_FULL']);
const SERVICE_UNAVAILABLE = new Set(['TROUPE_ERR_NO_REPLICA', 'TROUPE_ERR_REPLICA_DIED', 'TROUPE_ERR_SHUTTING_DOWN', 'TROUPE_ERR_DRAINING']);
const GATEWAY_TIMEOUT = new Set(['TROUPE_ERR_REQUEST_TIMEOUT', 'TROUPE_ERR_TIMEOUT']);
// The client left out what the call needs: a @multiplexed loader got no x-troupe-model-id.
const BAD_REQUEST = new Set(['TROUPE_ERR_NO_MODEL_ID']);

export function describeError(err: unknown): ErrorReply {
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as {
    name?: unknown; code?: unknown; message?: unknown; details?: unknown;
  };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.message === 'string' ? e.message : String(err);
  const details = (typeof e.details === 'object' && e.details !== null ? e.details : {}) as Record<string, unknown>;

  if (code === 'TROUPE_ERR_CANCELLED') return reply(0, code, message, {}, false);
  if (code && OVERLOADED.has(code)) {
    const after = Number(details.retryAfterSeconds ?? details.retryAfter ?? 1);
    return { ...reply(503, code, message, stripInternal(details), false), headers: { 'retry-after': String(Number.isFinite(after) && after > 0 ? Math.ceil(after) : 1) } };
  }
  if (code && SERVICE_UNAVAILABLE.has(code)) return reply(503, code, message, stripInternal(details), false);
  if (code && GATEWAY_TIMEOUT.has(code)) return reply(504, code, message, stripInternal(details), false);
  if (code && BAD_REQUEST.has(code)) return reply(400, code, message, stripInternal(details), false);

  const status = details.status;
  const isHttp = code?.startsWith('TROUPE_ERR_') && (e.name === 'HttpError' || code === 'TROUPE_ERR_HTTP' || HTTP_CODES.has(code));
  if (isHttp && typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599) {
    const { status: _s, ...rest } = details;
    return reply(status, code!, message, rest, status >= 500 && status !== 503 && status !== 504);
  }
  // An exception in user code or a fault of ours: a generic message and the request id go out, the message and
  // stack only to the log (messages leak paths, queries, secrets); TROUPE_EXPOSE_ERRORS=1 sends them in development.
  const shown = exposeErrors() ? message : INTERNAL_MESSAGE;
  return reply(500, code?.startsWith('TROUPE_ERR_') ? code : 'TROUPE_ERR_INTERNAL', shown, {}, true);
}

export const INTERNAL_MESSAGE = 'internal server error; the server log has the details under this requestId (TROUPE_EXPOSE_ERRORS=1 shows them here in development)';

/** The opt-in that puts an unexpected error's own message in its 500 answer. */
export function exposeErrors(): boolean {
  const v = process.env.TROUPE_EXPOSE_ERRORS;
  return v === '1' || v === 'true';
}

const HTTP_CODES = new Set([
  'TROUPE_ERR_HTTP', 'TROUPE_ERR_ROUTE_NOT_FOUND', 'TROUPE_ERR_METHOD_NOT_ALLOWED', 'TROUPE_ERR_MALFORMED_BODY',
  'TROUPE_ERR_VALIDATION', 'TROUPE_ERR_BODY_TOO_LARGE', 'TROUPE_ERR_UNSUPPORTED_MEDIA_TYPE', 'TROUPE_ERR_BODY_TIMEOUT',
  'TROUPE_ERR_BAD_REQUEST_FRAMING',
]);

function reply(status: number, code: string, message: string, details: Record<string, unknown>, internal: boolean): ErrorReply {
  return { status, code, message, details, headers: undefined, internal };
}

function stripInternal(details: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) if (typeof v !== 'object' || v === null) out[k] = v;
  return out;
}

export function errorBody(r: ErrorReply, requestId: string): string {
  return JSON.stringify({ error: { code: r.code, message: r.message, requestId, details: r.details } });
}
