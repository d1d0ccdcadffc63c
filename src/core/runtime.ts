// The actor runtime: spawns actors on worker threads, keeps the directory of live actors and their
// names, brokers direct links between threads, runs stateless tasks on a pool, and shuts it all down.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { MessageChannel, type ResourceLimits } from 'node:worker_threads';
import { InvalidArgumentError, toErrorRecord } from '../errors/index.ts';
import { assertSerializable, encodeStandalone } from './codec.ts';
import type { CallOptions } from './connection.ts';
import { ActorRecord } from './actor-record.ts';
import { ActorDiedError, ActorLimitError, ActorNameTakenError, ActorNotFoundError, RuntimeClosedError } from './errors.ts';
import { addressOf, makeHandle, registerConnector, unregisterConnector, type ActorHandle, type Connector } from './handle.ts';
import { requireLocation } from './locate.ts';
import { failedIterator } from './iterators.ts';
import type { ActorAddress, ConnectControl, MainToWorker } from './protocol.ts';
import { TaskPool, type RemoteFunction } from './task-pool.ts';
import { setThreadContext } from './thread-context.ts';
import { park, parksHere } from './import-window.ts';
import { deliver } from './topics.ts';
import { HolderTable, ObjectStore, registerStore, threadObjectStore, unregisterStore, type WorkerStoreData } from '../store/index.ts';

export interface RuntimeOptions {
  /** Most actors alive at once (default 256). */
  maxActors?: number;
  /** Threads of the task pool (default: the number of cores). */
  taskThreads?: number;
  /**
   * The shared-memory object store: typed arrays of at least `inlineThresholdBytes` (default 64 KiB) in call
   * arguments and results travel as refs to it instead of being copied. `capacityBytes` default: 1 GiB or an
   * eighth of the machine's memory, whichever is less (virtual memory until used). `false`: no store.
   */
  objectStore?: { capacityBytes?: number; inlineThresholdBytes?: number } | false;
}

export interface SpawnOptions {
  /** A unique name: getActor(name) finds the actor. Default: a generated one. */
  name?: string;
  /** Async method calls interleave up to this many at once (default 1000). Sync methods always run one at a time. */
  maxConcurrency?: number;
  /** Restarts after the worker dies (default 0). */
  maxRestarts?: number;
  /** V8 heap limits of the actor's thread. */
  resourceLimits?: ResourceLimits;
  /** Where the class lives, for classes not decorated with @actor(). */
  module?: string | URL;
  exportName?: string;
}

export interface ActorInfo {
  id: number;
  name: string;
  className: string;
  state: string;
  restarts: number;
  inFlight: number;
  threadId?: number;
}

type Ctor = abstract new (...args: any[]) => any;

const runtimes = new Set<Runtime>();

/** The object store of this thread's runtime: a worker thread's own, or on the main thread the current runtime's. */
export function objectStore(): ObjectStore | undefined {
  return threadObjectStore() ?? currentRuntime()?.objectStore;
}

/** The most recently started runtime that is still open (what getActor() uses on the main thread). */
export function currentRuntime(): Runtime | undefined {
  let last: Runtime | undefined;
  for (const r of runtimes) last = r;
  return last;
}

export class Runtime implements Connector {
  readonly id = randomUUID();
  #options: Required<RuntimeOptions>;
  #actors = new Map<number, ActorRecord>();
  #names = new Map<string, ActorRecord>();
  #nextActorId = 1;
  #tombstones = new Map<number, Error>();
  #deathListeners = new Set<(info: { actorId: number; name: string; error: Error }) => void>();
  #closed = false;
  #tasks: TaskPool | undefined;
  /** Extra workerData every actor thread receives (set by the object store's integration). */
  #shared: unknown;
  #store: ObjectStore | undefined;
  #holders: HolderTable | undefined;

  /** Made by a module's top-level code while a worker imports it: starts nothing, and its calls never settle. */
  #parked = false;

