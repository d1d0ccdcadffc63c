// From a checked config to applications ready for serve.run: import each one, call its builder, apply the
// per-deployment overrides, and check that this machine can hold them. Every application is built before any
// is deployed, so a config that fails anywhere changes nothing.
import os from 'node:os';
import { devices } from '../native/index.ts';
import { DeploymentOptionError, InsufficientResourcesError, Placement, type Application, type Capacity } from '../serve/index.ts';
import { ConfigError, ImportPathError, UnknownDeploymentError, type ConfigIssue } from './errors.ts';
import { applyOverrides, deploymentsOf, OverrideError } from './graph.ts';
import { importApplication } from './import-path.ts';
import { normalizePrefix, type LoadedConfig } from './load.ts';
import type { ApplicationConfig } from './types.ts';

/** One application of a config, built and ready for serve.run(app, { name, routePrefix }). */
export interface BuiltApplication {
  name: string;
  routePrefix: string;
  importPath: string;
  app: Application;
  /** The config entry it came from. */
  config: ApplicationConfig;
}

export interface BuildOptions {
  /** Where relative module paths start (default: the working directory). */
  baseDir?: string;
  /** The machine replicas are placed on (default: this one's CPUs, GPUs and memory, as the controller sees it). */
  capacity?: Capacity;
}

/** Builds every application of the config; throws ConfigError with every problem found, placed in the file. */
export async function buildApplications(loaded: LoadedConfig, options: BuildOptions = {}): Promise<BuiltApplication[]> {
  const issues: ConfigIssue[] = [];
  const built: BuiltApplication[] = [];
  const apps = loaded.config.applications;
  for (let i = 0; i < apps.length; i++) {
    const config = apps[i]!;
    const name = config.name ?? 'default';
    let app: Application;
    try {
      app = await importApplication(config.importPath, { baseDir: options.baseDir, args: config.args });
    } catch (err) {
      if (!(err instanceof ImportPathError)) throw err;
      const where = err.problem === 'args' ? ['applications', i, 'args'] : ['applications', i, 'importPath'];
      issues.push(loaded.issue(where, err.message, { code: err.code }));
      continue;
    }
    try {
      app = applyOverrides(name, app, config.deployments ?? []);
    } catch (err) {
      if (!(err instanceof OverrideError)) throw err;
      issues.push(overrideIssue(loaded, i, err));
      continue;
    }
    built.push({ name, routePrefix: normalizePrefix(config.routePrefix ?? '/'), importPath: config.importPath, app, config });
  }
  if (issues.length === 0) issues.push(...resourceIssues(loaded, built, options.capacity ?? machineCapacity()));
  if (issues.length > 0) throw new ConfigError(issues);
  return built;
}

function overrideIssue(loaded: LoadedConfig, app: number, err: OverrideError): ConfigIssue {
  const base = ['applications', app, 'deployments', err.index];
  const cause = err.error;
  if (cause instanceof UnknownDeploymentError) return loaded.issue([...base, 'name'], cause.message, { code: cause.code });
  if (cause instanceof DeploymentOptionError) {
    // "deployment X: option autoscalingConfig.maxReplicas (1) must be ..." → placed at that field.
    const option = String(cause.details.option ?? '');
    const field = option.split('.').filter(Boolean);
    const message = cause.message.replace(/^deployment [^:]+: option /, '').replace(/\.$/, '');
    return loaded.issue([...base, ...field], message.startsWith(option) ? message.slice(option.length).trim() : message, { code: cause.code });
  }
  return loaded.issue(base, cause.message, { code: (cause as { code?: string }).code });
}

/** This machine as the serve controller places replicas on it. */
export function machineCapacity(): Capacity {
  return { cpus: os.availableParallelism(), gpus: devices().map(d => d.index), memoryMb: Math.floor(os.totalmem() / 2 ** 20) };
}

/**
 * Resources the machine does not have: every deployment's first replica, across all the config's applications
 * (the whole desired state), must fit the machine's GPUs and memory. CPUs are not a limit for a first replica
 * (the controller starts it and says it shares cores); further replicas wait PENDING rather than fail.
 */
function resourceIssues(loaded: LoadedConfig, built: BuiltApplication[], capacity: Capacity): ConfigIssue[] {
  const placement = new Placement(capacity);
  const issues: ConfigIssue[] = [];
  built.forEach(b => {
    const index = loaded.config.applications.indexOf(b.config);
    for (const [name, node] of deploymentsOf(b.app)) {
      const options = node.resolved();
      if (options.numReplicas < 1) continue; // scaled to zero until called, as the controller does
      try {
        placement.reserve(`${b.name}/${name}`, options.actorOptions.numCpus, options.actorOptions.numGpus, { memoryMb: options.actorOptions.memory });
      } catch (err) {
        if (!(err instanceof InsufficientResourcesError)) throw err;
        const overrides = b.config.deployments ?? [];
        const j = overrides.findIndex(d => d.name === name);
        const option = String(err.details.option ?? 'actorOptions');
        const path = j >= 0 ? ['applications', index, 'deployments', j, ...(overrides[j]!.actorOptions ? option.split('.') : [])] : ['applications', index, 'importPath'];
        issues.push(loaded.issue(path, err.message, { code: err.code }));
      }
    }
  });
  return issues;
}
