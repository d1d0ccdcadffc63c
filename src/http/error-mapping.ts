import { catalogEntry } from '../errors/index.ts';

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

export function describeError(err: unknown): ErrorReply {
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as {
    name?: unknown; code?: unknown; message?: unknown; details?: unknown;
  };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.message === 'string' ? e.message : String(err);
  const details = (typeof e.details === 'object' && e.details !== null ? e.details : {}) as Record<string, unknown>;

  // The status comes from the catalog: what each TROUPE_ERR_* code answers (src/errors/catalog.ts).
  const entry = code === undefined ? undefined : catalogEntry(code);
  if (entry?.status === 0) return reply(0, code!, message, {}, false);
  if (entry?.retryAfter) {
    const after = Number(details.retryAfterSeconds ?? details.retryAfter ?? 1);
    return { ...reply(entry.status, code!, message, stripInternal(details), false), headers: { 'retry-after': String(Number.isFinite(after) && after > 0 ? Math.ceil(after) : 1) } };
  }
  // An HttpError carries its own status; one raised with a code of the user's own keeps it too.
  const status = details.status;
  const ownStatus = entry ? entry.ownStatus === true : e.name === 'HttpError' && code?.startsWith('TROUPE_ERR_') === true;
  if (ownStatus && typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599) {
    const { status: _s, ...rest } = details;
    return reply(status, code!, message, rest, status >= 500 && status !== 503 && status !== 504);
  }
  if (entry && entry.status !== 500) return reply(entry.status, code!, message, stripInternal(details), false);
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
