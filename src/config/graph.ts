// An application graph seen by deployment name, and rebuilt with a config's per-deployment overrides.
// Names follow the controller's walk (serve-controller.ts #plan): depth first from the ingress, in argument order,
// a node met twice is one deployment, and a name taken by an earlier node gets `_1`, `_2`, ...
import { Application, type DeploymentOptions } from '../serve/index.ts';
import { UnknownDeploymentError } from './errors.ts';
import { closest } from '../errors/index.ts';
import type { DeploymentConfig } from './types.ts';

/** Every deployment of the graph by the name the controller will give it, the ingress first. */
export function deploymentsOf(app: Application): Map<string, Application> {
  const byName = new Map<string, Application>();
  const seen = new Set<Application>();
  const visit = (node: Application) => {
    if (seen.has(node)) return;
    seen.add(node);
    const base = node.resolved().name;
    let name = base;
    for (let i = 1; byName.has(name); i++) name = `${base}_${i}`;
    byName.set(name, node);
    for (const arg of node.args) walkArgs(arg, visit);
  };
  visit(app);
  return byName;
}

function walkArgs(arg: unknown, visit: (node: Application) => void): void {
  if (arg instanceof Application) visit(arg);
  else if (Array.isArray(arg)) for (const a of arg) walkArgs(a, visit);
  else if (arg && typeof arg === 'object' && Object.getPrototypeOf(arg) === Object.prototype) for (const v of Object.values(arg)) walkArgs(v, visit);
}

/** Thrown for one deployment's overrides, so that the caller can place the problem in the config. */
export class OverrideError extends Error {
  constructor(readonly index: number, readonly error: Error) {
    super(error.message);
  }
}

/**
 * The graph rebuilt with `overrides` applied, by deployment name: the config's fields win over the code's, and
 * actorOptions, userConfig and autoscalingConfig replace the code's value whole. Throws OverrideError (wrapping
 * UnknownDeploymentError or the DeploymentOptionError of the merged options) naming the override at fault.
 */
export function applyOverrides(appName: string, app: Application, overrides: readonly DeploymentConfig[]): Application {
  if (overrides.length === 0) return app;
  const byName = deploymentsOf(app);
  const forNode = new Map<Application, { index: number; config: DeploymentConfig }>();
  overrides.forEach((config, index) => {
    const node = byName.get(config.name);
    if (!node) {
      const known = [...byName.keys()];
      throw new OverrideError(index, new UnknownDeploymentError(appName, config.name, known, closest(config.name, known)));
    }
    forNode.set(node, { index, config });
  });
  const rebuilt = new Map<Application, Application>();
  const rebuild = (node: Application): Application => {
    const done = rebuilt.get(node);
    if (done) return done;
    const args = node.args.map(rebuildArg);
    const override = forNode.get(node);
    let next: Application;
    try {
      next = new Application(node.def, args, override ? merge(node, override.config) : node.overrides);
    } catch (err) {
      throw override ? new OverrideError(override.index, err as Error) : err;
    }
    rebuilt.set(node, next);
    return next;
  };
  const rebuildArg = (arg: unknown): unknown => {
    if (arg instanceof Application) return rebuild(arg);
    if (Array.isArray(arg)) return arg.map(rebuildArg);
    if (arg && typeof arg === 'object' && Object.getPrototypeOf(arg) === Object.prototype) {
      return Object.fromEntries(Object.entries(arg).map(([k, v]) => [k, rebuildArg(v)]));
    }
    return arg;
  };
  return rebuild(app);
}

/** The node's own overrides with the config's on top (Application.resolved() then puts them over the class's). */
function merge(node: Application, config: DeploymentConfig): DeploymentOptions {
  const { name: _name, ...fields } = config;
  const code: DeploymentOptions = { ...node.def.options, ...node.overrides };
  const out: DeploymentOptions = { ...node.overrides, ...(fields as DeploymentOptions) };
  if (fields.actorOptions !== undefined) {
    // Replaced whole: the class's actorOptions would otherwise show through (resolved() merges them per field).
    out.actorOptions = { numCpus: undefined, numGpus: undefined, memory: undefined, gpuMemoryBytes: undefined, ...fields.actorOptions };
  }
  if (fields.autoscalingConfig !== undefined) {
    // A policy function cannot be written in a config: the code's stays.
    const policy = code.autoscalingConfig?.policy;
    out.autoscalingConfig = policy ? { ...fields.autoscalingConfig, policy } : { ...fields.autoscalingConfig };
    // The config chose autoscaling: a fixed numReplicas from the code no longer applies ('auto' still does).
    if (fields.numReplicas === undefined) out.numReplicas = code.numReplicas === 'auto' ? 'auto' : undefined;
  } else if (typeof fields.numReplicas === 'number') {
    // The config chose a fixed count: the code's autoscaling no longer applies.
    out.autoscalingConfig = undefined;
  }
  return out;
}
