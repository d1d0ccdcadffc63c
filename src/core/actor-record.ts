// The main thread's view of one actor: its worker, its state, its link, and supervision. A worker that
// dies fails every call in flight with ActorDiedError; restarts (up to maxRestarts) bring a fresh
// instance; calls made meanwhile wait for it, and calls made after the actor is gone fail at once.
import { MessageChannel, Worker, type ResourceLimits } from 'node:worker_threads';
import { fromErrorRecord } from '../errors/index.ts';
import type { Frame } from './codec.ts';
import { Connection, type CallOptions } from './connection.ts';
import { ActorDiedError } from './errors.ts';
import { lazyIterator } from './iterators.ts';
import { snapshot } from './topics.ts';
import type { ActorAddress, ActorWorkerData, MainToWorker, WorkerToMain } from './protocol.ts';
import type { ObjectStore } from '../store/index.ts';
import { receiveLogBatch } from '../observability/index.ts';
import { coreModule } from './worker-entry.ts';

export type ActorState = 'starting' | 'ready' | 'restarting' | 'stopping' | 'dead';

export interface ActorSpec {
  runtimeId: string;
  actorId: number;
  name: string;
  className: string;
  module: string;
  exportName?: string;
  args: Frame;
  maxConcurrency: number;
  maxRestarts: number;
  resourceLimits?: ResourceLimits;
  /** Extra workerData for lower layers (the object store's share descriptor). */
  store?: unknown;
}

export interface ActorEvents {
  /** The worker asks for a link to another actor. */
  connect(from: ActorRecord, message: Extract<WorkerToMain, { t: 'connect' }>): void;
  /** The worker died; `final` when no restart follows. */
  died(record: ActorRecord, error: Error, final: boolean): void;
  /** The runtime's object store: each worker incarnation gets a holder id, given back when its thread ends. */
  objectStore?: { store: ObjectStore; claimHolder(): number; threadEnded(holder: number): void };
}

const bootUrl = new URL('./boot.mjs', import.meta.url);
/** How long a killed thread has to end itself before it is terminated from outside. */
export const EXIT_GRACE_MS = 5_000;

// worker.terminate() while the thread is inside a native call (an ONNX Runtime run or session load) aborts the
// whole process (the binding throws Napi::Error into a stopped environment); a thread that exits itself does so
// between two turns. terminate() stays the fallback for a thread whose JavaScript never yields.
async function endThread(worker: Worker): Promise<void> {
  const exited = new Promise<void>(resolve => worker.once('exit', () => resolve()));
  const timer = setTimeout(() => void worker.terminate(), EXIT_GRACE_MS);
  try {
    worker.postMessage({ t: 'exit' } satisfies MainToWorker);
  } catch {
    void worker.terminate();
  }
  await exited;
  clearTimeout(timer);
}
const entryUrl = coreModule('actor-worker');

export class ActorRecord {
  readonly spec: ActorSpec;
  #events: ActorEvents;
  #worker: Worker | undefined;
  #link: Connection | undefined;
  #state: ActorState = 'starting';
  #incarnation = 0;
  #restarts = 0;
  #ready: Promise<void>;
  #methods: string[] = [];
  #streams: string[] = [];
  #deathReason: { reason: string; cause?: unknown } | undefined;
  #lastError: unknown;
  #killReason: string | undefined;
  #stopped: (() => void) | undefined;
  #everReady = false;

  constructor(spec: ActorSpec, events: ActorEvents) {
    this.spec = spec;
    this.#events = events;
    this.#ready = this.#start();
  }

  get label(): string {
    return `${this.spec.className} ${this.spec.name}`;
  }
  get state(): ActorState {
    return this.#state;
  }
  get incarnation(): number {
    return this.#incarnation;
  }
  get restarts(): number {
    return this.#restarts;
  }
  get threadId(): number | undefined {
    return this.#worker?.threadId;
  }
  get inFlight(): number {
    return this.#link?.inFlight ?? 0;
  }
  /** Settles when the current incarnation is ready; rejects with why the actor could not start. */
  get ready(): Promise<void> {
    return this.#ready;
  }

