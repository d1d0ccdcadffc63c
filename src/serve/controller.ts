// The serve controller (main thread): turns an application graph into running deployments, keeps each
// deployment's replica set at its target (replacing replicas that die), publishes replica sets to every
// router, reports status, and tears applications down.
import os from 'node:os';
import { Runtime, addressOf, type ActorAddress, type ActorHandle } from '../core/index.ts';
import { devices } from '../native/index.ts';
import { Application } from './deployment.ts';
import { ApplicationNotFoundError, DeploymentFailedError, NotADeploymentError } from './errors.ts';
import { makeDeploymentHandle, type DeploymentHandle } from './handle.ts';
import { Placement, type Capacity, type Grant } from './placement.ts';
import { replicaContextTopic, type ReplicaContext } from './replica-context.ts';
import type { ResolvedOptions } from './options.ts';
import { replicaTopic, type ReplicaSet } from './router.ts';

export type ReplicaState = 'STARTING' | 'RUNNING' | 'STOPPING';
export type DeploymentStatus = 'UPDATING' | 'HEALTHY' | 'UNHEALTHY' | 'DELETING';
export type ApplicationStatus = 'DEPLOYING' | 'RUNNING' | 'DEPLOY_FAILED' | 'DELETING';

interface ReplicaRecord {
  name: string;
  state: ReplicaState;
  handle?: ActorHandle<any>;
  address?: ActorAddress;
  startedAt: number;
  /** What placement reserved for it (released when it is gone). */
  grant?: Grant;
  contextTopic?: string;
}

interface DeploymentRecord {
  id: string;
  name: string;
  node: Application;
  options: ResolvedOptions;
  args: unknown[];
  status: DeploymentStatus;
  message: string;
  replicas: ReplicaRecord[];
  nextReplica: number;
  failures: number;
}

interface ApplicationRecord {
  name: string;
  routePrefix: string;
  status: ApplicationStatus;
  message: string;
  ingress: DeploymentRecord;
  deployments: Map<string, DeploymentRecord>;
}

export interface RunOptions {
  /** Application name (default 'default'); running an app under a taken name replaces that app. */
  name?: string;
  /** HTTP route prefix of the app's ingress (default '/'). */
  routePrefix?: string;
}

/** An application as the HTTP layer needs it: where it is mounted and which class answers there. */
export interface ApplicationInfo {
  name: string;
  routePrefix: string;
  ingressId: string;
  ingressClass: Function;
}

/** Told what happens to an application while run() deploys it. */
export interface RunHooks {
  /** The application is recorded (DEPLOYING) and its replicas are about to start. An error thrown here fails the
   *  run before any replica starts. */
  planned?(app: ApplicationInfo): void;
}

export interface ServeStatus {
  applications: Record<string, {
    status: ApplicationStatus;
    message: string;
    routePrefix: string;
    ingress: string;
    deployments: Record<string, {
      status: DeploymentStatus;
      message: string;
      targetReplicas: number;
      replicas: Array<{ name: string; state: ReplicaState }>;
    }>;
  }>;
}

/** How many times a replica is started before its deployment is marked failed. */
const START_ATTEMPTS = 3;

export class ServeController {
  readonly runtime: Runtime;
  #apps = new Map<string, ApplicationRecord>();
  #byActor = new Map<string, { deployment: DeploymentRecord; replica: ReplicaRecord }>();
  #stopDeath: () => void;
  #closed = false;

  #placement: Placement;

  /** `capacity` defaults to this machine: os.availableParallelism() CPUs and the GPUs the native addon sees. */
  constructor(runtime: Runtime, options: { capacity?: Capacity } = {}) {
    this.runtime = runtime;
    this.#placement = new Placement(options.capacity ?? { cpus: os.availableParallelism(), gpus: devices().map(d => d.index) });
    this.#stopDeath = runtime.onActorDied(info => this.#replicaDied(info.name, info.error));
  }

