// Deployment options, their defaults (Ray Serve's, except a bounded queue), and their validation.
import { DeploymentOptionError } from './errors.ts';

export interface ActorOptions {
  /** CPUs a replica is expected to use (sets model intra-op threads; default 1). */
  numCpus?: number;
  /** Fraction of a GPU (0.25 = a quarter slot); 0 for none. */
  numGpus?: number;
  /** V8 heap limit of a replica's thread, in MiB. */
  memory?: number;
}

export interface DeploymentOptions {
  name?: string;
  numReplicas?: number;
  /** Calls one replica runs at once (default 5). */
  maxOngoingRequests?: number;
  /** Calls that wait in a caller's router when every replica is full (default 100); past it, BackPressureError. */
  maxQueuedRequests?: number;
  actorOptions?: ActorOptions;
  /** Passed to the replica's reconfigure(config) after init(). */
  userConfig?: unknown;
}

export interface ResolvedOptions {
  name: string;
  numReplicas: number;
  maxOngoingRequests: number;
  maxQueuedRequests: number;
  actorOptions: Required<Omit<ActorOptions, 'memory'>> & { memory?: number };
  userConfig: unknown;
}

const known = new Set(['name', 'numReplicas', 'maxOngoingRequests', 'maxQueuedRequests', 'actorOptions', 'userConfig']);
const knownActor = new Set(['numCpus', 'numGpus', 'memory']);

export function resolveOptions(className: string, options: DeploymentOptions = {}): ResolvedOptions {
  const who = options.name ?? className;
  if (typeof options !== 'object' || options === null) throw new DeploymentOptionError(who, 'options', 'must be an object');
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new DeploymentOptionError(who, key, `is not a deployment option (known: ${[...known].join(', ')})`);
  }
  const actor = options.actorOptions ?? {};
  for (const key of Object.keys(actor)) {
    if (!knownActor.has(key)) throw new DeploymentOptionError(who, `actorOptions.${key}`, `is not an actor option (known: ${[...knownActor].join(', ')})`);
  }
  if (options.name !== undefined && (typeof options.name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(options.name))) {
    throw new DeploymentOptionError(who, 'name', 'must be a non-empty string of letters, digits, _ . -');
  }
  const resolved: ResolvedOptions = {
    name: who,
    numReplicas: int(who, 'numReplicas', options.numReplicas ?? 1, 1),
    maxOngoingRequests: int(who, 'maxOngoingRequests', options.maxOngoingRequests ?? 5, 1),
    maxQueuedRequests: int(who, 'maxQueuedRequests', options.maxQueuedRequests ?? 100, 0),
    actorOptions: {
      numCpus: num(who, 'actorOptions.numCpus', actor.numCpus ?? 1, 0),
      numGpus: num(who, 'actorOptions.numGpus', actor.numGpus ?? 0, 0),
      memory: actor.memory === undefined ? undefined : num(who, 'actorOptions.memory', actor.memory, 1),
    },
    userConfig: options.userConfig,
  };
  if (resolved.actorOptions.numGpus > 1 && !Number.isInteger(resolved.actorOptions.numGpus)) {
    throw new DeploymentOptionError(who, 'actorOptions.numGpus', 'above 1 must be a whole number of GPUs');
  }
  return resolved;
}

function int(who: string, option: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new DeploymentOptionError(who, option, `must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

function num(who: string, option: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new DeploymentOptionError(who, option, `must be a number >= ${min}, got ${String(value)}`);
  }
  return value;
}
