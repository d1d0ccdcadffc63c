// The caller's side of one link to one actor: numbers calls, matches replies, streams items with a
// credit window, cancels, and settles every pending call when the link fails.
import type { MessagePort } from 'node:worker_threads';
import { FramedPort } from './framed-port.ts';
import { IdTable } from './id-table.ts';
import type { ObjectStore } from '../store/index.ts';
import { CancelledError } from './errors.ts';
import { STREAM_WINDOW, type CallMessage, type FromActor, type ToActor } from './protocol.ts';
import { callCarrier } from './call-context.ts';

export interface CallOptions {
  signal?: AbortSignal;
  /** @internal The caller already checked that the arguments can cross threads: the handle skips the check. */
  argsChecked?: boolean;
  /** The multiplexed model id this call is for (serve's model multiplexing); the actor reads it from its call context. */
  multiplexedModelId?: string;
  /** The request's trace carrier; without one, a call made while serving a call passes that call's on. */
  trace?: string;
}

interface Pending {
  method: string;
  resolve(value: unknown): void;
  reject(err: Error): void;
  item?(value: unknown): void;
  end?(): void;
  /** The port's batch the call went out in: the actor has it once the port has sent more batches. */
  batch: number;
  /** Set when the call has a signal: the pending call is its own 'abort' listener (handleEvent), so wiring
   *  a signal allocates no closure (under tsx each closure also costs a __name call). */
  id?: number;
  signal?: AbortSignal;
  link?: Connection;
  handleEvent?(): void;
}

const ONCE = { once: true } as const;

/** A call's message: without a model id or trace it keeps the shape it always had (the compact codec's common case). */
function callMessage(id: number, method: string, args: unknown[], options: CallOptions): CallMessage {
  const mm = options.multiplexedModelId;
  const tc = options.trace ?? callCarrier();
  const m: CallMessage = { t: 'call', id, m: method, a: args };
  if (mm !== undefined) m.mm = mm;
  if (tc !== undefined) m.tc = tc;
  return m;
}

function abortPending(this: Pending): void {
  this.link!.abortPending(this);
}

/** Builds the error for calls still pending when a link fails; `delivered` says whether the actor got the call. */
export type FailureFactory = (delivered: boolean) => Error;

export class Connection {
  #port: FramedPort<ToActor, FromActor>;
  #pending = new IdTable<Pending>();
  #nextId = 1;
  #failure: FailureFactory | undefined;
  #label: string;
  #refed = true;