  /** Deploys an application; resolves with a handle to its ingress once every replica is ready. */
  async run<T>(app: Application<T>, options: RunOptions = {}, hooks: RunHooks = {}): Promise<DeploymentHandle<T>> {
    if (!(app instanceof Application)) {
      throw new NotADeploymentError(typeof app === 'function' ? `class ${(app as Function).name} (not bound: call .bind())` : String(app));
    }
    const name = options.name ?? 'default';
    const routePrefix = normalizePrefix(options.routePrefix ?? '/');
    if (this.#apps.has(name)) await this.delete(name);
    const deployments = new Map<string, DeploymentRecord>();
    const ingress = this.#plan(name, app, deployments, new Map());
    const record: ApplicationRecord = { name, routePrefix, status: 'DEPLOYING', message: '', ingress, deployments };
    // Refuse an application whose replicas cannot all have their GPUs before any of them starts.
    const trial = this.#placement.clone();
    for (const d of deployments.values()) {
      for (let i = 0; i < d.options.numReplicas; i++) trial.reserve(d.id, d.options.actorOptions.numCpus, d.options.actorOptions.numGpus);
    }
    this.#apps.set(name, record);
    try {
      hooks.planned?.({ name, routePrefix, ingressId: ingress.id, ingressClass: ingress.node.def.cls });
      await Promise.all([...deployments.values()].map(d => this.#scaleUp(d)));
      record.status = 'RUNNING';
    } catch (err) {
      record.status = 'DEPLOY_FAILED';
      record.message = (err as Error).message;
      await this.#teardown(record);
      throw err;
    }
    return makeDeploymentHandle<T>({ runtimeId: this.runtime.id, deploymentId: ingress.id });
  }

  /** A handle to a deployment of a running application. */
  getHandle<T = any>(appName: string, deploymentName?: string): DeploymentHandle<T> {
    const app = this.#apps.get(appName);
    if (!app) throw new ApplicationNotFoundError(appName);
    const d = deploymentName ? app.deployments.get(deploymentName) : app.ingress;
    if (!d) throw new ApplicationNotFoundError(`${appName}/${deploymentName}`);
    return makeDeploymentHandle<T>({ runtimeId: this.runtime.id, deploymentId: d.id });
  }

  status(): ServeStatus {
    const applications: ServeStatus['applications'] = {};
    for (const app of this.#apps.values()) {
      const deployments: ServeStatus['applications'][string]['deployments'] = {};
      for (const d of app.deployments.values()) {
        deployments[d.name] = {
          status: d.status,
          message: d.message,
          targetReplicas: d.options.numReplicas,
          replicas: d.replicas.map(r => ({ name: r.name, state: r.state })),
        };
      }
      applications[app.name] = { status: app.status, message: app.message, routePrefix: app.routePrefix, ingress: app.ingress.name, deployments };
    }
    return { applications };
  }

  async delete(name: string): Promise<void> {
    const app = this.#apps.get(name);
    if (!app) throw new ApplicationNotFoundError(name);
    app.status = 'DELETING';
    await this.#teardown(app);
  }

  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#apps.values()].map(a => this.#teardown(a)));
    this.#stopDeath();
  }

  // Walks the graph: every Application node becomes one deployment; nodes among the arguments become handles.
  #plan(appName: string, node: Application, out: Map<string, DeploymentRecord>, seen: Map<Application, DeploymentRecord>): DeploymentRecord {
    const existing = seen.get(node);
    if (existing) return existing;
    const options = node.resolved();
    let name = options.name;
    for (let i = 1; out.has(name); i++) name = `${options.name}_${i}`;
    const record: DeploymentRecord = {
      id: `${appName}/${name}`,
      name,
      node,
      options,
      args: [],
      status: 'UPDATING',
      message: '',
      replicas: [],
      nextReplica: 0,
      failures: 0,
    };
    seen.set(node, record);
    out.set(name, record);
    record.args = node.args.map(arg => this.#resolveArg(appName, arg, out, seen));
    return record;
  }

  #resolveArg(appName: string, arg: unknown, out: Map<string, DeploymentRecord>, seen: Map<Application, DeploymentRecord>): unknown {
    if (arg instanceof Application) {
      const dep = this.#plan(appName, arg, out, seen);
      return makeDeploymentHandle({ runtimeId: this.runtime.id, deploymentId: dep.id });
    }
    if (Array.isArray(arg)) return arg.map(a => this.#resolveArg(appName, a, out, seen));
    if (arg && typeof arg === 'object' && Object.getPrototypeOf(arg) === Object.prototype) {
      return Object.fromEntries(Object.entries(arg).map(([k, v]) => [k, this.#resolveArg(appName, v, out, seen)]));
    }
    return arg;
  }

  async #scaleUp(d: DeploymentRecord): Promise<void> {
    const missing = d.options.numReplicas - d.replicas.filter(r => r.state !== 'STOPPING').length;
    await Promise.all(Array.from({ length: missing }, () => this.#startReplica(d)));
    if (d.status === 'UPDATING') d.status = 'HEALTHY';
  }

  async #startReplica(d: DeploymentRecord): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const replica: ReplicaRecord = { name: `${d.id}#${d.nextReplica++}`, state: 'STARTING', startedAt: Date.now() };
      const { numCpus, numGpus } = d.options.actorOptions;
      try {
        replica.grant = this.#placement.reserve(d.id, numCpus, numGpus);
      } catch (err) {
        d.status = 'UNHEALTHY';
        d.message = (err as Error).message;
        throw err; // retrying cannot make a GPU appear
      }
      d.replicas.push(replica);
      const cpuWarning = this.#placement.cpuWarning();
      if (cpuWarning && !d.message) d.message = cpuWarning;
      // The replica's context (replicaContext()) is there before its constructor runs.
      const context: ReplicaContext = { deployment: d.id, replica: replica.name, numCpus, gpu: replica.grant.gpu };
      replica.contextTopic = replicaContextTopic(`${d.node.def.cls.name} ${replica.name}`);
      this.runtime.publish(replica.contextTopic, context);
      try {
        const handle = await this.runtime.spawn(d.node.def.cls as any, d.args as any, {
          name: replica.name,
          maxConcurrency: d.options.maxOngoingRequests,
          module: d.node.def.location.module || undefined,
          resourceLimits: d.options.actorOptions.memory ? { maxOldGenerationSizeMb: d.options.actorOptions.memory } : undefined,
        });
        replica.handle = handle;
        const address = addressOf(handle);
        // userConfig reaches the replica before it takes traffic.
        if (d.options.userConfig !== undefined && address.methods.includes('reconfigure')) await (handle as any).reconfigure(d.options.userConfig);
        if (d.status === 'DELETING') {
          await this.runtime.kill(handle);
          this.#release(replica);
          return;
        }
        replica.address = address;
        replica.state = 'RUNNING';
        this.#byActor.set(replica.name, { deployment: d, replica });
        this.#publish(d);
        return;
      } catch (err) {
        d.replicas = d.replicas.filter(r => r !== replica);
        if (replica.handle) await this.runtime.kill(replica.handle).catch(() => {});
        this.#release(replica);
        if (attempt >= START_ATTEMPTS || d.status === 'DELETING') {
          d.status = 'UNHEALTHY';
          d.message = `replica failed to start ${attempt} times: ${(err as Error).message}`;
          throw new DeploymentFailedError(d.id, attempt, err);
        }
      }
    }
  }

  #publish(d: DeploymentRecord): void {
    if (this.runtime.closed) return;
    const set: ReplicaSet = {
      replicas: d.replicas.filter(r => r.state === 'RUNNING' && r.address).map(r => r.address!),
      maxOngoingRequests: d.options.maxOngoingRequests,
      maxQueuedRequests: d.options.maxQueuedRequests,
      gone: d.status === 'DELETING' ? true : undefined,
    };
    this.runtime.publish(replicaTopic(this.runtime.id, d.id), set);
  }

  #replicaDied(actorName: string, error: Error): void {
    const entry = this.#byActor.get(actorName);
    if (!entry) return;
    this.#byActor.delete(actorName);
    const { deployment: d, replica } = entry;
    d.replicas = d.replicas.filter(r => r !== replica);
    this.#release(replica);
    if (d.status === 'DELETING' || this.#closed) return;
    d.message = `replica ${replica.name} died (${error.message}); starting a replacement`;
    this.#publish(d);
    d.status = 'UPDATING';
    this.#scaleUp(d).then(
      () => {
        d.status = 'HEALTHY';
      },
      err => {
        d.status = 'UNHEALTHY';
        d.message = (err as Error).message;
      },
    );
  }

  async #teardown(app: ApplicationRecord): Promise<void> {
    for (const d of app.deployments.values()) {
      d.status = 'DELETING';
      this.#publish(d);
    }
    const kills: Promise<void>[] = [];
    for (const d of app.deployments.values()) {
      for (const r of d.replicas) {
        r.state = 'STOPPING';
        this.#byActor.delete(r.name);
        if (r.handle) kills.push(this.runtime.stop(r.handle, { timeoutMs: 10_000 }).catch(() => {}));
      }
    }
    await Promise.all(kills);
    for (const d of app.deployments.values()) for (const r of d.replicas) this.#release(r);
    this.#apps.delete(app.name);
  }

  /** Gives back a replica's resources and clears its context topic (once). */
  #release(replica: ReplicaRecord): void {
    if (replica.grant) this.#placement.release(replica.grant);
    replica.grant = undefined;
    if (replica.contextTopic && !this.runtime.closed) this.runtime.publish(replica.contextTopic, undefined);
    replica.contextTopic = undefined;
  }
}

function normalizePrefix(prefix: string): string {
  if (typeof prefix !== 'string' || !prefix.startsWith('/')) throw new TypeError(`routePrefix must start with "/", got ${String(prefix)}`);
  return prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix;
}
