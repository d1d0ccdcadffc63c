// Deployment options, their defaults (Ray Serve's, except a bounded queue and a shorter autoscaling
// look-back), and their validation.
import os from 'node:os';
import type { AutoscalingPolicy } from './autoscaling-policy.ts';
import { DeploymentOptionError } from './errors.ts';
import { closest } from '../errors/index.ts';
import { LOG_LEVELS, type LogLevel } from '../observability/index.ts';

export interface ActorOptions {
  /** CPUs a replica is expected to use (sets model intra-op threads; default 1). */
  numCpus?: number;
  /** Fraction of a GPU (0.25 = a quarter slot); 0 for none. */
  numGpus?: number;
  /** V8 heap limit of a replica's thread, in MiB. */
  memory?: number;
  /** The replica's native memory slot quota in bytes (default: its numGpus share of the device's pool). */
  gpuMemoryBytes?: number;
}

/** How a deployment's replica count follows its load (Ray Serve's autoscaling_config, times in ms). */
export interface AutoscalingConfig {
  /** Fewest replicas (default 1); 0 lets an idle deployment stop all of them. */
  minReplicas?: number;
  /** Most replicas (default 1, as in Ray when autoscalingConfig is given; with numReplicas 'auto': this machine's cores / numCpus). */
  maxReplicas?: number;
  /** Replicas started at deploy time (default minReplicas). */
  initialReplicas?: number;
  /** Ongoing requests per replica the policy aims for (default 2). */
  targetOngoingRequests?: number;
  /** How long more replicas must be wanted before they are started (default 30 000). */
  upscaleDelayMs?: number;
  /** How long fewer replicas must be wanted before some are stopped (default 600 000). */
  downscaleDelayMs?: number;
  /** How long no replica must be wanted before the last one stops (default downscaleDelayMs). */
  downscaleToZeroDelayMs?: number;
  /** Multiplies each upscale step (Ray's upscale smoothing factor; default 1). */
  upscalingFactor?: number;
  /** Multiplies each downscale step (default 1). */
  downscalingFactor?: number;
  /** Window the ongoing-request samples are averaged over (default 1 000; Ray: 30 s). */
  lookBackPeriodMs?: number;
  /** How often ongoing requests are sampled (default 100; Ray: 10 s). */
  metricsIntervalMs?: number;
  /** Replaces the default policy (Ray's replica queue length policy): context in, desired replica count out. */
  policy?: AutoscalingPolicy;
}

export interface DeploymentOptions {
  name?: string;
  /** Replicas to run (default 1), or 'auto' to autoscale with Ray's 'auto' defaults. */
  numReplicas?: number | 'auto';
  /** Autoscale between minReplicas and maxReplicas; leave numReplicas out (or 'auto') when this is given. */
  autoscalingConfig?: AutoscalingConfig;
  /**
   * Calls one replica runs at once. Default: 5 (Ray's), 100 for a class that takes HTTP requests (routes or
   * `__call__`: it mostly awaits other deployments), and at least twice the largest `@batch` maxBatchSize (one
   * batch runs while the next fills). See the README's options reference.
   */
  maxOngoingRequests?: number;
  /** Calls that wait in a caller's router when every replica is full (default 4096); past it, BackPressureError. */
  maxQueuedRequests?: number;
  actorOptions?: ActorOptions;
  /** Passed to the replica's reconfigure(config) after init(). */
  userConfig?: unknown;
  /** How often each replica's health is checked, ms (default 10 000). */
  healthCheckPeriodMs?: number;
  /** A health check that has not answered in this many ms failed (default 30 000). */
  healthCheckTimeoutMs?: number;
  /** Consecutive failed health checks after which a replica is replaced (default 3). */
  healthCheckFailureThreshold?: number;
  /** How long a stopping replica may finish its ongoing calls before it is terminated, ms (default 20 000). */
  gracefulShutdownTimeoutMs?: number;
  /** The lowest level its replicas log at (logger() and console.*); default the process's (TROUPE_LOG_LEVEL, info). */
  logLevel?: LogLevel;
  /**
   * For a deployment of an application that is not its ingress and whose class declares routes: the HTTP proxy
   * sends the requests under this prefix (relative to the application's routePrefix) that match one of its routes
   * straight to its replicas, one hop instead of two through the ingress.
   */
  routePrefix?: string;
}

