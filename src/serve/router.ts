// One router per deployment in every thread that calls it. It learns the replica set from a retained
// topic, sends each call to one of two sampled replicas with room (power of two choices), holds calls in
// a bounded FIFO when every replica is full, retries calls that a dying replica never received, and
// reports calls that a replica died running.
import { callActor, makeHandle, subscribe, setLoadReporter, CancelledError, ActorDiedError, type ActorAddress } from '../core/index.ts';
import { BackPressureError, DeploymentGoneError, ReplicaDiedError } from './errors.ts';
import { chooseReplica } from './router-policy.ts';

export interface ReplicaSet {
  replicas: ActorAddress[];
  maxOngoingRequests: number;
  maxQueuedRequests: number;
  /** The deployment was deleted: fail what waits, refuse what comes. */
  gone?: boolean;
}

interface Replica {
  address: ActorAddress;
  handle: object;
  inFlight: number;
}

/** Told which replica took a call (the HTTP proxy's access log). */
export interface CallObserver {
  onReplica?(replicaName: string): void;
}

interface Waiter {
  grant(replica: Replica): void;
  fail(err: Error): void;
}

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

  /** `args` must be known to cross threads: the deployment handle checks them, and the HTTP proxy builds them
   *  from parsed JSON, strings and bytes; the actor link does not check them again. */
  async call(method: string, args: unknown[], signal?: AbortSignal, observer?: CallObserver): Promise<unknown> {
    for (;;) {
      const replica = this.#ready(signal) ?? (await this.#acquire(signal));
      observer?.onReplica?.(replica.address.name);
      try {
        return await callActor(replica.handle, method, args, { signal, argsChecked: true });
      } catch (err) {
        if (!this.#retryable(replica, err)) throw this.#translate(replica, err);
      } finally {
        this.#release(replica);
      }
    }
  }

  async *stream(method: string, args: unknown[], signal?: AbortSignal, observer?: CallObserver): AsyncGenerator<unknown> {
    for (;;) {
      const replica = this.#ready(signal) ?? (await this.#acquire(signal));
      observer?.onReplica?.(replica.address.name);
      let started = false;
      try {
        const iterator = callActor(replica.handle, method, args, { signal, stream: true, argsChecked: true }) as AsyncIterableIterator<unknown>;
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
    while (this.#queue.length > 0) {
      const replica = this.#pick();
      if (!replica) return;
      this.#queue.shift()!.grant(replica);
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
    // Keep in-flight counts of replicas that stay; new ones start at zero.
    const previous = new Map(this.#replicas.map(r => [r.address.actorId, r]));
    this.#replicas = set.replicas.map(address => previous.get(address.actorId) ?? { address, handle: makeHandle(address), inFlight: 0 });
    this.#pump();
  }
}

const routers = new Map<string, Router>();

/** The router of this thread for a deployment. */
export function routerFor(runtimeId: string, deploymentId: string): Router {
  const key = `${runtimeId}/${deploymentId}`;
  let router = routers.get(key);
  if (!router) routers.set(key, (router = new Router(runtimeId, deploymentId)));
  return router;
}

/** Calls waiting in this thread's routers, by deployment id (the autoscaler counts them as ongoing). */
export function routerQueues(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const router of routers.values()) if (router.queued > 0) out[router.deployment] = (out[router.deployment] ?? 0) + router.queued;
  return out;
}

// A replica's load report carries the queues of the routers in its thread (handles it calls other deployments with).
setLoadReporter('routerQueues', routerQueues);
