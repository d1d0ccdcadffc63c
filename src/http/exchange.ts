// One HTTP request/response on a uWS HttpResponse: the state every async path checks (aborted, answered), and
// the writers that respect uWS rules: cork after an await, never touch `res` after onAborted, tryEnd/onWritable
// for large bodies, write/onWritable for streams.
import { STATUS_CODES } from 'node:http';
import type { HttpResponse } from 'uWebSockets.js';
import { CallSignal } from '../core/index.ts';
import { carrierTraceId } from '../observability/index.ts';
import type { AccessLogEntry } from './types.ts';

const LARGE = 64 * 1024;
const RESERVED = new Set(['content-length', 'transfer-encoding', 'connection', 'x-request-id']);

function hasHeader(headers: Record<string, string>, name: string): boolean {
  for (const key in headers) if (key.toLowerCase() === name) return true;
  return false;
}
// Under load many requests end in the same millisecond: format its timestamp once.
let lastMs = 0;
let lastIso = '';
function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

// Header names and content types as bytes: uWS copies bytes as they are, where it measures and converts a
// string on every call (bench/results/http-noop.md).
const X_REQUEST_ID = Buffer.from('x-request-id');
const CONTENT_TYPE = Buffer.from('content-type');
const contentTypes = new Map<string, Buffer>();
function contentTypeBytes(type: string): Buffer {
  let bytes = contentTypes.get(type);
  if (bytes === undefined) {
    if (contentTypes.size >= 256) contentTypes.clear(); // user-chosen types: keep the table bounded
    contentTypes.set(type, (bytes = Buffer.from(type)));
  }
  return bytes;
}

const statusLines = new Map<number, string>();
export function statusLine(status: number): string {
  let line = statusLines.get(status);
  if (!line) statusLines.set(status, (line = `${status} ${STATUS_CODES[status] ?? 'Unknown'}`));
  return line;
}

export class Exchange {
  readonly res: HttpResponse;
  readonly method: string;
  readonly path: string;
  readonly requestId: string;
  /** The engine's number for this exchange (its key among the exchanges in flight). */
  readonly seq: number;
  readonly start: number;
  app: string | undefined;
  deployment: string | undefined;
  replica: string | undefined;
  /** The declared route that matched (a bounded label for /metrics); undefined when none did. */
  route: string | undefined;
  /** The x-troupe-model-id header, when the request had one: the call's multiplexed model id. */
  modelId: string | undefined;
  /** The request's trace carrier (observability's traceCarrier): its traceparent and request id. */
  trace: string | undefined;
  /** 0 until a status is sent; 499 when the client went away first. */
  status = 0;
  aborted = false;
  /** Headers are out: nothing else may start a response. */
  answered = false;
  /** The whole response is written (or the client is gone). */
  done = false;
  /** Close the connection after the response (body left unread, or shutting down). */
  closeAfter = false;
  /** Gives back what the request holds beyond the exchange (its body's place in the object store); the engine
   *  calls it once the exchange is done. */
  release: (() => void) | undefined;
  /** Aborted when the client goes away, the deadline passes or the proxy shuts down: cancels what runs for it. */
  readonly cancel = new CallSignal();
  /** performance.now() past which onDeadline fires (checked by the engine's coarse clock); 0: none. */
  deadline = 0;
  onDeadline: (() => void) | undefined;
  #wake: (() => void) | undefined;
  /** A whole response waiting for the end of the turn to be written (#queued), in three fields: no object per
   *  response. */
  #queued = false;
  #outType: string | undefined;
  #outBody: string | Uint8Array = '';
  #outHeaders: Record<string, string> | undefined;
  #onDone: (ex: Exchange) => void;

  constructor(res: HttpResponse, method: string, path: string, requestId: string, onDone: (ex: Exchange) => void, seq: number) {
    this.res = res;
    this.seq = seq;
    this.method = method;
    this.path = path;
    this.requestId = requestId;
    this.start = performance.now();
    this.#onDone = onDone;
  }

