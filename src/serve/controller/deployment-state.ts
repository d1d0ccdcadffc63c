// One deployment's replicas, held at their target by a tick: observe (finished actions, deaths, load reports),
// decide (pure policies: autoscaling, the replica plan with its rolling waves, restart back-off), act (through
// ReplicaActions). Nothing but the tick and the callbacks of the actions it started changes a replica.
import { metricsHub } from '../../observability/index.ts';
import { decideScale, averageOngoing, type LoadSample, type ScaleState } from '../autoscaling-policy.ts';
import { channels, splitDeploymentId, type AutoscaleDecisionMessage } from '../../observability/index.ts';
import type { DeploymentDef } from '../deployment.ts';
import { DeploymentFailedError, InsufficientResourcesError } from '../errors.ts';
import type { ResolvedOptions } from '../options.ts';
import type { Placement } from '../placement.ts';
import type { ReplicaSet } from '../router.ts';
import { restartDelayMs } from './backoff.ts';
import { hasMethod, type ReplicaActions } from './replica-actions.ts';
import { planReplicas } from './replica-plan.ts';
import { isActive, newReplica, transition, type Replica, type ReplicaState } from './replica.ts';

export type DeploymentStatus = 'UPDATING' | 'HEALTHY' | 'UNHEALTHY' | 'UPSCALING' | 'DOWNSCALING' | 'DELETING';

/** What a deployment should run. */
export interface DeploymentTarget {
  def: DeploymentDef;
  args: readonly unknown[];
  options: ResolvedOptions;
  /** Changes when new replicas are needed (versionOf). */
  version: string;
  /** Changes when live replicas need reconfigure(userConfig). */
  configVersion: number;
}

export interface DeploymentMetricsView {
  application: string;
  deployment: string;
  targetReplicas: number;
  starts: number;
  healthCheckFailures: number;
  replicas: Array<{ name: string; state: ReplicaState; ongoing: number }>;
}

export interface DeploymentStatusInfo {
  status: DeploymentStatus;
  message: string;
  targetReplicas: number;
  /** gpu: the native slot the replica's thread holds (its device and quota in bytes), for GPU deployments. */
  replicas: Array<{ name: string; state: ReplicaState; version: string; reason?: string; gpu?: { device: number | 'host'; bytes: number } }>;
  autoscaling?: { ongoingRequests: number | undefined; minReplicas: number; maxReplicas: number; error?: string };
}

/** Start attempts in a row after which a deployment that never served fails its deploy. */
export const START_ATTEMPTS = 3;
/** A replica that served this long ends a crash streak: the next death starts the back-off over. */
export const STABLE_AFTER_MS = 10_000;
/** How often a deployment without autoscaling asks its replicas for their load (multiplexed models, status). */
export const LOAD_POLL_MS = 1_000;
/** A replica starting for longer than this is named in status(): its constructor or init() may never finish. */
export const SLOW_START_MS = 30_000;

export class DeploymentState {
  readonly id: string;
  readonly name: string;
  #target: DeploymentTarget;
  #replicas: Replica[] = [];
  #targetReplicas: number;
  #actions: ReplicaActions;
  #placement: Placement;
  #wake: () => void;
  #now: () => number;

  #nextIndex = 0;
  #failures = 0;
  #retryAt = 0;
  /** When the latest failure of the streak happened (ms). */
  #failedAt = 0;
  #lastError = '';
  #served = false;
  #failed: Error | undefined;
  #deleting = false;
  #samples: LoadSample[] = [];
  #scale: ScaleState = {};
  #scaleError: string | undefined;
  #lastSample = 0;
  #lastPoll = -Infinity;
  #published = '';
  /** One of its replicas started past the machine's CPUs: its message says so while the machine stays over. */
  #oversubscribed = false;
  /** For /metrics: replica starts begun and health checks failed, since the deployment was created. */
  #starts = 0;
  #healthCheckFailures = 0;

  constructor(id: string, name: string, target: DeploymentTarget, deps: { actions: ReplicaActions; placement: Placement; wake: () => void; now: () => number }) {
    this.id = id;
    this.name = name;
    this.#target = target;
    this.#targetReplicas = target.options.numReplicas;
    this.#actions = deps.actions;
    this.#placement = deps.placement;
    this.#wake = deps.wake;
    this.#now = deps.now;
  }