/** Every autoscaling field filled in; `policy` only where a custom one was given. */
export type ResolvedAutoscaling = Required<Omit<AutoscalingConfig, 'policy'>> & Pick<AutoscalingConfig, 'policy'>;

export interface ResolvedOptions {
  name: string;
  /** Replicas to start with: numReplicas, or autoscaling.initialReplicas when autoscaling. */
  numReplicas: number;
  maxOngoingRequests: number;
  maxQueuedRequests: number;
  actorOptions: Required<Omit<ActorOptions, 'memory' | 'gpuMemoryBytes'>> & { memory?: number; gpuMemoryBytes?: number };
  userConfig: unknown;
  /** Present iff autoscalingConfig was given or numReplicas is 'auto'. */
  autoscaling?: ResolvedAutoscaling;
  healthCheckPeriodMs: number;
  healthCheckTimeoutMs: number;
  healthCheckFailureThreshold: number;
  gracefulShutdownTimeoutMs: number;
  logLevel?: LogLevel;
  /** '/models' (no trailing slash), relative to the application's routePrefix. */
  routePrefix?: string;
}

/** A queued call holds a few hundred bytes (its body, when large, waits in the object store): room for a burst of
 *  thousands of cheap requests, where 100 refused half of 2,000 simultaneous GETs (test/admin/serve-burst.test.ts). */
const DEFAULT_MAX_QUEUED = 4096;

const known = [
  'name', 'numReplicas', 'autoscalingConfig', 'maxOngoingRequests', 'maxQueuedRequests', 'actorOptions', 'userConfig',
  'healthCheckPeriodMs', 'healthCheckTimeoutMs', 'healthCheckFailureThreshold', 'gracefulShutdownTimeoutMs', 'logLevel', 'routePrefix',
] as const satisfies readonly (keyof DeploymentOptions)[];
const knownActor = ['numCpus', 'numGpus', 'memory', 'gpuMemoryBytes'] as const satisfies readonly (keyof ActorOptions)[];
const knownAutoscaling = [
  'minReplicas', 'maxReplicas', 'initialReplicas', 'targetOngoingRequests', 'upscaleDelayMs', 'downscaleDelayMs',
  'downscaleToZeroDelayMs', 'upscalingFactor', 'downscalingFactor', 'lookBackPeriodMs', 'metricsIntervalMs', 'policy',
] as const satisfies readonly (keyof AutoscalingConfig)[];

/** Ray Serve's default for a replica's concurrent calls. */
export const DEFAULT_MAX_ONGOING = 5;
/** The default for a class that takes HTTP requests: with 5 the proxy queued a no-op route (47% of raw uWS), with
 *  100 it served 62%, as with 1000 (bench/results/http-noop.md, rows troupe-1-replica-max-ongoing-5 and -defaults). */
export const DEFAULT_MAX_ONGOING_HTTP = 100;

/** What a deployment's class implies for its defaults (see defaultsFor in deployment.ts). */
export interface ClassDefaults {
  maxOngoingRequests?: number;
  /** Whether the class declares routes (@get, @post, ...); false refuses routePrefix, undefined does not check. */
  routes?: boolean;
}

