// @deployment and bind(): a decorated class becomes a deployment; Cls.bind(...args) (or bind(Cls, ...args))
// builds an application graph in which bound deployments passed as arguments arrive as handles.
import { callerModule, setLocation, getLocation, type Location } from '../core/index.ts';
import { NotADeploymentError } from './errors.ts';
import { resolveOptions, type DeploymentOptions, type ResolvedOptions } from './options.ts';

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
    return resolveOptions(this.def.cls.name, merged);
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
  resolveOptions(cls.name, options); // validates now, naming the class
  if (module && !getLocation(cls)) setLocation(cls, { module });
  const location = getLocation(cls) ?? { module: module ?? '' };
  const def: DeploymentDef = { cls, options, location };
  Object.defineProperty(cls, deploymentKey, { value: def, configurable: true });
  // Cls.bind(...args) builds an application node, as in Ray Serve.
  Object.defineProperty(cls, 'bind', { value: (...args: unknown[]) => new Application(def, args), configurable: true, writable: true });
  return cls;
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