  constructor(options: RuntimeOptions = {}) {
    if (parksHere()) {
      this.#parked = true;
      this.#options = { maxActors: 0, taskThreads: 0, objectStore: false };
      return;
    }
    const maxActors = options.maxActors ?? 256;
    if (!Number.isInteger(maxActors) || maxActors < 1) throw new InvalidArgumentError(`maxActors must be a positive integer, got ${maxActors}`);
    const taskThreads = options.taskThreads ?? Math.max(1, os.availableParallelism());
    this.#options = { maxActors, taskThreads, objectStore: options.objectStore ?? {} };
    if (options.objectStore !== false) this.#openStore(options.objectStore ?? {}, maxActors + taskThreads + 8);
    registerConnector(this.id, this);
    runtimes.add(this);
    setThreadContext({ runtimeId: this.id, lookup: async name => this.lookupName(name) });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The runtime's object store (undefined with `objectStore: false`): `put` a typed array to pass the ref
   * explicitly, `get` a view of a ref, `stats()` for usage. Inside an actor, `objectStore()` gives the same store.
   */
  get objectStore(): ObjectStore | undefined {
    return this.#store;
  }

  #openStore(options: { capacityBytes?: number; inlineThresholdBytes?: number }, maxHolders: number): void {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('objectStore must be { capacityBytes?, inlineThresholdBytes? } or false');
    const store = ObjectStore.create({ capacity: options.capacityBytes, inlineThreshold: options.inlineThresholdBytes, maxHolders });
    const holders = HolderTable.create(maxHolders);
    registerStore(store);
    this.#store = store;
    this.#holders = holders;
    this.#shared = { share: store.share(), holders: holders.buffer } satisfies WorkerStoreData;
  }