export function resolveOptions(className: string, options: DeploymentOptions = {}, classDefaults: ClassDefaults = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new DeploymentOptionError(className, 'options', 'must be an object');
  const who = options.name ?? className;
  checkKeys(who, '', options, known, 'a deployment option');
  const actor = options.actorOptions ?? {};
  checkKeys(who, 'actorOptions.', actor, knownActor, 'an actor option');
  if (options.name !== undefined && (typeof options.name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(options.name))) {
    throw new DeploymentOptionError(who, 'name', 'must be a non-empty string of letters, digits, _ . -');
  }
  const actorOptions: ResolvedOptions['actorOptions'] = {
    numCpus: num(who, 'actorOptions.numCpus', actor.numCpus ?? 1, 0),
    numGpus: num(who, 'actorOptions.numGpus', actor.numGpus ?? 0, 0),
    memory: actor.memory === undefined ? undefined : num(who, 'actorOptions.memory', actor.memory, 1),
  };
  // Only when given: a deployment without it keeps the version (and the options) it had.
  if (actor.gpuMemoryBytes !== undefined) actorOptions.gpuMemoryBytes = int(who, 'actorOptions.gpuMemoryBytes', actor.gpuMemoryBytes, 1);
  if (actorOptions.numGpus > 1 && !Number.isInteger(actorOptions.numGpus)) {
    throw new DeploymentOptionError(who, 'actorOptions.numGpus', 'above 1 must be a whole number of GPUs');
  }
  const autoscaling = resolveAutoscaling(who, options, actorOptions.numCpus);
  const resolved: ResolvedOptions = {
    name: who,
    numReplicas: autoscaling ? autoscaling.initialReplicas : replicas(who, options.numReplicas ?? 1),
    maxOngoingRequests: int(who, 'maxOngoingRequests', options.maxOngoingRequests ?? classDefaults.maxOngoingRequests ?? DEFAULT_MAX_ONGOING, 1),
    maxQueuedRequests: int(who, 'maxQueuedRequests', options.maxQueuedRequests ?? DEFAULT_MAX_QUEUED, 0),
    actorOptions,
    userConfig: options.userConfig,
    healthCheckPeriodMs: positive(who, 'healthCheckPeriodMs', options.healthCheckPeriodMs ?? 10_000),
    healthCheckTimeoutMs: positive(who, 'healthCheckTimeoutMs', options.healthCheckTimeoutMs ?? 30_000),
    healthCheckFailureThreshold: int(who, 'healthCheckFailureThreshold', options.healthCheckFailureThreshold ?? 3, 1),
    gracefulShutdownTimeoutMs: num(who, 'gracefulShutdownTimeoutMs', options.gracefulShutdownTimeoutMs ?? 20_000, 0),
  };
  if (autoscaling) resolved.autoscaling = autoscaling;
  if (options.logLevel !== undefined) {
    if (!LOG_LEVELS.includes(options.logLevel)) throw new DeploymentOptionError(who, 'logLevel', `must be one of ${LOG_LEVELS.join(', ')}, got ${describe(options.logLevel)}`);
    resolved.logLevel = options.logLevel;
  }
  if (options.routePrefix !== undefined) resolved.routePrefix = routePrefix(who, className, options.routePrefix, classDefaults.routes);
  return resolved;
}

/** A sub-prefix of the application's, checked as serve.run's routePrefix is, for a class that has routes to mount. */
function routePrefix(who: string, className: string, value: unknown, routes: boolean | undefined): string {
  if (typeof value !== 'string' || !value.startsWith('/')) throw new DeploymentOptionError(who, 'routePrefix', `must start with "/", got ${describe(value)}`);
  const prefix = value.replace(/\/+$/, '');
  if (prefix === '') throw new DeploymentOptionError(who, 'routePrefix', `must name a path below the application's prefix, such as "/models"; "/" is the ingress's own`);
  if (routes === false) {
    throw new DeploymentOptionError(
      who,
      'routePrefix',
      `is for a class with routes, but class ${className} declares none: decorate its methods with @get/@post/... or leave routePrefix out and call it through a handle`,
    );
  }
  return prefix;
}

function replicas(who: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new DeploymentOptionError(who, 'numReplicas', `must be an integer >= 1, got ${describe(value)} (or 'auto' to autoscale)`);
  }
  return value;
}

