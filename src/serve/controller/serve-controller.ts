// The serve controller (main thread): turns an application graph into deployments, and a periodic tick holds
// every deployment at its target (see deployment-state.ts). Running an application under a name in use
// updates it in place: unchanged deployments keep their replicas, changed code rolls replicas in waves, and
// the routes stay mounted throughout.
import os from 'node:os';
import type { Runtime } from '../../core/index.ts';
import { devices, slotPoolBytes, type DeviceIndex } from '../../native/index.ts';
import { Application } from '../deployment.ts';
import { ApplicationNotFoundError, NotADeploymentError, ServeOptionError } from '../errors.ts';
import { makeDeploymentHandle, type DeploymentHandle } from '../handle.ts';
import { Placement, type Capacity, type ResourceUsage } from '../placement.ts';
import { DeploymentState, type DeploymentStatusInfo, type DeploymentTarget } from './deployment-state.ts';
import { ThreadReplicaActions, type ReplicaActions } from './replica-actions.ts';
import { configText, versionOf } from './version.ts';
import { metricsHub } from '../../observability/index.ts';
import { controllerSamples } from './metrics-samples.ts';

export type ApplicationStatus = 'DEPLOYING' | 'RUNNING' | 'UNHEALTHY' | 'DEPLOY_FAILED' | 'DELETING';

export interface RunOptions {
  /** Application name (default 'default'); running an app under a taken name updates that app in place. */
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
  /** Its other deployments given a routePrefix option: each serves its own routes there (joined with the app's). */
  subMounts: { deploymentId: string; routePrefix: string; cls: Function }[];
}

/** Told what happens to an application while run() deploys it. */
export interface RunHooks {
  /** The application is recorded and its replicas are about to start (or roll). An error thrown here fails the
   *  run before any replica starts. */
  planned?(app: ApplicationInfo): void;
}

export interface ServeStatus {
  applications: Record<string, {
    status: ApplicationStatus;
    /** It serves: RUNNING, or DEPLOYING an update while the previous version serves (what /-/healthz reads). */
    ready: boolean;
    message: string;
    routePrefix: string;
    ingress: string;
    deployments: Record<string, DeploymentStatusInfo>;
  }>;
  /** What replicas hold of this machine (CPUs, GPUs, memory) against what it has. */
  resources?: ResourceUsage;
}

export interface ControllerOptions {
  /** Default: this machine's CPUs (os.availableParallelism()), memory, and the GPUs the native addon sees. */
  capacity?: Capacity;
  /** How replicas are started and reached (default: worker threads of the runtime). Tests pass a fake. */
  actions?: ReplicaActions;
  /** The clock every delay is measured on (default Date.now). */
  now?: () => number;
  /** How often the reconcile loop runs (default 50 ms); 0: only when tick() is called. */
  tickMs?: number;
  /** Where no GPU is found, run GPU deployments on host memory slots (default: TROUPE_GPU_HOST_SLOTS=1). */
  hostSlots?: boolean;
}

/** This machine: its CPUs, memory and GPUs (or one host 'device' when hostSlots), each GPU's slot pool sized on first use. */
export function machineCapacity(hostSlots: boolean): Capacity {
  const gpus: DeviceIndex[] = devices().map(d => d.index);
  if (gpus.length === 0 && hostSlots) gpus.push('host');
  return { cpus: os.availableParallelism(), gpus, memoryMb: Math.floor(os.totalmem() / 2 ** 20), deviceBytes: slotPoolBytes };
}

interface ApplicationRecord {
  name: string;
  routePrefix: string;
  status: ApplicationStatus;
  /** It has been RUNNING: an update keeps it serving. */
  served: boolean;
  message: string;
  ingress: DeploymentState;
  deployments: Map<string, DeploymentState>;
}

interface PlannedDeployment {
  /** `<application>/<deployment>`. */
  id: string;
  name: string;
  node: Application;
  target: Omit<DeploymentTarget, 'configVersion'>;
}

const DEFAULT_TICK_MS = 50;

export class ServeController {
  readonly runtime: Runtime;
  #apps = new Map<string, ApplicationRecord>();
  #byId = new Map<string, DeploymentState>();
  /** Deployments an update removed (or a failed update dropped): out of their application, ticked until gone. */
  #retiring = new Set<DeploymentState>();
  #configs = new Map<string, { text: string; version: number }>();
  #placement: Placement;
  #actions: ReplicaActions;
  #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #wakeQueued = false;
  #waiters = new Set<() => void>();
  #stopDeath: () => void;
  #stopMetrics: Array<() => void>;
  #closed = false;