  address(): ActorAddress {
    const { runtimeId, actorId, name, className } = this.spec;
    return { runtimeId, actorId, name, className, methods: this.#methods, streams: this.#streams };
  }

  call(method: string, args: unknown[], options?: CallOptions): Promise<unknown> {
    // A ready actor's link takes the call at once: no async frame and no await per call.
    const link = this.#link;
    if (this.#state === 'ready' && link && !link.failed) return link.call(method, args, options);
    return this.#currentLink().then(current => current.call(method, args, options));
  }

  stream(method: string, args: unknown[], options?: CallOptions): AsyncIterableIterator<unknown> {
    return lazyIterator(async () => (await this.#currentLink()).stream(method, args, options));
  }

  /** Hands the worker one end of a new link for another thread. */
  accept(port: import('node:worker_threads').MessagePort): void {
    this.#post({ t: 'accept', port }, [port]);
  }

  notify(message: MainToWorker, transfer: any[] = []): void {
    this.#post(message, transfer);
  }

  /** Terminates the worker now; no restart follows. */
  async kill(reason = 'killed by kill()'): Promise<void> {
    if (this.#state === 'dead') return;
    this.#killReason = reason;
    const worker = this.#worker;
    if (worker) await endThread(worker);
    else this.#die({ reason }, true);
  }

  /** Lets calls in flight finish (new ones are refused), then ends the worker; kills it after timeoutMs. */
  async stop(timeoutMs: number): Promise<void> {
    if (this.#state === 'dead') return;
    if (this.#state !== 'ready') return this.kill('stopped before it was ready');
    this.#state = 'stopping';
    const stopped = new Promise<void>(resolve => (this.#stopped = resolve));
    this.#post({ t: 'stop' });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>(resolve => (timer = setTimeout(() => resolve(true), timeoutMs)));
    const late = await Promise.race([stopped.then(() => false), timedOut]);
    clearTimeout(timer);
    await this.kill(late ? `stop() timed out after ${timeoutMs} ms with calls still running` : 'stopped by stop()');
  }

  async #currentLink(): Promise<Connection> {
    if (this.#state === 'dead') throw this.#deadError(false);
    await this.#ready;
    const link = this.#link;
    if (!link || link.failed) {
      if ((this.#state as ActorState) === 'dead') throw this.#deadError(false);
      await this.#ready;
      return this.#currentLink();
    }
    return link;
  }

  #deadError(delivered: boolean): ActorDiedError {
    const why = this.#deathReason ?? { reason: 'it is gone' };
    return new ActorDiedError(this.label, why.reason, { cause: why.cause, delivered });
  }

  #post(message: MainToWorker, transfer: any[] = []): void {
    try {
      this.#worker?.postMessage(message, transfer);
    } catch {
      // The worker is exiting; its exit handler settles everything.
    }
  }

  #start(): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    const incarnation = ++this.#incarnation;
    const objectStore = this.#events.objectStore;
    const holder = objectStore?.claimHolder();
    const data: ActorWorkerData = {
      kind: 'actor',
      runtimeId: this.spec.runtimeId,
      actorId: this.spec.actorId,
      incarnation,
      label: this.label,
      module: this.spec.module,
      exportName: this.spec.exportName,
      className: this.spec.className,
      args: this.spec.args,
      maxConcurrency: this.spec.maxConcurrency,
      callPort: port2,
      store: holder === undefined ? undefined : { ...(this.spec.store as object), holder },
      topics: snapshot(),
    };
    const worker = new Worker(bootUrl, {
      workerData: { ...data, entry: entryUrl },
      transferList: [port2],
      execArgv: [],
      resourceLimits: this.spec.resourceLimits,
      name: this.label,
    });
    this.#worker = worker;
    this.#lastError = undefined;
    const link = new Connection(port1, this.label, objectStore?.store ?? null);
    this.#link = link;

    return new Promise<void>((resolve, reject) => {
      let settled = false;
      worker.on('message', (message: WorkerToMain) => {
        switch (message.t) {
          case 'ready':
            this.#methods = message.methods;
            this.#streams = message.streams;
            this.#state = 'ready';
            this.#everReady = true;
            settled = true;
            resolve();
            return;
          case 'init-failed': {
            const error = fromErrorRecord(message.error);
            this.#lastError = error;
            settled = true;
            this.#killReason = this.#killReason ?? 'its constructor or init() threw';
            this.#deathReason = { reason: `its constructor or init() threw: ${error.message}`, cause: error };
            this.#state = 'dead';
            reject(error);
            void worker.terminate();
            return;
          }
          case 'connect':
            this.#events.connect(this, message);
            return;
          case 'stopped':
            this.#stopped?.();
            return;
          case 'log':
            receiveLogBatch(message);
            return;
        }
      });
      worker.on('error', err => {
        this.#lastError = err;
      });
      worker.on('exit', code => {
        // The thread is gone: every hold it had on stored objects is dropped (its views died with it).
        if (holder !== undefined) objectStore!.threadEnded(holder);
        if (this.#worker !== worker) return;
        this.#worker = undefined;
        const why = this.#describeExit(code);
        const restart = this.#killReason === undefined && this.#everReady && this.#restarts < this.spec.maxRestarts;
        link.fail(delivered => new ActorDiedError(this.label, why.reason, { cause: why.cause, delivered }));
        if (!settled) {
          settled = true;
          this.#deathReason = why;
          this.#state = 'dead';
          reject(new ActorDiedError(this.label, `${why.reason} before it was ready`, { cause: why.cause, delivered: false }));
          this.#events.died(this, this.#deadError(false), true);
          return;
        }
        this.#die(why, !restart);
      });
    });
  }

  #describeExit(code: number): { reason: string; cause?: unknown } {
    if (this.#killReason) return { reason: this.#killReason };
    const err = this.#lastError as { code?: string; message?: string } | undefined;
    if (err?.code === 'ERR_WORKER_OUT_OF_MEMORY') return { reason: `it ran out of memory (${err.message}); raise resourceLimits or use less`, cause: err };
    if (err) return { reason: `it threw an uncaught exception: ${err.message}`, cause: err };
    return { reason: `its thread exited with code ${code} (process.exit() inside the actor?)` };
  }

  #die(why: { reason: string; cause?: unknown }, final: boolean): void {
    this.#deathReason = why;
    const error = this.#deadError(true);
    if (final) {
      this.#state = 'dead';
      this.#events.died(this, error, true);
      return;
    }
    this.#state = 'restarting';
    this.#restarts++;
    this.#events.died(this, error, false);
    this.#ready = this.#start();
    this.#ready.catch(() => {});
  }
}