  get target(): DeploymentTarget {
    return this.#target;
  }

  get targetReplicas(): number {
    return this.#targetReplicas;
  }

  /** The error that failed this deployment's first deploy, if it did. */
  get failed(): Error | undefined {
    return this.#failed;
  }

  /** Gone: deleted and every replica stopped. */
  get gone(): boolean {
    return this.#deleting && this.#replicas.length === 0;
  }

  /** A new target: a new version rolls replicas, anything else applies in place. */
  update(target: DeploymentTarget): void {
    const scaling = target.options.autoscaling;
    const previous = this.#targetReplicas;
    if (target.version !== this.#target.version) {
      // A new version has not served yet: its start failures count from zero and fail the update after
      // START_ATTEMPTS, so that the update rejects and rolls back instead of crash-looping for ever. Rolling back
      // to the version that runs finds it served.
      this.#served = this.#replicas.some(r => r.state === 'RUNNING' && r.version === target.version);
      this.#failures = 0;
      this.#retryAt = 0;
    }
    this.#target = target;
    this.#failed = undefined;
    this.#targetReplicas = scaling ? Math.min(scaling.maxReplicas, Math.max(scaling.minReplicas, previous)) : target.options.numReplicas;
    this.#scale = {};
    this.#scaleError = undefined;
  }