  /** Called from res.onAborted: the socket is gone, `res` must not be touched again. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    if (!this.answered || this.#queued) this.status = 499;
    this.cancel.abort(new Error('client disconnected'));
    this.#wake?.();
    this.#finish();
  }

  /**
   * Sends a whole response: written, with every other response of this event-loop turn, at the end of the turn.
   * Back-to-back writes wake the client once per turn, not once per response (bench/results/http-noop.md).
   * Returns false when a response was already started or the client is gone.
   */
  send(status: number, contentType: string | undefined, body: string | Uint8Array, headers?: Record<string, string>, now = false): boolean {
    if (this.aborted || this.answered) return false;
    this.answered = true;
    this.status = status;
    this.#queued = true;
    this.#outType = contentType;
    this.#outBody = body;
    this.#outHeaders = headers;
    if (now) {
      // Inside uWS's request handler: answered before uWS parses the next pipelined request on this connection
      // (it closes a connection whose previous response is still pending).
      if (this.#write()) this.#finish();
      return true;
    }
    if (Exchange.#ready.push(this) === 1) setImmediate(Exchange.flush);
    return true;
  }

  static #ready: Exchange[] = [];
  /** Writes the responses waiting for the end of the turn: scheduled by send(), and called at shutdown before
   *  the sockets are closed. */
  static readonly flush = (): void => {
    const ready = Exchange.#ready;
    Exchange.#ready = [];
    // The writes back to back, then the bookkeeping (access log, release): the closer together the writes,
    // the fewer times the client's thread is woken.
    let written = 0;
    for (const ex of ready) {
      try {
        if (ex.#write()) ready[written++] = ex;
      } catch {
        // uWS refused the socket (closed under us): as if the client went away, so the others still get theirs.
        ex.abort();
      }
    }
    for (let i = 0; i < written; i++) ready[i]!.#finish();
  };

  /** True when the whole response is written; false when a large body waits for the socket to drain or the
   *  exchange was finished meanwhile. */
  #write(): boolean {
    const body = this.#outBody;
    this.#queued = false;
    this.#outBody = '';
    // Gone meanwhile (abort() or a broken stream at shutdown has finished the exchange): res is not ours.
    if (this.aborted || this.done) return false;
    const res = this.res;
    const bytes = typeof body === 'string' && body.length > LARGE / 3 ? Buffer.from(body) : body;
    let pending = false;
    res.cork(() => {
      this.#head(this.status, this.#outType, this.#outHeaders);
      this.#outHeaders = undefined;
      if (this.method === 'HEAD') {
        res.endWithoutBody(typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.byteLength, this.closeAfter);
      } else if (typeof bytes === 'string' || bytes.byteLength <= LARGE) {
        res.end(bytes, this.closeAfter);
      } else {
        pending = !this.#tryEnd(bytes);
      }
    });
    return !pending;
  }

  /** Large body: write what the socket takes now, the rest as it drains. True when all is written. */
  #tryEnd(bytes: Uint8Array): boolean {
    const res = this.res;
    const total = bytes.byteLength;
    const base = res.getWriteOffset();
    const [, done] = res.tryEnd(bytes, total);
    if (done) return true;
    res.onWritable((offset) => {
      if (this.aborted) return true;
      const [ok, finished] = res.tryEnd(bytes.subarray(offset - base), total);
      if (finished) this.#finish();
      return ok;
    });
    return false;
  }

  /** Starts a streamed response (chunked transfer encoding). */
  startStream(contentType: string, headers?: Record<string, string>): boolean {
    if (this.aborted || this.answered) return false;
    this.answered = true;
    this.status = 200;
    this.res.cork(() => this.#head(200, contentType, headers));
    return true;
  }

  /** Writes one chunk; resolves once the socket can take more (or the client is gone). */
  async write(chunk: string | Uint8Array): Promise<void> {
    if (this.aborted) return;
    if (typeof chunk === 'string' ? chunk.length === 0 : chunk.byteLength === 0) return;
    let ok = true;
    this.res.cork(() => {
      ok = this.res.write(chunk);
    });
    if (ok || this.aborted) return;
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      this.res.onWritable(() => {
        // Resume outside this callback: uWS drops a handler registered while its own handler is running, and
        // the producer would register the next one in a microtask that runs before this returns.
        setImmediate(resolve);
        return true;
      });
    });
    this.#wake = undefined;
  }

  endStream(): void {
    if (this.aborted || this.done) return;
    this.res.cork(() => this.res.end(undefined, this.closeAfter));
    this.#finish();
  }

  /** A stream failed after its headers went out: cut the connection so the client sees an incomplete body. */
  breakStream(): void {
    // A whole response waiting to be written is not a stream: it goes out as it is.
    if (this.aborted || this.done || this.#queued) return;
    this.res.close();
    this.#finish();
  }

  #head(status: number, contentType: string | undefined, headers: Record<string, string> | undefined): void {
    const res = this.res;
    // uWS writes "200 OK" itself when no status was written: one native call less on the common path.
    if (status !== 200) res.writeStatus(statusLine(status));
    res.writeHeader(X_REQUEST_ID, this.requestId);
    if (contentType && !(headers && hasHeader(headers, 'content-type'))) res.writeHeader(CONTENT_TYPE, contentTypeBytes(contentType));
    if (headers) {
      for (const key in headers) {
        // uWS frames the body itself: a length or encoding header from user code would corrupt the response.
        if (!RESERVED.has(key.toLowerCase())) res.writeHeader(key, String(headers[key]));
      }
    }
  }

  #finish(): void {
    if (this.done) return;
    this.done = true;
    this.#onDone(this);
  }

  logEntry(): AccessLogEntry {
    const entry: AccessLogEntry = {
      time: isoNow(),
      requestId: this.requestId,
      app: this.app,
      deployment: this.deployment,
      replica: this.replica,
      method: this.method,
      path: this.path,
      status: this.status,
      latencyMs: Math.round((performance.now() - this.start) * 1000) / 1000,
    };
    if (this.modelId !== undefined) entry.modelId = this.modelId;
    if (this.trace !== undefined) entry.traceId = carrierTraceId(this.trace);
    return entry;
  }
}
