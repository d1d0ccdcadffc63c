// Everything the controller does to the world goes through one ReplicaActions adapter: start and stop replicas,
// check their health, reconfigure them, ask their load, publish replica sets to routers. The thread adapter
// below is the only place that knows a replica is a worker thread; tests give the controller a fake one.
import { LIMIT_METHOD, LOAD_METHOD, addressOf, callActor, type ActorAddress, type LoadReport, type Runtime } from '../../core/index.ts';
import type { DeploymentDef } from '../deployment.ts';
import { HealthCheckTimeoutError } from '../errors.ts';
import type { ResolvedOptions } from '../options.ts';
import type { Grant } from '../placement.ts';
import { replicaContextTopic, type PublishedReplicaContext } from '../replica-context.ts';
import { replicaTopic, routerLoads, type ReplicaSet } from '../router.ts';

/** A started replica, opaque to the controller's policies. */
export interface ReplicaRef {
  readonly address: ActorAddress;
}

export interface StartRequest {
  deploymentId: string;
  name: string;
  def: DeploymentDef;
  args: readonly unknown[];
  options: ResolvedOptions;
  grant: Grant;
}

export interface ReplicaActions {
  /** Resolves once the replica can take traffic: constructed, init() done, reconfigure(userConfig) done. */
  start(request: StartRequest): Promise<ReplicaRef>;
  /** Refuses new calls, lets running ones finish for up to timeoutMs, then ends the replica. */
  stop(replica: ReplicaRef, timeoutMs: number): Promise<void>;
  /** Rejects when the replica's checkHealth() throws or takes longer than timeoutMs. */
  checkHealth(replica: ReplicaRef, timeoutMs: number): Promise<void>;
  reconfigure(replica: ReplicaRef, userConfig: unknown): Promise<void>;
  setMaxOngoing(replica: ReplicaRef, limit: number): Promise<void>;
  load(replica: ReplicaRef): Promise<LoadReport>;
  publish(deploymentId: string, set: ReplicaSet): void;
  /** Calls the routers of the controller's own thread (the HTTP proxy's) have in flight or waiting, by deployment id. */
  localLoads(): Record<string, number>;
  /** Calls `listener` when a replica ends without being stopped. Returns an unsubscribe. */
  onDeath(listener: (replicaName: string, error: Error) => void): () => void;
}

export function hasMethod(replica: ReplicaRef, method: string): boolean {
  return replica.address.methods.includes(method);
}

/** Replicas as actors on the runtime's worker threads. */
export class ThreadReplicaActions implements ReplicaActions {
  readonly #runtime: Runtime;
  readonly #handles = new Map<number, object>();
  readonly #contextTopics = new Map<string, string>();

  constructor(runtime: Runtime) {
    this.#runtime = runtime;
  }

  async start(request: StartRequest): Promise<ReplicaRef> {
    const { def, options, grant, name } = request;
    // The replica's context (replicaContext()) is there before its constructor runs.
    // A GPU grant's slot is acquired by the replica's own thread as it boots (replica-context.ts): the addon gives a
    // thread's slots back when that thread ends, so stop, death and restart all return it to the pool.
    const context: PublishedReplicaContext = { deployment: request.deploymentId, replica: name, numCpus: options.actorOptions.numCpus, gpu: grant.gpu };
    if (options.logLevel !== undefined) context.logLevel = options.logLevel;
    const topic = replicaContextTopic(`${def.cls.name} ${name}`);
    this.#contextTopics.set(name, topic);
    this.#runtime.publish(topic, context);
    let handle: object | undefined;
    try {
      handle = await this.#runtime.spawn(def.cls as any, request.args as any, {
        name,
        maxConcurrency: options.maxOngoingRequests,
        module: def.location.module || undefined,
        resourceLimits: options.actorOptions.memory ? { maxOldGenerationSizeMb: options.actorOptions.memory } : undefined,
      });
      const address = addressOf(handle);
      // userConfig reaches the replica before it takes traffic.
      if (options.userConfig !== undefined && address.methods.includes('reconfigure')) await callActor(handle, 'reconfigure', [options.userConfig]);
      this.#handles.set(address.actorId, handle);
      return { address };
    } catch (err) {
      if (handle) await this.#runtime.kill(handle).catch(() => {});
      this.#clearContext(name);
      throw err;
    }
  }

  async stop(replica: ReplicaRef, timeoutMs: number): Promise<void> {
    const handle = this.#handles.get(replica.address.actorId);
    try {
      if (handle) await this.#runtime.stop(handle, { timeoutMs });
    } finally {
      this.#handles.delete(replica.address.actorId);
      this.#clearContext(replica.address.name);
    }
  }

  async checkHealth(replica: ReplicaRef, timeoutMs: number): Promise<void> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      await callActor(this.#handle(replica), 'checkHealth', [], { signal });
    } catch (err) {
      if (signal.aborted) throw new HealthCheckTimeoutError(replica.address.name, timeoutMs);
      throw err;
    }
  }

  async reconfigure(replica: ReplicaRef, userConfig: unknown): Promise<void> {
    await callActor(this.#handle(replica), 'reconfigure', [userConfig]);
  }

  async setMaxOngoing(replica: ReplicaRef, limit: number): Promise<void> {
    await callActor(this.#handle(replica), LIMIT_METHOD, [limit]);
  }

  load(replica: ReplicaRef): Promise<LoadReport> {
    return callActor(this.#handle(replica), LOAD_METHOD, []);
  }

  publish(deploymentId: string, set: ReplicaSet): void {
    if (!this.#runtime.closed) this.#runtime.publish(replicaTopic(this.#runtime.id, deploymentId), set);
  }

  localLoads(): Record<string, number> {
    return routerLoads();
  }

  onDeath(listener: (replicaName: string, error: Error) => void): () => void {
    return this.#runtime.onActorDied(info => {
      if (!this.#handles.delete(info.actorId)) return;
      this.#clearContext(info.name);
      listener(info.name, info.error);
    });
  }

  #handle(replica: ReplicaRef): object {
    const handle = this.#handles.get(replica.address.actorId);
    if (!handle) throw new Error(`replica ${replica.address.name} is not running`);
    return handle;
  }

  #clearContext(name: string): void {
    const topic = this.#contextTopics.get(name);
    this.#contextTopics.delete(name);
    if (topic && !this.#runtime.closed) this.#runtime.publish(topic, undefined);
  }
}
