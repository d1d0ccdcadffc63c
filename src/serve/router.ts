// One router per deployment in every thread that calls it. It learns the replica set from a retained
// topic, sends each call to one of two sampled replicas with room (power of two choices), holds calls in
// a bounded FIFO when every replica is full, retries calls that a dying replica never received, and
// reports calls that a replica died running. A call for a multiplexed model goes to a replica that holds the
// model when one has room (see #pickFor).
import { performance } from 'node:perf_hooks';
import { callActor, makeHandle, subscribe, setLoadReporter, CancelledError, ActorDiedError, type ActorAddress, type CallOptions } from '../core/index.ts';
import { BackPressureError, DeploymentGoneError, ReplicaDiedError } from './errors.ts';
import { chooseFallback, chooseReplica } from './router-policy.ts';

/**
 * How long a call for a model waits for a replica that holds the model to have room before it goes to any
 * replica (which then loads the model, evicting another). Loading a model takes far longer than a call's
 * turn on a busy replica, so waiting a little for a holder usually wins; waiting long would turn a burst for
 * one model into queueing while other replicas idle. Ray Serve's router makes the same trade with a timeout.
 */
export const MODEL_MATCH_WAIT_MS = 100;

/** Model ids a router remembers sending to one replica (most recent kept): its affinity memory. */
const REMEMBERED_MODELS_PER_REPLICA = 64;

/**
 * How old a replica's model report may be when it reaches a router: an id sent to the replica less than this
 * long ago may be missing from the report only because the report was taken first, so the router keeps
 * remembering it; older ids the report leaves out have been evicted there, and the router forgets them.
 */
const MODEL_REPORT_LAG_MS = 5_000;

export interface ReplicaSet {
  replicas: ActorAddress[];
  maxOngoingRequests: number;
  maxQueuedRequests: number;
  /** The deployment was deleted: fail what waits, refuse what comes. */
  gone?: boolean;
  /** The @multiplexed model ids each replica holds, by replica actor name (`address.name`), as the replicas
   *  last reported them (their load report's `multiplexedModels`). Absent: no replica reported any. */
  models?: Record<string, string[]>;
}

interface Replica {
  address: ActorAddress;
  handle: object;
  inFlight: number;
  /** Model ids the replica reported holding (ReplicaSet.models); undefined when none. */
  reported: ReadonlySet<string> | undefined;
  /** Model ids this router sent to the replica, with when (performance.now()), least recent first. */
  sent: Map<string, number> | undefined;
}

/** Told which replica took a call (the HTTP proxy's access log). */
export interface CallObserver {
  onReplica?(replicaName: string): void;
}

/** What a call may carry besides its arguments. */
export interface RouteOptions extends CallObserver {
  /** The model the call is for (@multiplexed): replicas that hold it are preferred, and the replica reads it
   *  with getMultiplexedModelId(). Undefined: no model, the plain path. */
  multiplexedModelId?: string;
  /** The HTTP request's trace carrier (the proxy's); calls made inside a replica call pass theirs on by themselves. */
  readonly trace?: string;
}

interface Waiter {
  grant(replica: Replica): void;
  fail(err: Error): void;
  /** Set for a call with a model id. */
  modelId?: string;
  /** While true, only a replica that holds the model will do (the first MODEL_MATCH_WAIT_MS of the wait). */
  matching?: boolean;
}

function holds(replica: Replica, modelId: string): boolean {
  return replica.reported?.has(modelId) === true || replica.sent?.has(modelId) === true;
}

/** About how many models a replica holds: what it reported, or what this router sent it if that is more. */
function modelCount(replica: Replica): number {
  return Math.max(replica.reported?.size ?? 0, replica.sent?.size ?? 0);
}

const inFlightOf = (r: Replica) => r.inFlight;

export function replicaTopic(runtimeId: string, deploymentId: string): string {
  return `troupe.serve/${runtimeId}/${deploymentId}`;
}

export class Router {
  readonly deployment: string;
  #replicas: Replica[] = [];
  #queue: Waiter[] = [];
  #maxOngoing = 5;
  #maxQueued = 100;
  #gone = false;
  #known = false;
  /** Waiters in #queue that carry a model id: while there are none, #pump is the plain FIFO loop. */
  #modelWaiters = 0;

