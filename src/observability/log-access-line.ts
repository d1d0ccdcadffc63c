// Writes one access-log line as JSON bytes straight into a buffer: the same line JSON.stringify({ level, msg,
// ...entry }) gives (undefined as null), without building the object, the line string or a string per field.
// Written per request on the proxy's thread, so what repeats is kept as bytes and copied with one set(): the
// line's opening, the timestamp (one per millisecond), and the app, deployment and replica names (one per
// replica): a line costs about two thirds of writing every byte one by one (bench/results/http-noop.md).
import type { AccessLogEntry } from './log-types.ts';

const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const OPEN = ascii('{"level":"info","msg":"access","time":');
const PATH = ascii(',"path":');
const STATUS = ascii(',"status":');
const LATENCY = ascii(',"latencyMs":');
const MODEL_ID = ascii(',"modelId":');
const TRACE_ID = ascii(',"traceId":');
/** Bytes of the line beside its strings and numbers (keys, and the closing `}` and newline), and the most a
 *  number can take. */
const FIXED_BYTES = OPEN.length + PATH.length + STATUS.length + LATENCY.length + ',"requestId":'.length +
  ',"app":,"deployment":,"replica":,"method":'.length + 2;
const NUMBER_BYTES = 24;
/** A string takes at most 6 bytes per character escaped, plus its quotes; an absent one is `null`. */
const stringBound = (v: string | undefined) => (v === undefined ? 4 : 2 + 6 * v.length);

type Writable = Buffer & { utf8Write(s: string, at: number): number; latin1Write(s: string, at: number): number };

/** The timestamp and the key after it, as bytes, for the last time seen (under load many lines share it). */
let lastTime: string | undefined;
let timeBytes = new Uint8Array(0);

/** `,"app":…,"deployment":…,"replica":…,"method":` for one replica's requests. */
interface Middle {
  app: string | undefined;
  deployment: string | undefined;
  bytes: Uint8Array;
}
const middles = new Map<string | undefined, Middle>();
const MAX_MIDDLES = 1024;

function middle(e: AccessLogEntry): Uint8Array {
  let m = middles.get(e.replica);
  if (m === undefined || m.app !== e.app || m.deployment !== e.deployment) {
    const text = `,"app":${json(e.app)},"deployment":${json(e.deployment)},"replica":${json(e.replica)},"method":`;
    m = { app: e.app, deployment: e.deployment, bytes: new Uint8Array(Buffer.from(text, 'utf8')) };
    if (middles.size >= MAX_MIDDLES) middles.clear(); // replicas come and go: keep the table bounded
    middles.set(e.replica, m);
  }
  return m.bytes;
}

function json(v: string | undefined): string {
  return v === undefined ? 'null' : JSON.stringify(v);
}

/** The most bytes the line of `e` can take. */
export function accessLineBound(e: AccessLogEntry): number {
  return FIXED_BYTES + 2 * NUMBER_BYTES + stringBound(e.time) + stringBound(e.requestId) + stringBound(e.app) +
    stringBound(e.deployment) + stringBound(e.replica) + stringBound(e.method) + stringBound(e.path) +
    (e.modelId === undefined ? 0 : MODEL_ID.length + stringBound(e.modelId)) +
    (e.traceId === undefined ? 0 : TRACE_ID.length + stringBound(e.traceId));
}

/** Writes the line of `e` at `at` (room for accessLineBound(e) bytes is the caller's job); returns the new end. */
export function writeAccessLine(buf: Buffer, at: number, e: AccessLogEntry): number {
  at = put(buf, at, OPEN);
  if (e.time !== lastTime) {
    lastTime = e.time;
    timeBytes = new Uint8Array(Buffer.from(`${json(e.time)},"requestId":`, 'utf8'));
  }
  at = put(buf, at, timeBytes);
  at = str(buf, at, e.requestId);
  at = put(buf, at, middle(e));
  at = str(buf, at, e.method);
  at = put(buf, at, PATH);
  at = str(buf, at, e.path);
  at = put(buf, at, STATUS);
  at = num(buf, at, e.status);
  at = put(buf, at, LATENCY);
  at = num(buf, at, e.latencyMs);
  // Only requests for a multiplexed model have one (JSON.stringify leaves the key out likewise).
  if (e.modelId !== undefined) {
    at = put(buf, at, MODEL_ID);
    at = str(buf, at, e.modelId);
  }
  if (e.traceId !== undefined) {
    at = put(buf, at, TRACE_ID);
    at = TRACE_HEX.test(e.traceId) ? hex(buf, at, e.traceId) : str(buf, at, e.traceId);
  }
  buf[at] = 0x7d; // }
  buf[at + 1] = 0x0a;
  return at + 2;
}

/** A W3C trace id: 32 lower-case hex digits, written in one native call (a loop per character cost 0.1 µs). */
const TRACE_HEX = /^[0-9a-f]{32}$/;

function hex(buf: Buffer, at: number, v: string): number {
  buf[at] = 0x22;
  const end = at + 1 + (buf as Writable).latin1Write(v, at + 1);
  buf[end] = 0x22;
  return end + 1;
}

function put(buf: Buffer, at: number, bytes: Uint8Array): number {
  buf.set(bytes, at);
  return at + bytes.length;
}

/** A JSON string: printable ASCII byte by byte (ids, methods, most paths), anything else through JSON.stringify. */
function str(buf: Buffer, at: number, v: string | undefined): number {
  if (v === undefined) {
    buf[at] = 0x6e; // null
    buf[at + 1] = 0x75;
    buf[at + 2] = 0x6c;
    buf[at + 3] = 0x6c;
    return at + 4;
  }
  const n = v.length;
  buf[at] = 0x22;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return at + (buf as Writable).utf8Write(JSON.stringify(v), at);
    buf[at + 1 + i] = c;
  }
  buf[at + 1 + n] = 0x22;
  return at + n + 2;
}

/** A JSON number: non-negative ones with at most three decimals (statuses, latencies) digit by digit, the
 *  rest as JavaScript prints them. */
function num(buf: Buffer, at: number, v: number): number {
  const thousandths = v * 1000;
  if (v >= 0 && v < 1e9 && Math.round(thousandths) === thousandths) {
    at = digits(buf, at, Math.floor(v));
    let frac = thousandths % 1000;
    if (frac === 0) return at;
    buf[at++] = 0x2e; // '.'
    for (let unit = 100; frac > 0; unit /= 10) {
      const d = Math.floor(frac / unit);
      buf[at++] = 0x30 + d;
      frac -= d * unit;
    }
    return at;
  }
  if (!Number.isFinite(v)) return str(buf, at, undefined); // JSON has no NaN or Infinity: null, as JSON.stringify writes
  return at + (buf as Writable).utf8Write(String(v), at);
}

function digits(buf: Buffer, at: number, v: number): number {
  let n = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) n++;
  for (let i = n - 1, x = v; i >= 0; i--, x = Math.floor(x / 10)) buf[at + i] = 0x30 + (x % 10);
  return at + n;
}