  constructor(runtime: Runtime, options: ControllerOptions = {}) {
    this.runtime = runtime;
    this.#placement = new Placement(options.capacity ?? machineCapacity(options.hostSlots ?? process.env.TROUPE_GPU_HOST_SLOTS === '1'));
    this.#actions = options.actions ?? new ThreadReplicaActions(runtime);
    this.#now = options.now ?? Date.now;
    // A replica's name is `<deployment id>#<n>`.
    this.#stopDeath = this.#actions.onDeath((name, error) => this.#byId.get(name.slice(0, name.lastIndexOf('#')))?.observeDeath(name, error, this.#now()));
    // /metrics reads this controller's deployments, and first asks their replicas for fresh reports.
    this.#stopMetrics = [
      metricsHub.addCollector(() => controllerSamples(this.#byId.values(), runtime.objectStore)),
      metricsHub.addRefresher(() => Promise.allSettled([...this.#byId.values()].map(d => d.refreshLoads()))),
    ];
    const tickMs = options.tickMs ?? DEFAULT_TICK_MS;
    if (tickMs > 0) {
      this.#timer = setInterval(() => this.tick(), tickMs);
      this.#timer.unref();
    }
  }

  /** Deploys an application, or updates the one running under its name; resolves with a handle to its ingress
   *  once every deployment has reached its target. */
  async run<T>(app: Application<T>, options: RunOptions = {}, hooks: RunHooks = {}): Promise<DeploymentHandle<T>> {
    if (!(app instanceof Application)) {
      throw new NotADeploymentError(typeof app === 'function' ? `class ${(app as Function).name} (not bound: call .bind())` : String(app));
    }
    const name = options.name ?? 'default';
    const routePrefix = normalizePrefix(options.routePrefix ?? '/');
    const planned = new Map<string, PlannedDeployment>();
    const ingressName = this.#plan(name, app, planned, new Map()).name;
    const existing = this.#apps.get(name);
    if (existing?.status === 'DELETING') await this.#waitFor(() => !this.#apps.has(name));
    const current = this.#apps.get(name);
    const ingressId = current ? await this.#update(current, planned, ingressName, routePrefix, hooks) : await this.#create(name, planned, ingressName, routePrefix, hooks);
    return makeDeploymentHandle<T>({ runtimeId: this.runtime.id, deploymentId: ingressId });
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
      const deployments: Record<string, DeploymentStatusInfo> = {};
      for (const d of app.deployments.values()) deployments[d.name] = d.status();
      const status = app.status === 'RUNNING' && Object.values(deployments).some(d => d.status === 'UNHEALTHY') ? 'UNHEALTHY' : app.status;
      const ready = app.status === 'RUNNING' || (app.status === 'DEPLOYING' && app.served);
      applications[app.name] = { status, ready, message: app.message, routePrefix: app.routePrefix, ingress: app.ingress.name, deployments };
    }
    return { applications, resources: this.#placement.usage() };
  }

  async delete(name: string): Promise<void> {
    const app = this.#apps.get(name);
    if (!app) throw new ApplicationNotFoundError(name);
    await this.#teardown(app);
  }

  async shutdown(): Promise<void> {
    if (this.#closed) return;
    await Promise.all([...this.#apps.values()].map(a => this.#teardown(a)));
    await this.#waitFor(() => this.#retiring.size === 0);
    this.#closed = true;
    clearInterval(this.#timer);
    this.#stopDeath();
    for (const stop of this.#stopMetrics) stop();
  }

  /** One pass of the reconcile loop over every deployment (the timer runs it; tests with fake time call it). */
  tick(): void {
    this.#wakeQueued = false;
    const now = this.#now();
    const loads = this.#actions.localLoads();
    const reported: Record<string, number> = {};
    for (const app of this.#apps.values()) for (const d of app.deployments.values()) d.reportedLoads(reported);
    for (const d of this.#retiring) d.reportedLoads(reported);
    for (const [id, n] of Object.entries(reported)) loads[id] = (loads[id] ?? 0) + n;
    let work = false;
    for (const app of this.#apps.values()) {
      for (const d of app.deployments.values()) {
        const queued = loads[d.id] ?? 0;
        d.tick(now, queued);
        // A deployment scaled to zero has no thread to keep the process alive for the call that will wake it.
        work ||= queued > 0 || !d.settled() || d.targetReplicas === 0;
      }
    }
    for (const d of this.#retiring) {
      d.tick(now, loads[d.id] ?? 0);
      if (d.gone) {
        this.#retiring.delete(d);
        this.#forget(d);
      } else work = true;
    }
    for (const waiter of [...this.#waiters]) waiter();
    this.#holdProcess(work);
  }

  /** The loop keeps the process alive only while it has work: a deploy or delete waits on it, a deployment is scaled
   *  to zero (a call will wait for it), a replica restarts after its back-off. An idle server lives on its own handles. */
  #holdProcess(work = false): void {
    if (work || this.#waiters.size > 0) this.#timer?.ref();
    else this.#timer?.unref();
  }

  // ---- deploy ----

  async #create(name: string, planned: Map<string, PlannedDeployment>, ingressName: string, routePrefix: string, hooks: RunHooks): Promise<string> {
    this.#checkFirstReplicasFit(planned);
    const deployments = new Map<string, DeploymentState>();
    for (const p of planned.values()) deployments.set(p.name, this.#newDeployment(p));
    const record: ApplicationRecord = { name, routePrefix, status: 'DEPLOYING', served: false, message: '', ingress: deployments.get(ingressName)!, deployments };
    this.#apps.set(name, record);
    try {
      hooks.planned?.(this.#info(record));
      this.#wake();
      await this.#settle(record, [...deployments.values()]);
    } catch (err) {
      record.status = 'DEPLOY_FAILED';
      record.message = (err as Error).message;
      await this.#teardown(record);
      throw err;
    }
    record.status = 'RUNNING';
    record.served = true;
    return record.ingress.id;
  }

  async #update(record: ApplicationRecord, planned: Map<string, PlannedDeployment>, ingressName: string, routePrefix: string, hooks: RunHooks): Promise<string> {
    const added = [...planned.values()].filter(p => !record.deployments.has(p.name));
    this.#checkFirstReplicasFit(new Map(added.map(p => [p.name, p])));
    const previous = new Map([...record.deployments].map(([n, d]) => [n, d.target]));
    const previousIngress = record.ingress;
    const previousPrefix = record.routePrefix;
    const removed = [...record.deployments.values()].filter(d => !planned.has(d.name));
    const changed: DeploymentState[] = [];
    for (const p of planned.values()) {
      const d = record.deployments.get(p.name);
      if (d) {
        d.update({ ...p.target, configVersion: this.#configVersion(d.id, p.target.options.userConfig) });
        changed.push(d);
      } else {
        const created = this.#newDeployment(p);
        record.deployments.set(p.name, created);
        changed.push(created);
      }
    }
    record.ingress = record.deployments.get(ingressName)!;
    record.routePrefix = routePrefix;
    record.status = 'DEPLOYING';
    record.message = '';
    try {
      hooks.planned?.(this.#info(record, removed));
      this.#wake();
      await this.#settle(record, changed);
    } catch (err) {
      // The old version keeps serving: roll back what changed, drop what was added.
      for (const [n, target] of previous) {
        const d = record.deployments.get(n);
        if (d && !removed.includes(d)) d.update(target);
      }
      for (const p of added) {
        const d = record.deployments.get(p.name)!;
        d.delete();
        record.deployments.delete(p.name);
        this.#retiring.add(d);
      }
      record.ingress = previousIngress;
      record.routePrefix = previousPrefix;
      record.status = 'RUNNING';
      record.message = `update failed, still serving the previous version: ${(err as Error).message}`;
      hooks.planned?.(this.#info(record));
      this.#wake();
      throw err;
    }
    for (const d of removed) {
      record.deployments.delete(d.name);
      d.delete();
      this.#retiring.add(d);
    }
    this.#wake();
    await this.#waitFor(() => removed.every(d => d.gone));
    record.status = 'RUNNING';
    return record.ingress.id;
  }

  /** Refuses an application whose deployments cannot each place a first replica (GPUs, memory) before any starts. */
  #checkFirstReplicasFit(planned: Map<string, PlannedDeployment>): void {
    const trial = this.#placement.clone();
    for (const p of planned.values()) {
      const { options } = p.target;
      if (options.numReplicas < 1) continue;
      trial.reserve(p.id, options.actorOptions.numCpus, options.actorOptions.numGpus, { memoryMb: options.actorOptions.memory, gpuMemoryBytes: options.actorOptions.gpuMemoryBytes });
    }
  }

  #newDeployment(p: PlannedDeployment): DeploymentState {
    const { id } = p;
    const d = new DeploymentState(id, p.name, { ...p.target, configVersion: this.#configVersion(id, p.target.options.userConfig) }, {
      actions: this.#actions,
      placement: this.#placement,
      wake: () => this.#wake(),
      now: this.#now,
    });
    this.#byId.set(id, d);
    return d;
  }

  #configVersion(deploymentId: string, userConfig: unknown): number {
    const text = configText(userConfig);
    const known = this.#configs.get(deploymentId);
    if (known && known.text === text) return known.version;
    const version = (known?.version ?? 0) + 1;
    this.#configs.set(deploymentId, { text, version });
    return version;
  }

  /** Resolves once every deployment in `deployments` has settled; rejects with the first one's failure. */
  #settle(record: ApplicationRecord, deployments: DeploymentState[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const failed = deployments.find(d => d.failed)?.failed;
        if (failed) {
          this.#waiters.delete(check);
          reject(failed);
        } else if (record.status === 'DELETING' || this.#closed) {
          this.#waiters.delete(check);
          reject(new ApplicationNotFoundError(record.name));
        } else if (deployments.every(d => d.settled())) {
          this.#waiters.delete(check);
          resolve();
        }
      };
      this.#waiters.add(check);
      this.#holdProcess();
    });
  }

  #waitFor(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise(resolve => {
      const check = () => {
        if (!condition()) return;
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
      this.#holdProcess();
      this.#wake();
    });
  }

  async #teardown(app: ApplicationRecord): Promise<void> {
    app.status = 'DELETING';
    for (const d of app.deployments.values()) d.delete();
    this.tick();
    await this.#waitFor(() => [...app.deployments.values()].every(d => d.gone));
    for (const d of app.deployments.values()) this.#forget(d);
    if (this.#apps.get(app.name) === app) this.#apps.delete(app.name);
    for (const waiter of [...this.#waiters]) waiter();
  }

  #forget(d: DeploymentState): void {
    if (this.#byId.get(d.id) === d) this.#byId.delete(d.id);
  }

  /** Runs a tick soon (coalesced): an action finished or a replica died. */
  #wake(): void {
    if (this.#wakeQueued || this.#closed) return;
    this.#wakeQueued = true;
    setImmediate(() => this.tick());
  }

  /** `leaving`: deployments an update removes, whose routes go with it. */
  #info(record: ApplicationRecord, leaving: DeploymentState[] = []): ApplicationInfo {
    const subMounts: ApplicationInfo['subMounts'] = [];
    for (const d of record.deployments.values()) {
      const sub = d.target.options.routePrefix;
      if (sub === undefined || leaving.includes(d)) continue;
      if (d === record.ingress) throw new ServeOptionError(`deployment ${d.name}`, `routePrefix is for a deployment other than the ingress; the ingress is mounted at the application's routePrefix (serve.run's option)`);
      subMounts.push({ deploymentId: d.id, routePrefix: record.routePrefix === '/' ? sub : record.routePrefix + sub, cls: d.target.def.cls });
    }
    return { name: record.name, routePrefix: record.routePrefix, ingressId: record.ingress.id, ingressClass: record.ingress.target.def.cls, subMounts };
  }

  // Walks the graph: every Application node becomes one deployment; nodes among the arguments become handles.
  #plan(appName: string, node: Application, out: Map<string, PlannedDeployment>, seen: Map<Application, PlannedDeployment>): PlannedDeployment {
    const known = seen.get(node);
    if (known) return known;
    const options = node.resolved();
    let name = options.name;
    for (let i = 1; out.has(name); i++) name = `${options.name}_${i}`;
    const planned: PlannedDeployment = { id: `${appName}/${name}`, name, node, target: { def: node.def, args: [], options, version: '' } };
    seen.set(node, planned);
    out.set(name, planned);
    planned.target.args = node.args.map(arg => this.#resolveArg(appName, arg, out, seen));
    planned.target.version = versionOf(node.def, planned.target.args, options);
    return planned;
  }

  #resolveArg(appName: string, arg: unknown, out: Map<string, PlannedDeployment>, seen: Map<Application, PlannedDeployment>): unknown {
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
}

function normalizePrefix(prefix: string): string {
  if (typeof prefix !== 'string' || !prefix.startsWith('/')) throw new ServeOptionError('serve.run', `routePrefix must start with "/", got ${String(prefix)}`);
  return prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix;
}