  constructor(runtimeId: string, deploymentId: string) {
    this.deployment = deploymentId;
    subscribe(replicaTopic(runtimeId, deploymentId), value => this.#update(value as ReplicaSet | undefined));
  }

  /** Methods of the deployment's class, once a replica has reported them. */
  get methods(): string[] | undefined {
    return this.#replicas[0]?.address.methods;
  }
  get streams(): string[] {
    return this.#replicas[0]?.address.streams ?? [];
  }
  get queued(): number {
    return this.#queue.length;
  }
  /** Calls sent and not yet answered, plus those waiting: what this router adds to its deployment's load. */
  get ongoing(): number {
    let n = this.#queue.length;
    for (const r of this.#replicas) n += r.inFlight;
    return n;
  }

  /** `args` must be known to cross threads: the deployment handle checks them, and the HTTP proxy builds them
   *  from parsed JSON, strings and bytes; the actor link does not check them again. */
  async call(method: string, args: unknown[], signal?: AbortSignal, options?: RouteOptions): Promise<unknown> {
    const modelId = options?.multiplexedModelId;
    for (;;) {
      const replica = modelId === undefined ? this.#ready(signal) ?? (await this.#acquire(signal)) : await this.#acquireFor(modelId, signal);
      options?.onReplica?.(replica.address.name);
      try {
        return await callActor(replica.handle, method, args, callOptions(signal, modelId, options?.trace));
      } catch (err) {
        if (!this.#retryable(replica, err)) throw this.#translate(replica, err);
      } finally {
        this.#release(replica);
      }
    }
  }

  async *stream(method: string, args: unknown[], signal?: AbortSignal, options?: RouteOptions): AsyncGenerator<unknown> {
    const modelId = options?.multiplexedModelId;
    for (;;) {
      const replica = modelId === undefined ? this.#ready(signal) ?? (await this.#acquire(signal)) : await this.#acquireFor(modelId, signal);
      options?.onReplica?.(replica.address.name);
      let started = false;
      try {
        const iterator = callActor(replica.handle, method, args, { ...callOptions(signal, modelId, options?.trace), stream: true }) as AsyncIterableIterator<unknown>;
        try {
          for (;;) {
            const step = await iterator.next();
            started = true;
            if (step.done) return;
            yield step.value;
          }
        } finally {
          await iterator.return?.();
        }
      } catch (err) {
        if (started || !this.#retryable(replica, err)) throw this.#translate(replica, err);
      } finally {
        this.#release(replica);
      }
    }
  }

  /** Calls `method` on every replica of the current set at once, past the concurrency limits: a control call each
   *  replica must hear (a model unload). With no replica known yet, one routed call (it waits for a replica). */
  async broadcast(method: string, args: unknown[]): Promise<PromiseSettledResult<unknown>[]> {
    if (this.#replicas.length === 0) return Promise.allSettled([this.call(method, args)]);
    return Promise.allSettled(this.#replicas.map(r => callActor(r.handle, method, args, callOptions(undefined, undefined, undefined))));
  }

  /** A dying replica that never received the call: drop it here and try another. */
  #retryable(replica: Replica, err: unknown): boolean {
    if (!(err instanceof ActorDiedError) || (err as ActorDiedError).details.delivered !== false) return false;
    this.#replicas = this.#replicas.filter(r => r !== replica);
    return true;
  }

  #translate(replica: Replica, err: unknown): unknown {
    if (err instanceof ActorDiedError) return new ReplicaDiedError(this.deployment, replica.address.name, err);
    return err;
  }

  /** A replica with room, taken at once when nothing waits before this call (the common case). */
  #ready(signal: AbortSignal | undefined): Replica | undefined {
    if (signal?.aborted || this.#gone || this.#queue.length > 0) return undefined;
    return this.#pick();
  }

  #acquire(signal: AbortSignal | undefined): Promise<Replica> {
    if (signal?.aborted) return Promise.reject(new CancelledError(`a call to ${this.deployment}`, signal.reason));
    if (this.#gone) return Promise.reject(new DeploymentGoneError(this.deployment));
    if (this.#queue.length === 0) {
      const replica = this.#pick();
      if (replica) return Promise.resolve(replica);
    }
    if (this.#queue.length >= this.#maxQueued) return Promise.reject(new BackPressureError(this.deployment, this.#queue.length, this.#maxQueued));
    return new Promise<Replica>((resolve, reject) => {
      const onAbort = () => {
        const i = this.#queue.indexOf(waiter);
        if (i >= 0) this.#queue.splice(i, 1);
        reject(new CancelledError(`a call to ${this.deployment}`, signal!.reason));
      };
      const waiter: Waiter = {
        grant: r => {
          signal?.removeEventListener('abort', onAbort);
          resolve(r);
        },
        fail: err => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  /**
   * A replica for a call for `modelId`: one that holds the model and has room (power of two choices among
   * them) at once; if the holders are all full, the first of them to have room within MODEL_MATCH_WAIT_MS;
   * if none holds it, or none had room in that time, the replica #pickFor's fallback chooses.
   */
  #acquireFor(modelId: string, signal: AbortSignal | undefined): Replica | Promise<Replica> {
    if (signal?.aborted) return Promise.reject(new CancelledError(`a call to ${this.deployment}`, signal.reason));
    if (this.#gone) return Promise.reject(new DeploymentGoneError(this.deployment));
    const held = this.#replicas.some(r => holds(r, modelId));
    const replica = this.#pickFor(modelId, held);
    if (replica) return replica;
    if (this.#queue.length >= this.#maxQueued) return Promise.reject(new BackPressureError(this.deployment, this.#queue.length, this.#maxQueued));
    return new Promise<Replica>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = () => {
        this.#modelWaiters--;
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        const i = this.#queue.indexOf(waiter);
        if (i < 0) return;
        this.#queue.splice(i, 1);
        settle();
        reject(new CancelledError(`a call to ${this.deployment}`, signal!.reason));
      };
      const waiter: Waiter = {
        grant: r => {
          settle();
          resolve(r);
        },
        fail: err => {
          settle();
          reject(err);
        },
        modelId,
        matching: held,
      };
      if (held) {
        timer = setTimeout(() => {
          timer = undefined;
          waiter.matching = false;
          this.#pump();
        }, MODEL_MATCH_WAIT_MS);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#modelWaiters++;
      this.#queue.push(waiter);
    });
  }

  /**
   * Takes a replica for a call for `modelId`: a holder of the model with room, by power of two choices; else,
   * unless `holdersOnly`, the least loaded replica with room, the one holding fewest models among equals.
   * The router remembers where it sent the model, so the next calls for it go there too (affinity) before
   * any report says the replica holds it.
   */
  #pickFor(modelId: string, holdersOnly: boolean): Replica | undefined {
    const replicas = this.#replicas;
    let holders: Replica[] | undefined;
    for (const r of replicas) if (r.inFlight < this.#maxOngoing && holds(r, modelId)) (holders ??= []).push(r);
    let chosen: Replica | undefined;
    if (holders) chosen = holders.length === 1 ? holders[0] : holders[chooseReplica(holders.map(inFlightOf), this.#maxOngoing)];
    else if (!holdersOnly) {
      const i = chooseFallback(replicas.map(inFlightOf), replicas.map(modelCount), this.#maxOngoing);
      if (i >= 0) chosen = replicas[i];
    }
    if (!chosen) return undefined;
    chosen.inFlight++;
    const sent = (chosen.sent ??= new Map());
    sent.delete(modelId); // re-inserted last: the most recent
    sent.set(modelId, performance.now());
    if (sent.size > REMEMBERED_MODELS_PER_REPLICA) sent.delete(sent.keys().next().value!);
    return chosen;
  }

  #pick(): Replica | undefined {
    const replicas = this.#replicas;
    const i = replicas.length === 1 ? (replicas[0].inFlight < this.#maxOngoing ? 0 : -1) : chooseReplica(replicas.map(r => r.inFlight), this.#maxOngoing);
    if (i < 0) return undefined;
    const replica = this.#replicas[i];
    replica.inFlight++;
    return replica;
  }

  #release(replica: Replica): void {
    replica.inFlight--;
    this.#pump();
  }

  #pump(): void {
    if (this.#modelWaiters === 0) {
      while (this.#queue.length > 0) {
        const replica = this.#pick();
        if (!replica) return;
        this.#queue.shift()!.grant(replica);
      }
      return;
    }
    // In order, except that a call still waiting for a holder of its model lets the calls behind it take
    // other replicas with room.
    const queue = this.#queue;
    for (let i = 0; i < queue.length; ) {
      const waiter = queue[i]!;
      const modelId = waiter.modelId;
      const replica = modelId === undefined ? this.#pick() : this.#pickFor(modelId, waiter.matching === true);
      if (replica) {
        queue.splice(i, 1);
        waiter.grant(replica);
      } else if (modelId === undefined || !waiter.matching) {
        return; // no replica has room
      } else {
        i++;
      }
    }
  }

  #update(set: ReplicaSet | undefined): void {
    if (!set || set.gone) {
      this.#gone = this.#known || set?.gone === true;
      this.#replicas = [];
      if (this.#gone) for (const w of this.#queue.splice(0)) w.fail(new DeploymentGoneError(this.deployment));
      return;
    }
    this.#known = true;
    this.#gone = false;
    this.#maxOngoing = set.maxOngoingRequests;
    this.#maxQueued = set.maxQueuedRequests;
    // Keep in-flight counts and remembered models of replicas that stay; new ones start at zero.
    const previous = new Map(this.#replicas.map(r => [r.address.actorId, r]));
    this.#replicas = set.replicas.map(
      address => previous.get(address.actorId) ?? { address, handle: makeHandle(address), inFlight: 0, reported: undefined, sent: undefined },
    );
    if (set.models !== undefined || this.#replicas.some(r => r.reported !== undefined)) this.#noteModels(set.models);
    this.#pump();
  }

  /** Takes in the replicas' model reports (a replica the set leaves out holds none), and forgets models sent to a
   *  replica long enough ago that its report would list them if it still held them. */
  #noteModels(models: Record<string, string[]> | undefined): void {
    const stale = performance.now() - MODEL_REPORT_LAG_MS;
    for (const r of this.#replicas) {
      if (models === undefined) {
        r.reported = undefined;
        continue;
      }
      const list = models[r.address.name];
      r.reported = list !== undefined && list.length > 0 ? new Set(list) : undefined;
      if (r.sent) for (const [id, at] of r.sent) if (at < stale && r.reported?.has(id) !== true) r.sent.delete(id);
    }
  }
}

/** The actor-call options of a routed call: a model id and a trace only when there are, so plain calls stay as they were. */
function callOptions(signal: AbortSignal | undefined, modelId: string | undefined, trace: string | undefined): CallOptions {
  const options: CallOptions = { signal, argsChecked: true };
  if (modelId !== undefined) options.multiplexedModelId = modelId;
  if (trace !== undefined) options.trace = trace;
  return options;
}

const routers = new Map<string, Router>();

/** The router of this thread for a deployment. */
export function routerFor(runtimeId: string, deploymentId: string): Router {
  const key = `${runtimeId}/${deploymentId}`;
  let router = routers.get(key);
  if (!router) routers.set(key, (router = new Router(runtimeId, deploymentId)));
  return router;
}

/**
 * Calls this thread's routers have sent and not seen answered, or hold, by deployment id: the autoscaler's
 * input. A replica cannot count these itself: calls sent to a replica busy with synchronous work wait in its
 * port, where it does not see them.
 */
export function routerLoads(): Record<string, number> {
  return byDeployment(router => router.ongoing);
}

/** Calls this thread's routers hold waiting for a replica (none free under maxOngoingRequests), by deployment id. */
export function routerQueued(): Record<string, number> {
  return byDeployment(router => router.queued);
}

function byDeployment(count: (router: Router) => number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const router of routers.values()) {
    const n = count(router);
    if (n > 0) out[router.deployment] = (out[router.deployment] ?? 0) + n;
  }
  return out;
}

// A replica's load report carries the loads of the routers in its thread (handles it calls other deployments with).
setLoadReporter('routerLoads', routerLoads);
setLoadReporter('routerQueued', routerQueued);
