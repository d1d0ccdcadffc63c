import { connect, type Socket } from 'node:net';

// One keep-alive HTTP/1.1 connection, one request at a time, with a parser that reads only
// what a load generator needs (status, framing). node:http's agent costs several times more
// CPU per request, and on a 2-core machine the generator's CPU is taken from the server.

/** null on a 2xx/3xx reply, otherwise the error kind: `status:500`, `connect:ECONNREFUSED`, ... */
export type Completion = (errorKind: string | null) => void;

const enum State {
  Head,
  Body,
  ChunkSize,
  ChunkData,
  Trailers,
  UntilClose,
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const MAX_HEAD_BYTES = 64 * 1024;

export class HttpConnection {
  readonly #host: string;
  readonly #port: number;
  readonly #headRequest: boolean;
  #socket: Socket | null = null;
  #done: Completion | null = null;
  #state = State.Head;
  #rest: Buffer | null = null;
  #remaining = 0;
  #status = 0;
  #closeAfter = false;
  /** performance.now() when the request in flight was written; 0 when idle. */
  startedAt = 0;

  constructor(host: string, port: number, method: string) {
    this.#host = host;
    this.#port = port;
    this.#headRequest = method === 'HEAD';
  }

  get busy(): boolean {
    return this.#done !== null;
  }

  send(request: Buffer, done: Completion, now: number): void {
    this.#done = done;
    this.startedAt = now;
    this.#state = State.Head;
    this.#rest = null;
    (this.#socket ?? this.#open()).write(request);
  }

  /** Ends the request in flight with `kind` and drops the socket (e.g. on timeout). */
  abort(kind: string): void {
    this.#drop();
    this.#finish(kind);
  }

  close(): void {
    this.#drop();
    this.#done = null;
  }

  #open(): Socket {
    const socket = connect({ host: this.#host, port: this.#port, noDelay: true });
    socket.on('data', (chunk: Buffer) => this.#onData(socket, chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.#socket !== socket) return;
      this.#drop();
      this.#finish(`connect:${err.code ?? 'error'}`);
    });
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      // A body framed by the connection's end is complete now.
      if (this.#state === State.UntilClose) this.#complete();
      else this.#finish('connect:closed');
    });
    this.#socket = socket;
    return socket;
  }

  #drop(): void {
    const s = this.#socket;
    this.#socket = null;
    this.#rest = null;
    if (s) s.destroy();
  }

  #finish(kind: string | null): void {
    const done = this.#done;
    if (!done) return;
    this.#done = null;
    this.startedAt = 0;
    done(kind);
  }

  #complete(): void {
    const s = this.#status;
    if (this.#closeAfter) this.#drop();
    this.#finish(s >= 200 && s < 400 ? null : `status:${s}`);
  }

  #protocolError(): void {
    this.#drop();
    this.#finish('protocol');
  }

  #onData(socket: Socket, chunk: Buffer): void {
    if (this.#socket !== socket) return;
    if (!this.#done) return this.#protocolError(); // bytes nobody asked for
    let buf = this.#rest ? Buffer.concat([this.#rest, chunk]) : chunk;
    this.#rest = null;
    for (;;) {
      switch (this.#state) {
        case State.Head: {
          const end = buf.indexOf(CRLFCRLF);
          if (end < 0) {
            if (buf.length > MAX_HEAD_BYTES) return this.#protocolError();
            this.#rest = buf;
            return;
          }
          if (!this.#parseHead(buf.toString('latin1', 0, end + 2))) return this.#protocolError();
          buf = buf.subarray(end + 4);
          if (this.#state === State.Head) {
            // No body: this response is complete.
            this.#complete();
            if (buf.length > 0 && this.#socket) return this.#protocolError();
            return;
          }
          break;
        }
        case State.Body: {
          const take = Math.min(this.#remaining, buf.length);
          this.#remaining -= take;
          buf = buf.subarray(take);
          if (this.#remaining > 0) return;
          this.#state = State.Head;
          this.#complete();
          if (buf.length > 0 && this.#socket) return this.#protocolError();
          return;
        }
        case State.ChunkSize: {
          const eol = buf.indexOf('\r\n');
          if (eol < 0) {
            this.#rest = buf;
            return;
          }
          const size = parseInt(buf.toString('latin1', 0, eol), 16);
          if (!Number.isFinite(size) || size < 0) return this.#protocolError();
          buf = buf.subarray(eol + 2);
          if (size === 0) this.#state = State.Trailers;
          else {
            this.#remaining = size + 2; // the data and its CRLF
            this.#state = State.ChunkData;
          }
          break;
        }
        case State.ChunkData: {
          const take = Math.min(this.#remaining, buf.length);
          this.#remaining -= take;
          buf = buf.subarray(take);
          if (this.#remaining > 0) return;
          this.#state = State.ChunkSize;
          break;
        }
        case State.Trailers: {
          if (buf.length < 2) {
            this.#rest = buf;
            return;
          }
          let end = 2;
          if (buf[0] !== 13 || buf[1] !== 10) {
            const at = buf.indexOf(CRLFCRLF);
            if (at < 0) {
              this.#rest = buf;
              return;
            }
            end = at + 4;
          }
          buf = buf.subarray(end);
          this.#state = State.Head;
          this.#complete();
          if (buf.length > 0 && this.#socket) return this.#protocolError();
          return;
        }
        case State.UntilClose:
          return; // the body ends when the server closes the connection
      }
    }
  }

  /** Reads the status line and framing headers; sets the next state. */
  #parseHead(head: string): boolean {
    if (!head.startsWith('HTTP/1.')) return false;
    const status = Number(head.slice(9, 12));
    if (!(status >= 100 && status < 600)) return false;
    this.#status = status;
    const lower = head.toLowerCase();
    this.#closeAfter = lower.includes('\r\nconnection: close') || head.startsWith('HTTP/1.0');
    if (status < 200) return false; // 1xx interim replies are not sent to requests without Expect
    if (this.#headRequest || status === 204 || status === 304) {
      this.#state = State.Head;
      return true;
    }
    if (/\r\ntransfer-encoding:[^\r]*chunked/.test(lower)) {
      this.#state = State.ChunkSize;
      return true;
    }
    const m = /\r\ncontent-length:\s*(\d+)/.exec(lower);
    if (m) {
      this.#remaining = Number(m[1]);
      this.#state = this.#remaining > 0 ? State.Body : State.Head;
      return true;
    }
    this.#state = State.UntilClose;
    this.#closeAfter = true;
    return true;
  }
}
