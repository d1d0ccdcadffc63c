// W3C trace context (https://www.w3.org/TR/trace-context/): the `traceparent` header read from a request, or made
// when absent, and the one string a call carries across threads with it: the traceparent (55 fixed characters)
// followed by the request id. One string keeps the call message small and needs no parsing until read.
import { randomFillSync } from 'node:crypto';

export const TRACEPARENT_HEADER = 'traceparent';
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-|$)/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
/** Length of `00-<32 hex>-<16 hex>-<2 hex>`. */
const TRACEPARENT_LENGTH = 55;

export interface TraceParent {
  traceId: string;
  /** The caller's span: the parent of the spans made for this request. */
  parentId: string;
  flags: string;
}

/** A valid `traceparent` header's parts, or undefined (absent, malformed, version ff, all-zero ids). */
export function parseTraceparent(header: string | undefined): TraceParent | undefined {
  if (header === undefined) return undefined;
  const m = TRACEPARENT.exec(header.trim());
  if (!m || m[1] === 'ff' || m[2] === ZERO_TRACE || m[3] === ZERO_SPAN) return undefined;
  // Version 00 has exactly four parts; a later version may add more (kept out, as the spec says).
  if (m[1] === '00' && header.trim().length !== TRACEPARENT_LENGTH) return undefined;
  return { traceId: m[2]!, parentId: m[3]!, flags: m[4]! };
}

// Random ids come from a pool filled 4 KiB at a time: one randomFillSync per request cost more than the rest of
// a no-op request's id work.
const pool = Buffer.allocUnsafeSlow(4096);
let poolAt = pool.length;

function randomHex(bytes: number): string {
  if (poolAt + bytes > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const hex = pool.toString('hex', poolAt, poolAt + bytes);
  poolAt += bytes;
  return hex;
}

export const newTraceId = (): string => randomHex(16);
export const newSpanId = (): string => randomHex(8);

/**
 * The carrier of a request's trace: a span of this process under the incoming traceparent (its trace id and
 * flags kept), or a new trace when the request had none, followed by the request id.
 */
export function traceCarrier(incoming: string | undefined, requestId: string): string {
  if (incoming === undefined) {
    const ids = randomHex(24); // trace id and span id in one hex conversion
    return `00-${ids.slice(0, 32)}-${ids.slice(32)}-01${requestId}`;
  }
  const parent = parseTraceparent(incoming);
  return parent === undefined
    ? traceCarrier(undefined, requestId)
    : `00-${parent.traceId}-${newSpanId()}-${parent.flags}${requestId}`;
}

export const carrierTraceparent = (carrier: string): string => carrier.slice(0, TRACEPARENT_LENGTH);
export const carrierTraceId = (carrier: string): string => carrier.slice(3, 35);
export const carrierSpanId = (carrier: string): string => carrier.slice(36, 52);
export const carrierRequestId = (carrier: string): string => carrier.slice(TRACEPARENT_LENGTH);

/** Whether a string received from another thread is a carrier (it is user-reachable through the message codec). */
export function isCarrier(value: unknown): value is string {
  return typeof value === 'string' && value.length > TRACEPARENT_LENGTH && value[2] === '-' && value[35] === '-' && value[52] === '-';
}

/** What a call being served carries, for logs and user code. */
export interface TraceInfo {
  requestId: string;
  traceId: string;
  spanId: string;
  /** `00-<traceId>-<spanId>-<flags>`: what to send as `traceparent` to a service outside troupe. */
  traceparent: string;
}

export function traceInfo(carrier: string): TraceInfo {
  return { requestId: carrierRequestId(carrier), traceId: carrierTraceId(carrier), spanId: carrierSpanId(carrier), traceparent: carrierTraceparent(carrier) };
}

// The carrier of the call being served on this thread. The actor core (a higher layer) sets where it is read.
let source: () => string | undefined = () => undefined;

/** @internal The core's call context tells the logger where the current call's carrier is. */
export function setTraceSource(read: () => string | undefined): void {
  source = read;
}

/** The carrier of the call being served on this thread, or undefined outside one (or one without a trace). */
export function currentCarrier(): string | undefined {
  return source();
}
