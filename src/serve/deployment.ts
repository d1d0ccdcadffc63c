// @deployment and bind(): a decorated class becomes a deployment; Cls.bind(...args) (or bind(Cls, ...args))
// builds an application graph in which bound deployments passed as arguments arrive as handles.
import { callerModule, setLocation, getLocation, type Location } from '../core/index.ts';
import { NotADeploymentError } from './errors.ts';
import { DEFAULT_MAX_ONGOING, DEFAULT_MAX_ONGOING_HTTP, resolveOptions, type ClassDefaults, type DeploymentOptions, type ResolvedOptions } from './options.ts';
import { batchCapacity } from './batch.ts';
import { addRequestReaders } from './request.ts';

const deploymentKey = Symbol.for('troupe.deployment');

export interface DeploymentDef {
  cls: abstract new (...args: any[]) => any;
  options: DeploymentOptions;
  location: Location;
}

type Ctor = abstract new (...args: any[]) => any;

/** A node of an application graph: a deployment, its constructor arguments, and per-bind option overrides. */
export class Application<T = unknown> {
  readonly def: DeploymentDef;
  readonly args: readonly unknown[];
  readonly overrides: DeploymentOptions;
  declare readonly __instance?: T;

  constructor(def: DeploymentDef, args: readonly unknown[], overrides: DeploymentOptions = {}) {
    this.def = def;
    this.args = args;
    this.overrides = overrides;
    // Fail at bind time, naming the deployment, rather than at run time.
    this.resolved();
  }

  /** A copy of this node with options overridden (Ray's .options()). */
  options(overrides: DeploymentOptions): Application<T> {
    return new Application<T>(this.def, this.args, {
      ...this.overrides,
      ...overrides,
      actorOptions: { ...this.overrides.actorOptions, ...overrides.actorOptions },
    });
  }

  resolved(): ResolvedOptions {
    const merged = { ...this.def.options, ...this.overrides, actorOptions: { ...this.def.options.actorOptions, ...this.overrides.actorOptions } };
    return resolveOptions(this.def.cls.name, merged, defaultsFor(this.def.cls));
  }
}

/** Class decorator (or plain function: deployment(Cls, options)) that makes a class a deployment. */
export function deployment(options?: DeploymentOptions): <C extends Ctor>(cls: C, context?: ClassDecoratorContext<C>) => C;
export function deployment<C extends Ctor>(cls: C, options?: DeploymentOptions): C;
export function deployment(first?: any, second?: any): any {
  if (typeof first === 'function') return define(first, second ?? {}, callerModule());
  const options: DeploymentOptions = first ?? {};
  const module = callerModule();
  return (cls: Ctor) => define(cls, options, module);
}

function define<C extends Ctor>(cls: C, options: DeploymentOptions, module: string | undefined): C {
  resolveOptions(cls.name, options, defaultsFor(cls)); // validates now, naming the class
  if (module && !getLocation(cls)) setLocation(cls, { module });
  addRequestReaders(cls);
  const location = getLocation(cls) ?? { module: module ?? '' };
  const def: DeploymentDef = { cls, options, location };
  Object.defineProperty(cls, deploymentKey, { value: def, configurable: true });
  // Cls.bind(...args) builds an application node, as in Ray Serve.
  Object.defineProperty(cls, 'bind', { value: (...args: unknown[]) => new Application(def, args), configurable: true, writable: true });
  return cls;
}

// The HTTP layer's route decorators write here (src/http/decorators.ts); serve reads it by its global key, not by
// importing the layer above it.
const routesKey = Symbol.for('troupe.http.routes');
const metadataKey: symbol = (Symbol as { metadata?: symbol }).metadata ?? Symbol.for('Symbol.metadata');

/** Whether the class has route decorators. */
function hasRoutes(cls: Ctor): boolean {
  const metadata = (cls as unknown as Record<symbol, Record<symbol, { routes?: Map<unknown, unknown> } | undefined> | undefined>)[metadataKey];
  const routes = metadata?.[routesKey]?.routes;
  return routes !== undefined && routes.size > 0;
}

/** Whether the class takes HTTP requests: it has route decorators, or Ray's `__call__(request)`. */
function takesHttp(cls: Ctor): boolean {
  return hasRoutes(cls) || typeof (cls.prototype as Record<string, unknown> | undefined)?.__call__ === 'function';
}

/**
 * Defaults that follow from the class (README, "Options reference"): an HTTP entry mostly awaits other
 * deployments, so a replica takes more calls at once; a @batch method needs room for one batch running and
 * the next one filling.
 */
export function defaultsFor(cls: Ctor): ClassDefaults {
  const base = takesHttp(cls) ? DEFAULT_MAX_ONGOING_HTTP : DEFAULT_MAX_ONGOING;
  return { maxOngoingRequests: Math.max(base, 2 * batchCapacity(cls)), routes: hasRoutes(cls) };
}

export function deploymentOf(cls: unknown): DeploymentDef | undefined {
  return typeof cls === 'function' ? (cls as any)[deploymentKey] : undefined;
}

/** Typed form of Cls.bind(...args). */
export function bind<C extends Ctor>(cls: C, ...args: BindArgs<ConstructorParameters<C>>): Application<InstanceType<C>> {
  const def = deploymentOf(cls);
  if (!def) throw new NotADeploymentError(typeof cls === 'function' ? `class ${cls.name}` : String(cls));
  return new Application(def, args);
}

/** Constructor parameters where a handle is expected accept a bound application instead. */
export type BindArgs<P extends readonly unknown[]> = { [K in keyof P]: P[K] | Application<any> };

// Ray's spelling, Cls.bind(...args), typed: on a class, bind() builds an application node (a class that is
// not a deployment throws NotADeploymentError when the node is built).
declare global {
  interface NewableFunction {
    bind<C extends abstract new (...args: any) => any>(this: C, ...args: BindArgs<ConstructorParameters<C>>): Application<InstanceType<C>>;
  }
}

export function isApplication(value: unknown): value is Application {
  return value instanceof Application;
}