  /** Whether the deployment has reached its target, so that a deploy may report success. */
  settled(): boolean {
    if (this.#deleting) return false;
    const { version } = this.#target;
    const active = this.#replicas.filter(isActive);
    if (active.some(r => r.version !== version || r.state === 'STARTING')) return false;
    // A changed userConfig has reached every live replica before the deploy reports success.
    if (active.some(r => r.state === 'RUNNING' && r.configVersion !== this.#target.configVersion)) return false;
    const running = active.filter(r => r.state === 'RUNNING').length;
    if (running >= this.#targetReplicas) return true;
    // Replicas waiting only for resources do not hold a deploy back once the deployment can serve, unless a
    // replica still stopping (an old version's, in a roll) is about to free them.
    const pending = active.filter(r => r.state === 'PENDING');
    if (pending.length > 0 && this.#replicas.some(r => r.state === 'STOPPING')) return false;
    return running >= Math.min(1, this.#targetReplicas) && pending.every(r => r.reason?.startsWith('waiting for'));
  }

  /** A replica ended without being stopped. */
  observeDeath(name: string, error: Error, now: number): void {
    const replica = this.#replicas.find(r => r.name === name);
    if (!replica || replica.state === 'STOPPING') return;
    this.#remove(replica);
    // An old version's replica dying during a roll is restarted with back-off, but does not fail the update.
    this.#noteFailure(`replica ${name} died: ${error.message}`, now, undefined, replica.version === this.#target.version);
    this.#wake();
  }

  /** Stops every replica (gracefully); `gone` turns true once they are. */
  delete(): void {
    this.#deleting = true;
    this.#wake();
  }

  /** `routed`: the calls callers' routers have in flight to this deployment or waiting for it. */
  tick(now: number, routed: number): void {
    if (this.#deleting) {
      for (const r of [...this.#replicas]) if (r.state !== 'STOPPING') this.#stop(r, now, 'deployment deleted');
      this.#publish(true);
      return;
    }
    this.#checkStable(now);
    this.#flagSlowStarts(now);
    this.#sampleLoad(now, routed);
    this.#autoscale(now);
    this.#checkHealth(now);
    this.#applyInPlace();
    const plan = planReplicas(this.#replicas, this.#targetReplicas, this.#target.version);
    for (const name of plan.stop) {
      const r = this.#replicas.find(x => x.name === name)!;
      this.#stop(r, now, 'not needed');
    }
    for (let i = 0; i < plan.start; i++) {
      const r = newReplica(`${this.id}#${this.#nextIndex++}`, this.#target.version, now, this.#target.configVersion, this.#target.options.maxOngoingRequests);
      this.#replicas.push(r);
    }
    this.#startPending(now);
    this.#unblockRollout(now);
    this.#publish(false);
    this.#pollLoad(now);
  }

  /** Calls the routers in this deployment's replicas reported waiting for a replica, by deployment id. */
  reportedQueues(into: Record<string, number>): void {
    for (const r of this.#replicas) {
      if (r.state !== 'RUNNING' || !r.routerQueued) continue;
      for (const [id, n] of Object.entries(r.routerQueued)) into[id] = (into[id] ?? 0) + n;
    }
  }

  /** Calls the routers in this deployment's replicas reported in flight or waiting, by deployment id. */
  reportedLoads(into: Record<string, number>): void {
    for (const r of this.#replicas) {
      if (r.state !== 'RUNNING' || !r.routerLoads) continue;
      for (const [id, n] of Object.entries(r.routerLoads)) into[id] = (into[id] ?? 0) + n;
    }
  }

  /** What /metrics shows of this deployment (read at scrape time). */
  metricsView(): DeploymentMetricsView {
    return {
      application: this.id.slice(0, this.id.length - this.name.length - 1),
      deployment: this.name,
      targetReplicas: this.#targetReplicas,
      starts: this.#starts,
      healthCheckFailures: this.#healthCheckFailures,
      replicas: this.#replicas.map(r => ({ name: r.name, state: r.state, ongoing: r.ongoing })),
    };
  }

  /** Asks every running replica for its load (and metrics) now; resolves when all have answered or failed. */
  refreshLoads(): Promise<unknown> {
    return Promise.allSettled(this.#replicas.filter(r => r.state === 'RUNNING' && r.ref).map(r => this.#askLoad(r)));
  }

  status(): DeploymentStatusInfo {
    const scaling = this.#target.options.autoscaling;
    const info: DeploymentStatusInfo = {
      status: this.#status(),
      message: this.#message(),
      targetReplicas: this.#targetReplicas,
      replicas: this.#replicas.map(r => {
        const slot = r.grant?.gpu?.slot;
        return { name: r.name, state: r.state, version: r.version, ...(r.reason ? { reason: r.reason } : {}), ...(slot ? { gpu: { ...slot } } : {}) };
      }),
    };
    if (scaling) {
      info.autoscaling = {
        ongoingRequests: averageOngoing(this.#samples, this.#lastSample, scaling.lookBackPeriodMs),
        minReplicas: scaling.minReplicas,
        maxReplicas: scaling.maxReplicas,
        ...(this.#scaleError ? { error: this.#scaleError } : {}),
      };
    }
    return info;
  }

  // ---- observe ----

  #checkStable(now: number): void {
    if (this.#failures === 0) return;
    // Only a replica that came up after the latest failure ends the streak: a sibling that was up all along says
    // nothing about the one that keeps dying, and would reset its back-off on every tick.
    if (this.#replicas.some(r => r.state === 'RUNNING' && r.since >= this.#failedAt && now - r.since >= STABLE_AFTER_MS)) this.#failures = 0;
  }

  #flagSlowStarts(now: number): void {
    for (const r of this.#replicas) {
      if (r.state === 'STARTING' && now - r.since >= SLOW_START_MS) {
        r.reason = `starting for ${Math.round((now - r.since) / 1000)} s: its constructor or init() has not finished`;
      }
    }
  }

  #sampleLoad(now: number, routed: number): void {
    const scaling = this.#target.options.autoscaling;
    if (!scaling || now - this.#lastSample < scaling.metricsIntervalMs) return;
    // The routers' count holds every call (a replica misses those waiting in its port behind synchronous work);
    // the replicas' own count is a check on reports that lag. Each is a reading of the same calls: take the larger.
    let onReplicas = 0;
    for (const r of this.#replicas) if (r.state === 'RUNNING') onReplicas += r.ongoing;
    this.#samples.push({ at: now, ongoing: Math.max(routed, onReplicas) });
    this.#lastSample = now;
    const horizon = now - scaling.lookBackPeriodMs;
    while (this.#samples.length > 0 && this.#samples[0].at <= horizon) this.#samples.shift();
  }

  // ---- decide ----

  #autoscale(now: number): void {
    const scaling = this.#target.options.autoscaling;
    if (!scaling) return;
    // The policy moves from the target, as in Ray, not from the replicas there are now: a replica that died, one
    // not yet created at the first tick (initialReplicas), or a version rolling in waves would otherwise read as a
    // scale-down that skips downscaleDelayMs, and its replacement would wait upscaleDelayMs.
    const totalOngoing = averageOngoing(this.#samples, now, scaling.lookBackPeriodMs);
    const decision = decideScale({
      config: scaling,
      currentReplicas: this.#targetReplicas,
      totalOngoingRequests: totalOngoing,
      now,
      state: this.#scale,
      policy: scaling.policy,
    });
    this.#scale = decision.state;
    this.#scaleError = decision.error;
    if (decision.target !== this.#targetReplicas && channels.autoscaleDecision.hasSubscribers) {
      const message: AutoscaleDecisionMessage = { ...splitDeploymentId(this.id), from: this.#targetReplicas, to: decision.target, ongoingRequests: totalOngoing };
      channels.autoscaleDecision.publish(message);
    }
    this.#targetReplicas = decision.target;
  }

  #checkHealth(now: number): void {
    const { healthCheckPeriodMs, healthCheckTimeoutMs, healthCheckFailureThreshold } = this.#target.options;
    for (const r of this.#replicas) {
      if (r.state !== 'RUNNING' || r.busy || !r.ref || !hasMethod(r.ref, 'checkHealth')) continue;
      if (now - r.lastHealthAt < healthCheckPeriodMs) continue;
      r.busy = true;
      this.#actions.checkHealth(r.ref, healthCheckTimeoutMs).then(
        () => {
          r.busy = false;
          r.healthFailures = 0;
          r.lastHealthAt = this.#now();
        },
        err => {
          r.busy = false;
          r.lastHealthAt = this.#now();
          r.healthFailures++;
          this.#healthCheckFailures++;
          if (r.state !== 'RUNNING' || r.healthFailures < healthCheckFailureThreshold) return;
          // Out of the replica set at once; its replacement starts on the next tick.
          const why = `checkHealth failed ${r.healthFailures} times in a row: ${(err as Error).message}`;
          transition(r, 'UNHEALTHY', this.#now(), why);
          this.#noteFailure(`replica ${r.name} is unhealthy (${why})`, this.#now());
          this.#publish(false);
          this.#stop(r, this.#now(), why);
          this.#wake();
        },
      );
    }
  }

  /** Lightweight changes reach live replicas without a restart: userConfig and maxOngoingRequests. */
  #applyInPlace(): void {
    const { options, configVersion, version } = this.#target;
    for (const r of this.#replicas) {
      if (r.state !== 'RUNNING' || r.busy || !r.ref || r.version !== version) continue;
      if (r.configVersion !== configVersion) {
        const ref = r.ref;
        r.busy = true;
        const done = hasMethod(ref, 'reconfigure') && options.userConfig !== undefined ? this.#actions.reconfigure(ref, options.userConfig) : Promise.resolve();
        done.then(
          () => {
            r.busy = false;
            r.configVersion = configVersion;
            this.#wake();
          },
          err => {
            r.busy = false;
            r.configVersion = configVersion;
            // A reconfigure that throws leaves the replica on its old config: replace it so it takes the new one.
            this.#lastError = `reconfigure() failed on ${r.name}: ${(err as Error).message}`;
            if (r.state === 'RUNNING') this.#stop(r, this.#now(), this.#lastError);
            this.#wake();
          },
        );
      } else if (r.limit !== options.maxOngoingRequests) {
        const limit = options.maxOngoingRequests;
        r.busy = true;
        this.#actions.setMaxOngoing(r.ref, limit).then(
          () => {
            r.busy = false;
            r.limit = limit;
            this.#wake();
          },
          () => {
            // A replica that cannot take the call is going away; the routers enforce the new limit meanwhile.
            r.busy = false;
            r.limit = limit;
          },
        );
      }
    }
  }

  // ---- act ----

  #startPending(now: number): void {
    const { def, args, options } = this.#target;
    for (const r of this.#replicas) {
      if (r.state !== 'PENDING') continue;
      if (now < this.#retryAt) {
        r.reason = `restarting in ${Math.ceil((this.#retryAt - now) / 100) / 10} s (back-off after ${this.#failures} failures; last: ${this.#lastError})`;
        continue;
      }
      // A deployment's first replica may share cores (it must be able to serve), and so may a rolling update's new
      // replicas while old ones drain (a roll must not cut capacity); further ones wait for CPUs.
      const first = !this.#replicas.some(x => x !== r && x.grant);
      const rolling = this.#replicas.some(x => x.version !== this.#target.version && x.state === 'RUNNING');
      try {
        r.grant = this.#placement.reserve(this.id, options.actorOptions.numCpus, options.actorOptions.numGpus, {
          memoryMb: options.actorOptions.memory,
          gpuMemoryBytes: options.actorOptions.gpuMemoryBytes,
          softCpus: first || rolling,
        });
      } catch (err) {
        if (!(err instanceof InsufficientResourcesError)) throw err;
        if (!this.#served && first) {
          this.#failed = err;
          this.#wake();
        }
        r.reason = `waiting for resources: ${err.message}`;
        continue;
      }
      if (this.#placement.cpuWarning()) this.#oversubscribed = true;
      transition(r, 'STARTING', now);
      this.#starts++;
      // It starts with the options of now, whatever they were when it was planned.
      r.configVersion = this.#target.configVersion;
      r.limit = options.maxOngoingRequests;
      r.busy = true;
      this.#actions.start({ deploymentId: this.id, name: r.name, def, args, options, grant: r.grant }).then(
        ref => {
          r.busy = false;
          r.ref = ref;
          if (r.state !== 'STARTING') {
            // Stopped while it started: end it now that there is something to end.
            void this.#actions.stop(ref, 0).catch(() => {}).finally(() => {
              this.#remove(r);
              this.#wake(); // a delete or a failed deploy may be waiting for it to be gone
            });
            return;
          }
          transition(r, 'RUNNING', this.#now());
          r.lastHealthAt = this.#now();
          this.#served = true;
          this.#wake();
        },
        err => {
          r.busy = false;
          const stopping = r.state === 'STOPPING';
          this.#remove(r);
          if (!stopping) this.#noteFailure(`replica ${r.name} failed to start: ${(err as Error).message}`, this.#now(), err);
          this.#wake();
        },
      );
    }
  }

  /** A new version that cannot be placed while old replicas hold the resources: let one old replica go first. */
  #unblockRollout(now: number): void {
    const { version } = this.#target;
    const blocked = this.#replicas.some(r => r.state === 'PENDING' && r.version === version && r.reason?.startsWith('waiting for'));
    if (!blocked || this.#replicas.some(r => r.state === 'STARTING' || r.state === 'STOPPING')) return;
    const old = this.#replicas.filter(r => r.state === 'RUNNING' && r.version !== version).sort((a, b) => a.ongoing - b.ongoing)[0];
    if (old) this.#stop(old, now, 'making room for the new version');
  }

  #stop(r: Replica, now: number, why: string): void {
    if (r.state === 'STOPPING') return;
    const wasStarting = r.state === 'STARTING';
    transition(r, 'STOPPING', now, why);
    if (!r.ref) {
      // PENDING: nothing started. STARTING: the start's callback ends it once it has a ref.
      if (!wasStarting) this.#remove(r);
      return;
    }
    this.#publish(false); // out of the set before it stops taking calls
    // Its last metrics: the load call is answered while it drains, before #remove retires its series.
    if (r.ref && !wasStarting) void this.#askLoad(r);
    this.#actions.stop(r.ref, this.#target.options.gracefulShutdownTimeoutMs).catch(() => {}).finally(() => {
      this.#remove(r);
      this.#wake();
    });
  }

  #remove(r: Replica): void {
    const i = this.#replicas.indexOf(r);
    if (i >= 0) this.#replicas.splice(i, 1);
    metricsHub.retire(r.name);
    if (r.grant) this.#placement.release(r.grant);
    r.grant = undefined;
  }

  #noteFailure(message: string, now: number, cause?: unknown, failsDeploy = true): void {
    this.#failures++;
    this.#failedAt = now;
    this.#lastError = message;
    this.#retryAt = now + restartDelayMs(this.#failures);
    if (failsDeploy && !this.#served && this.#failures >= START_ATTEMPTS && !this.#failed) {
      this.#failed = new DeploymentFailedError(this.id, this.#failures, cause ?? new Error(message));
    }
  }

  #publish(gone: boolean): void {
    const { options } = this.#target;
    const running = this.#replicas.filter(r => r.state === 'RUNNING' && r.ref);
    const models: Record<string, string[]> = {};
    let hasModels = false;
    for (const r of running) {
      if (r.models?.length) {
        models[r.ref!.address.name] = r.models;
        hasModels = true;
      }
    }
    const key = gone ? 'gone' : `${running.map(r => r.name).join(',')}|${options.maxOngoingRequests}|${options.maxQueuedRequests}|${hasModels ? JSON.stringify(models) : ''}`;
    if (key === this.#published) return;
    this.#published = key;
    const set: ReplicaSet = gone
      ? { replicas: [], maxOngoingRequests: options.maxOngoingRequests, maxQueuedRequests: options.maxQueuedRequests, gone: true }
      : { replicas: running.map(r => r.ref!.address), maxOngoingRequests: options.maxOngoingRequests, maxQueuedRequests: options.maxQueuedRequests };
    if (hasModels) set.models = models;
    this.#actions.publish(this.id, set);
  }

  #pollLoad(now: number): void {
    const interval = this.#target.options.autoscaling?.metricsIntervalMs ?? LOAD_POLL_MS;
    if (now - this.#lastPoll < interval) return;
    this.#lastPoll = now;
    for (const r of this.#replicas) if (r.state === 'RUNNING' && r.ref) void this.#askLoad(r);
  }

  #askLoad(r: Replica): Promise<void> {
    return this.#actions.load(r.ref!).then(
      report => {
        r.ongoing = report.ongoing;
        const models = report.extra.multiplexedModels;
        r.models = Array.isArray(models) ? (models as string[]) : undefined;
        r.routerLoads = report.extra.routerLoads as Record<string, number> | undefined;
        r.routerQueued = report.extra.routerQueued as Record<string, number> | undefined;
        // A report that lands after the replica left must not bring its series back.
        if (this.#replicas.includes(r) && report.extra.metrics !== undefined) {
          metricsHub.report(r.name, { application: this.id.slice(0, this.id.length - this.name.length - 1), deployment: this.name, replica: r.name }, report.extra.metrics);
        }
      },
      () => {}, // a replica that went away: its death is reported on its own
    );
  }

  // ---- report ----

  #status(): DeploymentStatus {
    if (this.#deleting) return 'DELETING';
    const active = this.#replicas.filter(isActive);
    const running = active.filter(r => r.state === 'RUNNING').length;
    if (this.#failed || (this.#failures > 0 && running < this.#targetReplicas)) return 'UNHEALTHY';
    if (active.some(r => r.version !== this.#target.version)) return 'UPDATING';
    if (!this.#served && this.#targetReplicas > 0) return 'UPDATING';
    if (this.#target.options.autoscaling) {
      if (active.length < this.#targetReplicas || running < Math.min(active.length, this.#targetReplicas)) return 'UPSCALING';
      if (active.length > this.#targetReplicas) return 'DOWNSCALING';
    }
    if (running < this.#targetReplicas && active.some(r => r.state === 'STARTING' || (r.state === 'PENDING' && !r.reason?.startsWith('waiting for')))) return 'UPDATING';
    return 'HEALTHY';
  }

  #message(): string {
    if (this.#failed) return this.#failed.message;
    const parts: string[] = [];
    if (this.#failures > 0) parts.push(`${this.#failures} failures in a row; last: ${this.#lastError}`);
    const waiting = this.#replicas.filter(r => r.state === 'PENDING' && r.reason?.startsWith('waiting for'));
    if (waiting.length > 0) parts.push(`${waiting.length} replica(s) PENDING, ${waiting[0].reason}`);
    const slow = this.#replicas.find(r => r.state === 'STARTING' && r.reason);
    if (slow) parts.push(`replica ${slow.name} has been ${slow.reason}`);
    if (this.#scaleError) parts.push(`autoscaling policy: ${this.#scaleError}`);
    const overCpus = this.#oversubscribed ? this.#placement.cpuWarning() : undefined;
    if (overCpus) parts.push(overCpus);
    return parts.join('; ');
  }
}