  /** `store`: the object store of the actor's runtime, where large typed arguments go (null: inline). */
  constructor(port: MessagePort, label: string, store?: ObjectStore | null) {
    this.#label = label;
    this.#port = new FramedPort<ToActor, FromActor>(port, {
      message: m => this.#receive(m),
      badFrame: err => this.fail(() => new Error(`a reply from ${label} could not be decoded`, { cause: err })),
      sendFailed: (m, err) => {
        if (m.t !== 'call') return;
        const p = this.#pending.get(m.id);
        if (!p) return;
        this.#settle(m.id);
        p.reject(err instanceof Error ? err : new Error(String(err)));
      },
    }, store);
    this.#updateRef();
  }

  get label(): string {
    return this.#label;
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  get failed(): boolean {
    return this.#failure !== undefined;
  }

  call(method: string, args: unknown[], options: CallOptions = {}): Promise<unknown> {
    if (this.#failure) return Promise.reject(this.#failure(false));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new CancelledError(`call ${this.#label}.${method}`, signal.reason));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const pending: Pending = { method, resolve, reject, batch: this.#port.sentBatches };
      this.#pending.set(id, pending);
      if (signal) this.#wireAbort(id, pending, signal);
      this.#port.send(callMessage(id, method, args, options));
      this.#updateRef();
    });
  }

  /** Calls an async-generator method; items arrive as an async iterator, with credit-based flow control. */
  stream(method: string, args: unknown[], options: CallOptions = {}): AsyncIterableIterator<unknown> {
    const buffered: unknown[] = [];
    let done = false;
    let error: Error | undefined;
    let wake: (() => void) | undefined;
    let consumed = 0;
    const id = this.#nextId++;
    const notify = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const pending: Pending = {
      method,
      batch: 0,
      resolve: () => {},
      reject: err => {
        error = err;
        notify();
      },
      item: v => {
        buffered.push(v);
        notify();
      },
      end: () => {
        done = true;
        notify();
      },
    };
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      if (this.#failure) {
        error = this.#failure(false);
        return;
      }
      if (options.signal?.aborted) {
        error = new CancelledError(`stream ${this.#label}.${method}`, options.signal.reason);
        return;
      }
      pending.batch = this.#port.sentBatches;
      this.#pending.set(id, pending);
      if (options.signal) this.#wireAbort(id, pending, options.signal);
      const m = callMessage(id, method, args, options);
      m.s = 1;
      this.#port.send(m);
      this.#updateRef();
    };
    const finish = () => {
      if (this.#pending.has(id)) {
        this.#settle(id);
        this.#port.send({ t: 'cancel', id });
      }
    };
    const iterator: AsyncIterableIterator<unknown> = {
      [Symbol.asyncIterator]() {
        return iterator;
      },
      next: async () => {
        start();
        for (;;) {
          if (buffered.length > 0) {
            const value = buffered.shift();
            if (++consumed >= STREAM_WINDOW / 2 && this.#pending.has(id)) {
              this.#port.send({ t: 'credit', id, n: consumed });
              consumed = 0;
            }
            return { value, done: false };
          }
          if (error) {
            finish();
            throw error;
          }
          if (done) return { value: undefined, done: true };
          await new Promise<void>(r => (wake = r));
        }
      },
      return: async () => {
        finish();
        done = true;
        return { value: undefined, done: true };
      },
    };
    return iterator;
  }

  /** Rejects every pending call with the factory's error and refuses new ones. */
  fail(factory: FailureFactory): void {
    if (this.#failure) return;
    this.#failure = factory;
    const pending = this.#pending.values();
    const sent = this.#port.sentBatches;
    this.#pending.clear();
    for (const p of pending) {
      if (p.signal) p.signal.removeEventListener('abort', p as any);
      p.reject(factory(p.batch < sent));
    }
    this.#port.close();
  }

  close(): void {
    this.fail(() => new Error(`the link to ${this.#label} is closed`));
  }

  #wireAbort(id: number, pending: Pending, signal: AbortSignal): void {
    pending.id = id;
    pending.signal = signal;
    pending.link = this;
    pending.handleEvent = abortPending;
    signal.addEventListener('abort', pending as any, ONCE);
  }

  /** @internal A call's signal aborted: the call is settled here and the actor told to stop it. */
  abortPending(pending: Pending): void {
    const id = pending.id!;
    if (this.#pending.get(id) !== pending) return;
    this.#settle(id);
    this.#port.send({ t: 'cancel', id });
    pending.reject(new CancelledError(`call ${this.#label}.${pending.method}`, pending.signal!.reason));
  }

  #settle(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    if (!p) return undefined;
    this.#pending.delete(id);
    if (p.signal) p.signal.removeEventListener('abort', p as any);
    this.#updateRef();
    return p;
  }

  #receive(m: FromActor): void {
    switch (m.t) {
      case 'ok':
        this.#settle(m.id)?.resolve(m.v);
        return;
      case 'err':
        this.#settle(m.id)?.reject(m.e);
        return;
      case 'item':
        this.#pending.get(m.id)?.item?.(m.v);
        return;
      case 'end':
        this.#settle(m.id)?.end?.();
        return;
    }
  }

  // An idle link must not keep the process alive; one with calls in flight must.
  #updateRef(): void {
    const want = this.#pending.size > 0;
    if (want === this.#refed) return;
    this.#refed = want;
    if (want) this.#port.ref();
    else this.#port.unref();
  }
}
