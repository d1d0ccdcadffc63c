import { performance } from 'node:perf_hooks';
import { HttpConnection, type Completion } from './http-connection.ts';
import { requestEncoder, resolveHttpTarget, type LoadTarget } from './target.ts';

// A lane carries one request at a time: a keep-alive connection for HTTP, a call slot for a function.
export interface Lane {
  send(index: number, done: Completion): void;
  /** performance.now() when the request in flight started; 0 when idle. */
  readonly startedAt: number;
  abort(kind: string): void;
  close(): void;
}

export interface LaneFactory {
  create(): Lane;
  /** What the result names as target. */
  describe: string;
}

export function laneFactory(target: LoadTarget): LaneFactory {
  if (typeof target === 'function') {
    return { create: () => new FunctionLane(target), describe: target.name ? `function ${target.name}` : 'function' };
  }
  const t = resolveHttpTarget(target);
  const encode = requestEncoder(t);
  return {
    create: () => new HttpLane(new HttpConnection(t.host, t.port, t.method), encode),
    describe: `${t.method} ${target.url}`,
  };
}

class HttpLane implements Lane {
  constructor(
    readonly conn: HttpConnection,
    readonly encode: (index: number) => Buffer,
  ) {}
  get startedAt(): number {
    return this.conn.startedAt;
  }
  send(index: number, done: Completion): void {
    this.conn.send(this.encode(index), done, performance.now());
  }
  abort(kind: string): void {
    this.conn.abort(kind);
  }
  close(): void {
    this.conn.close();
  }
}

class FunctionLane implements Lane {
  startedAt = 0;
  #generation = 0;
  #done: Completion | null = null;
  constructor(readonly fn: (index: number) => Promise<unknown>) {}

  send(index: number, done: Completion): void {
    const gen = ++this.#generation;
    this.#done = done;
    this.startedAt = performance.now();
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(this.fn(index));
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      () => this.#settle(gen, null),
      (err) => this.#settle(gen, thrownKind(err)),
    );
  }

  #settle(gen: number, kind: string | null): void {
    if (gen !== this.#generation || !this.#done) return; // settled after a timeout: already counted
    const done = this.#done;
    this.#done = null;
    this.startedAt = 0;
    done(kind);
  }

  abort(kind: string): void {
    this.#settle(this.#generation, kind);
    this.#generation++;
  }

  close(): void {
    this.#generation++;
    this.#done = null;
  }
}

/** `code:TROUPE_ERR_…` for errors with a code, `thrown:Name` otherwise. */
export function thrownKind(err: unknown): string {
  if (err && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code) return `code:${code}`;
    const name = (err as { name?: unknown }).name;
    if (typeof name === 'string' && name) return `thrown:${name}`;
  }
  return 'thrown:non-error';
}