function resolveAutoscaling(who: string, options: DeploymentOptions, numCpus: number): ResolvedAutoscaling | undefined {
  const given = options.autoscalingConfig;
  const auto = options.numReplicas === 'auto';
  if (given === undefined && !auto) return undefined;
  if (given !== undefined && (typeof given !== 'object' || given === null || Array.isArray(given))) {
    throw new DeploymentOptionError(who, 'autoscalingConfig', `must be an object, got ${describe(given)}`);
  }
  if (given !== undefined && options.numReplicas !== undefined && !auto) {
    throw new DeploymentOptionError(
      who,
      'numReplicas',
      `is ${describe(options.numReplicas)} while autoscalingConfig is given: set numReplicas: 'auto' or leave it out when autoscalingConfig is given`,
    );
  }
  const c: AutoscalingConfig = given ?? {};
  checkKeys(who, 'autoscalingConfig.', c, knownAutoscaling, 'an autoscaling option');
  const opt = (key: keyof AutoscalingConfig) => `autoscalingConfig.${key}`;

  const minReplicas = int(who, opt('minReplicas'), c.minReplicas ?? 1, 0);
  const initialGiven = c.initialReplicas === undefined ? undefined : int(who, opt('initialReplicas'), c.initialReplicas, 0);
  let maxReplicas: number;
  if (c.maxReplicas !== undefined) {
    maxReplicas = int(who, opt('maxReplicas'), c.maxReplicas, 1);
    if (maxReplicas < minReplicas) throw new DeploymentOptionError(who, opt('maxReplicas'), `(${maxReplicas}) must be >= minReplicas (${minReplicas})`);
  } else if (auto) {
    // One machine: no more replicas than its cores hold (Ray's cluster default is 100). A replica that asks for
    // no CPU still runs a thread, so it counts as one. Raised to minReplicas/initialReplicas where those ask for
    // more, so that a definition written on a large machine still loads on a small one (where they share cores).
    const cores = os.availableParallelism();
    const byCores = Math.max(1, Math.floor(numCpus > 0 ? cores / numCpus : cores));
    maxReplicas = Math.max(byCores, minReplicas, initialGiven ?? 0);
  } else {
    maxReplicas = 1;
    if (minReplicas > 1) {
      throw new DeploymentOptionError(
        who,
        opt('minReplicas'),
        `(${minReplicas}) is above maxReplicas (1, the default when autoscalingConfig is given): set maxReplicas too`,
      );
    }
  }
  const initialReplicas = initialGiven ?? minReplicas;
  if (initialReplicas < minReplicas || initialReplicas > maxReplicas) {
    throw new DeploymentOptionError(who, opt('initialReplicas'), `(${initialReplicas}) must be within [minReplicas ${minReplicas}, maxReplicas ${maxReplicas}]`);
  }
  const downscaleDelayMs = num(who, opt('downscaleDelayMs'), c.downscaleDelayMs ?? 600_000, 0);
  const lookBackPeriodMs = positive(who, opt('lookBackPeriodMs'), c.lookBackPeriodMs ?? 1_000);
  const metricsIntervalMs = positive(who, opt('metricsIntervalMs'), c.metricsIntervalMs ?? 100);
  if (metricsIntervalMs > lookBackPeriodMs) {
    throw new DeploymentOptionError(
      who,
      opt('metricsIntervalMs'),
      `(${metricsIntervalMs}) must be <= lookBackPeriodMs (${lookBackPeriodMs}), or the look-back window may hold no sample`,
    );
  }
  if (c.policy !== undefined && typeof c.policy !== 'function') {
    throw new DeploymentOptionError(who, opt('policy'), `must be a function (context) => desired replicas, got ${describe(c.policy)}`);
  }
  const resolved: ResolvedAutoscaling = {
    minReplicas,
    maxReplicas,
    initialReplicas,
    targetOngoingRequests: positive(who, opt('targetOngoingRequests'), c.targetOngoingRequests ?? 2),
    upscaleDelayMs: num(who, opt('upscaleDelayMs'), c.upscaleDelayMs ?? 30_000, 0),
    downscaleDelayMs,
    downscaleToZeroDelayMs: num(who, opt('downscaleToZeroDelayMs'), c.downscaleToZeroDelayMs ?? downscaleDelayMs, 0),
    upscalingFactor: positive(who, opt('upscalingFactor'), c.upscalingFactor ?? 1),
    downscalingFactor: positive(who, opt('downscalingFactor'), c.downscalingFactor ?? 1),
    lookBackPeriodMs,
    metricsIntervalMs,
  };
  if (c.policy !== undefined) resolved.policy = c.policy;
  return resolved;
}

/** Rejects keys outside `allowed`, suggesting the closest one (a typo, or Ray's snake_case spelling). */
function checkKeys(who: string, prefix: string, object: object, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(object)) {
    if (allowed.includes(key)) continue;
    const guess = closest(key, allowed);
    const hint = guess === undefined ? '' : `; did you mean ${guess}?`;
    throw new DeploymentOptionError(who, prefix + key, `is not ${what}${hint} (known: ${allowed.join(', ')})`);
  }
}


function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

function int(who: string, option: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new DeploymentOptionError(who, option, `must be an integer >= ${min}, got ${describe(value)}`);
  }
  return value;
}

function num(who: string, option: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new DeploymentOptionError(who, option, `must be a number >= ${min}, got ${describe(value)}`);
  }
  return value;
}

function positive(who: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new DeploymentOptionError(who, option, `must be a number > 0, got ${describe(value)}`);
  }
  return value;
}