  // Each actor thread holds stored objects under its own holder id; when the thread ends, what it held is dropped.
  #storeHooks() {
    const store = this.#store;
    const holders = this.#holders;
    if (!store || !holders) return undefined;
    return {
      store,
      claimHolder: () => holders.claim(-1),
      threadEnded: (holder: number) => {
        if (!store.closed) store.releaseHolder(holder);
        holders.free(holder);
      },
    };
  }

  /** Starts an actor: one instance of `cls` in its own worker thread. Resolves once its constructor and init() are done. */
  async spawn<C extends Ctor>(cls: C, args: ConstructorParameters<C> | [] = [], options: SpawnOptions = {}): Promise<ActorHandle<InstanceType<C>>> {
    if (this.#parked || parksHere()) return park('spawn()');
    this.#assertOpen();
    if (typeof cls !== 'function') throw new InvalidArgumentError(`spawn() takes a class, got ${typeof cls}`);
    const location = requireLocation(cls, options);
    if (!Array.isArray(args)) throw new InvalidArgumentError(`spawn(${cls.name}, args): args must be an array of constructor arguments`);
    args.forEach((a, i) => assertSerializable(a, `constructor argument ${i + 1} of ${cls.name}`));
    const maxConcurrency = options.maxConcurrency ?? 1000;
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) throw new InvalidArgumentError(`maxConcurrency must be a positive integer, got ${maxConcurrency}`);
    const maxRestarts = options.maxRestarts ?? 0;
    if (!Number.isInteger(maxRestarts) || maxRestarts < 0) throw new InvalidArgumentError(`maxRestarts must be a non-negative integer, got ${maxRestarts}`);
    if (this.#liveCount() >= this.#options.maxActors) throw new ActorLimitError(this.#options.maxActors);
    const actorId = this.#nextActorId++;
    const name = options.name ?? `${cls.name}-${actorId}`;
    if (this.#names.has(name)) throw new ActorNameTakenError(name);

    const record = new ActorRecord(
      {
        runtimeId: this.id,
        actorId,
        name,
        className: cls.name,
        module: location.module,
        exportName: location.exportName,
        args: encodeStandalone(args),
        maxConcurrency,
        maxRestarts,
        resourceLimits: options.resourceLimits,
        store: this.#shared,
      },
      {
        connect: (from, message) => this.#connect(message, (reply, transfer) => from.notify(reply, transfer)),
        died: (r, err, final) => this.#died(r, err, final),
        objectStore: this.#storeHooks(),
      },
    );
    this.#actors.set(actorId, record);
    this.#names.set(name, record);
    try {
      await record.ready;
    } catch (err) {
      this.#forget(record, err as Error);
      throw err;
    }
    return makeHandle<InstanceType<C>>(record.address());
  }

  /** A handle to the live actor with this name. */
  getActor<T = any>(name: string): ActorHandle<T> {
    this.#assertOpen();
    return makeHandle(this.#byName(name).address());
  }

  /** Terminates an actor at once: calls in flight fail with ActorDiedError, and it is not restarted. */
  async kill(handle: object): Promise<void> {
    await this.#recordOf(handle)?.kill();
  }

  /** Lets an actor finish the calls it is running, refusing new ones, then ends it (killed after timeoutMs). */
  async stop(handle: object, options: { timeoutMs?: number } = {}): Promise<void> {
    await this.#recordOf(handle)?.stop(options.timeoutMs ?? 30_000);
  }

  /** Live actors and their states. */
  actors(): ActorInfo[] {
    return [...this.#actors.values()].map(r => ({
      id: r.spec.actorId,
      name: r.spec.name,
      className: r.spec.className,
      state: r.state,
      restarts: r.restarts,
      inFlight: r.inFlight,
      threadId: r.threadId,
    }));
  }

  /** Runs a remote function (see remote()) on the task pool. */
  runTask<A extends unknown[], R>(fn: RemoteFunction<A, R>, args: A, options: { signal?: AbortSignal } = {}): Promise<Awaited<R>> {
    if (this.#parked) return park('runTask()');
    this.#assertOpen();
    this.#tasks ??= new TaskPool(this.#options.taskThreads, this.#shared, { runtimeId: this.id, connect: (message, reply) => this.#connect(message, reply) });
    return this.#tasks.run(fn as unknown as RemoteFunction<unknown[], unknown>, args, options) as Promise<Awaited<R>>;
  }

  /** Ends every actor and the task pool; leaves no thread, timer or port behind. */
  async shutdown(): Promise<void> {
    if (this.#parked) return park('shutdown()');
    if (this.#closed) return;
    this.#closed = true;
    runtimes.delete(this);
    await Promise.all([...this.#actors.values()].map(r => r.kill('the runtime shut down')));
    await this.#tasks?.close();
    this.#closeStore();
    this.#actors.clear();
    this.#names.clear();
    unregisterConnector(this.id);
    const next = currentRuntime();
    setThreadContext(next ? { runtimeId: next.id, lookup: async name => next.lookupName(name) } : undefined);
  }

  /**
   * Publishes a retained value to every thread of this runtime: subscribers (see subscribe()) in the main
   * thread and in every actor, present and future, receive it. `undefined` clears the topic.
   */
  publish(topic: string, value: unknown): void {
    this.#assertOpen();
    deliver(topic, value);
    for (const record of this.#actors.values()) record.notify({ t: 'publish', topic, value });
    this.#tasks?.notify({ t: 'publish', topic, value });
  }

  // Pool threads that ended without their exit handler (terminated) still hold ids: drop them, then holder 0's.
  #closeStore(): void {
    const store = this.#store;
    if (!store) return;
    for (const holder of this.#holders!.claimed()) {
      store.releaseHolder(holder);
      this.#holders!.free(holder);
    }
    store.close();
    unregisterStore(store);
  }

  /** @internal Lets lower layers (the object store) add data every worker thread receives. */
  setSharedWorkerData(data: unknown): void {
    this.#shared = data;
  }

  // ---- Connector: calls from the main thread ----
  call(address: ActorAddress, method: string, args: unknown[], options?: CallOptions): Promise<unknown> {
    const record = this.#actors.get(address.actorId);
    if (!record) return Promise.reject(this.#missing(address));
    return record.call(method, args, options);
  }

  stream(address: ActorAddress, method: string, args: unknown[], options?: CallOptions): AsyncIterableIterator<unknown> {
    const record = this.#actors.get(address.actorId);
    if (!record) {
      const err = this.#missing(address);
      return failedIterator(err);
    }
    return record.stream(method, args, options);
  }

  /** @internal Address lookup used by getActor() in this thread. */
  lookupName(name: string): ActorAddress {
    return this.#byName(name).address();
  }

  #byName(name: string): ActorRecord {
    const record = this.#names.get(name);
    if (!record || record.state === 'dead') throw new ActorNotFoundError(name);
    return record;
  }

  #recordOf(handle: object): ActorRecord | undefined {
    return this.#actors.get(addressOf(handle).actorId);
  }

  #liveCount(): number {
    let n = 0;
    for (const r of this.#actors.values()) if (r.state !== 'dead') n++;
    return n;
  }

  #assertOpen(): void {
    if (this.#closed) throw new RuntimeClosedError();
  }

  // Serves a worker thread's (an actor's or a pool thread's) request for a link to an actor.
  async #connect(message: ConnectControl, reply: (message: MainToWorker, transfer?: any[]) => void): Promise<void> {
    try {
      const target = message.name !== undefined ? this.#byName(message.name) : this.#actors.get(message.actorId!);
      if (!target) throw this.#goneById(message.actorId!);
      await target.ready;
      if (message.name !== undefined && message.actorId === undefined) {
        reply({ t: 'connected', req: message.req, actor: target.address() });
        return;
      }
      const { port1, port2 } = new MessageChannel();
      target.accept(port1);
      reply({ t: 'connected', req: message.req, port: port2, actor: target.address() }, [port2]);
    } catch (err) {
      reply({ t: 'connected', req: message.req, error: toErrorRecord(err) });
    }
  }

  /** Why no link to this actor id can be had: it died (and why), or it never existed. */
  #goneById(actorId: number): Error {
    const died = this.#tombstones.get(actorId);
    if (!died) return new ActorNotFoundError(`#${actorId}`);
    const details = (died as ActorDiedError).details as { actor?: string; reason?: string } | undefined;
    return new ActorDiedError(details?.actor ?? `#${actorId}`, String(details?.reason ?? died.message), { cause: died.cause, delivered: false });
  }

  /** Calls `listener` when an actor is gone for good (died with no restart left, killed, or stopped). */
  onActorDied(listener: (info: { actorId: number; name: string; error: Error }) => void): () => void {
    this.#deathListeners.add(listener);
    return () => this.#deathListeners.delete(listener);
  }

  #died(record: ActorRecord, error: Error, final: boolean): void {
    if (final && this.#actors.has(record.spec.actorId)) {
      for (const listener of this.#deathListeners) listener({ actorId: record.spec.actorId, name: record.spec.name, error });
    }
    const message = { t: 'peer-died' as const, actorId: record.spec.actorId, incarnation: record.incarnation, error: toErrorRecord(error) };
    for (const other of this.#actors.values()) if (other !== record) other.notify(message);
    this.#tasks?.notify(message);
    if (final) this.#forget(record, error);
  }

  /** Drops a dead actor, keeping why it died so that later calls through old handles fail with that reason. */
  #forget(record: ActorRecord, error: Error): void {
    if (!this.#actors.has(record.spec.actorId)) return;
    this.#actors.delete(record.spec.actorId);
    if (this.#names.get(record.spec.name) === record) this.#names.delete(record.spec.name);
    this.#tombstones.set(record.spec.actorId, error);
    if (this.#tombstones.size > 10_000) this.#tombstones.delete(this.#tombstones.keys().next().value!);
  }

  #missing(address: ActorAddress): Error {
    if (this.#closed) return new RuntimeClosedError();
    const died = this.#tombstones.get(address.actorId);
    if (died) {
      const details = (died as ActorDiedError).details;
      return new ActorDiedError(`${address.className} ${address.name}`, String(details?.reason ?? died.message), { cause: died.cause, delivered: false });
    }
    return new ActorNotFoundError(address.name);
  }
}
