// DeploymentHandle<T>: typed, awaitable calls to a deployment through this thread's router.
// A call returns a DeploymentResponse: await it, cancel it, or pass it un-awaited to another handle call.
// handle.options({ multiplexedModelId }) gives a handle whose calls are for one model (@multiplexed).
import { registerExtension, markExtensionClass, UnknownMethodError, assertSerializableArgs, CallSignal, callModelId } from '../core/index.ts';
import { MultiplexOptionError, ServeOptionError } from './errors.ts';
import { InvalidArgumentError } from '../errors/index.ts';
import { routerFor, type RouteOptions } from './router.ts';
import type { UnbatchedMember } from './batch.ts';

type AnyFn = (...args: any[]) => any;
type MethodKeys<T> = {
  [K in keyof T]: T[K] extends AnyFn ? (K extends 'init' | 'constructor' | 'reconfigure' | 'checkHealth' | 'options' ? never : K) : never;
}[keyof T];

/** An argument may be the value itself or an un-awaited response that will produce it. */
type Chainable<A extends readonly unknown[]> = { [K in keyof A]: A[K] | DeploymentResponse<A[K]> };

export type DeploymentMethod<F> = F extends (...args: infer A) => infer R
  ? 0 extends 1 & R
    ? (...args: Chainable<A>) => DeploymentResponse<any>
    : R extends AsyncGenerator<infer Y, any, any> | AsyncIterable<infer Y>
    ? (...args: Chainable<A>) => AsyncIterableIterator<Y>
    : (...args: Chainable<A>) => DeploymentResponse<Awaited<R>>
  : never;

/** Calls to a deployment, typed from its class: a `@batch` method (`Batch<X>` parameter) is called with one item. */
export type DeploymentHandle<T> = { readonly [K in MethodKeys<T>]: DeploymentMethod<UnbatchedMember<T[K]>> } & {
  /** The same deployment, its calls made with these options (Ray's handle.options()). A method named
   *  `options` on the class cannot be called through a handle. */
  options(options: HandleOptions): DeploymentHandle<T>;
  readonly [handleBrand]: DeploymentAddress;
};
declare const handleBrand: unique symbol;

/** Options of a handle's calls (handle.options()). */
export interface HandleOptions {
  /**
   * The @multiplexed model the calls are for: the router prefers replicas that hold it, and the replica reads
   * it with getMultiplexedModelId(). '' for none. Without this option, a call made inside a replica call that
   * has a model id carries that id on (as Ray does); '' stops that.
   */
  multiplexedModelId?: string;
}

export interface DeploymentAddress {
  runtimeId: string;
  deploymentId: string;
}

const ignore = () => {};

/** The result of a handle call: a promise you can also cancel (the cancellation reaches the replica). */
export class DeploymentResponse<T> implements PromiseLike<T> {
  #promise: Promise<T>;
  #signal = new CallSignal();

  constructor(run: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal) {
    const stop = signal ? this.#signal.follow(signal) : undefined;
    this.#promise = run(this.#signal.asAbortSignal());
    if (stop) this.#promise.then(stop, stop);
    this.#promise.catch(ignore); // rejections surface where the response is awaited
  }

  then<A = T, B = never>(onFulfilled?: ((value: T) => A | PromiseLike<A>) | null, onRejected?: ((reason: any) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.#promise.then(onFulfilled, onRejected);
  }

  catch<B = never>(onRejected?: ((reason: any) => B | PromiseLike<B>) | null): Promise<T | B> {
    return this.#promise.catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.#promise.finally(onFinally);
  }

  cancel(reason?: unknown): void {
    this.#signal.abort(reason ?? new Error('cancelled'));
  }
}

const addressKey = Symbol('troupe.deploymentAddress');
const optionsKey = Symbol('troupe.handleOptions');
class DeploymentHandleTarget {
  readonly [addressKey]: DeploymentAddress;
  readonly [optionsKey]: HandleOptions | undefined;
  constructor(address: DeploymentAddress, options: HandleOptions | undefined) {
    this[addressKey] = address;
    this[optionsKey] = options;
  }
}
markExtensionClass(DeploymentHandleTarget);
markExtensionClass(DeploymentResponse);

const ignored = new Set<string>(['then', 'catch', 'finally', 'toJSON']);

/** The same handle, with every call cancelled when `signal` aborts. */
export function withSignal<T>(handle: DeploymentHandle<T>, signal: AbortSignal): DeploymentHandle<T> {
  return makeDeploymentHandle<T>(deploymentAddressOf(handle), signal, (handle as any)[optionsKey]);
}

/** Checks handle.options()'s argument and merges it over the handle's own. */
function mergeOptions(base: HandleOptions | undefined, options: HandleOptions, deployment: string): HandleOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ServeOptionError(`handle.options() of deployment ${deployment}`, "takes an object such as { multiplexedModelId: 'id' }");
  }
  for (const key of Object.keys(options)) {
    if (key !== 'multiplexedModelId') throw new ServeOptionError(`handle.options() of deployment ${deployment}`, `unknown option '${key}'; the options are multiplexedModelId`);
  }
  const id = options.multiplexedModelId;
  if (id !== undefined && typeof id !== 'string') {
    throw new MultiplexOptionError(`handle.options() of deployment ${deployment}`, 'multiplexedModelId', `must be a string (the model id), got ${typeof id}`);
  }
  return id === undefined ? { ...base } : { ...base, multiplexedModelId: id };
}

/** What the router gets for calls of a handle with these options: undefined when its calls carry on the caller's model id. */
function routeOf(options: HandleOptions | undefined): RouteOptions | undefined {
  const id = options?.multiplexedModelId;
  if (id === undefined) return undefined;
  return id === '' ? {} : { multiplexedModelId: id };
}

/** The route of a call made now: the handle's own, else the model id of the replica call being served (if any). */
function routeNow(fixed: RouteOptions | undefined): RouteOptions | undefined {
  if (fixed !== undefined) return fixed;
  const inherited = callModelId();
  return inherited === undefined ? undefined : { multiplexedModelId: inherited };
}

/** Calls `method` on every replica the handle's deployment has now, past its limits, and settles with each
 *  outcome: for control calls that every replica must hear (loading or unloading a model). */
export function callEveryReplica(handle: object, method: string, args: unknown[]): Promise<PromiseSettledResult<unknown>[]> {
  const address = deploymentAddressOf(handle);
  return routerFor(address.runtimeId, address.deploymentId).broadcast(method, args);
}

export function makeDeploymentHandle<T>(address: DeploymentAddress, signal?: AbortSignal, options?: HandleOptions): DeploymentHandle<T> {
  const router = routerFor(address.runtimeId, address.deploymentId);
  const methods = new Map<string, Function>();
  const fixedRoute = routeOf(options);
  const withOptions = (more: HandleOptions) => makeDeploymentHandle<T>(address, signal, mergeOptions(options, more, address.deploymentId));
  return new Proxy(new DeploymentHandleTarget(address, options), {
    get(_t, key) {
      if (key === addressKey) return address;
      if (key === optionsKey) return options;
      if (key === 'constructor') return DeploymentHandleTarget;
      if (typeof key === 'symbol' || ignored.has(key)) return undefined;
      if (key === 'options') return withOptions;
      let fn = methods.get(key);
      if (!fn) {
        fn = (...args: unknown[]) => callDeployment(address, key, args, signal);
        methods.set(key, fn);
      }
      return fn;
    },
    set: () => false,
  }) as unknown as DeploymentHandle<T>;

  function callDeployment(addr: DeploymentAddress, method: string, args: unknown[], signal?: AbortSignal): any {
    const route = routeNow(fixedRoute);
    const known = router.methods;
    const label = addr.deploymentId;
    if (known && !known.includes(method)) {
      const err = new UnknownMethodError(`deployment ${label}`, method, known);
      return new DeploymentResponse(() => Promise.reject(err));
    }
    if (router.streams.includes(method)) {
      const controller = new AbortController();
      if (signal) signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
      const inner = (async function* () {
        const resolved = await resolveArgs(args, label, method);
        yield* router.stream(method, resolved, controller.signal, route);
      })();
      return {
        [Symbol.asyncIterator]() {
          return this;
        },
        next: () => inner.next(),
        return: async () => {
          controller.abort(new Error('the consumer stopped reading'));
          return inner.return(undefined);
        },
      };
    }
    // No async wrapper on the common path (arguments that are plain values): it cost a promise per call.
    return new DeploymentResponse(s => {
      if (args.some(isResponse)) return resolveArgs(args, label, method).then(resolved => router.call(method, resolved, s, route));
      try {
        checked(args, label, method);
      } catch (err) {
        return Promise.reject(err);
      }
      return router.call(method, args, s, route);
    }, signal);
  }
}

/** Awaits responses passed as arguments (Ray's chaining), checking that the rest can cross threads. */
async function resolveArgs(args: unknown[], deployment: string, method: string): Promise<unknown[]> {
  return checked(args.some(isResponse) ? await Promise.all(args) : args, deployment, method);
}

function isResponse(value: unknown): boolean {
  return value instanceof DeploymentResponse;
}

function checked(args: unknown[], deployment: string, method: string): unknown[] {
  assertSerializableArgs(args, deployment, method);
  return args;
}

export function isDeploymentHandle(value: unknown): boolean {
  return value instanceof DeploymentHandleTarget;
}

export function deploymentAddressOf(handle: object): DeploymentAddress {
  const address = (handle as any)[addressKey];
  if (!address) throw new InvalidArgumentError('expected a deployment handle (from serve.run() or serve.getHandle())');
  return address;
}

// A handle passed to another thread keeps its options (its model id); the signal of withSignal stays behind.
registerExtension({
  Class: DeploymentHandleTarget,
  type: 0x14,
  write: (h: DeploymentHandleTarget) => {
    const address = (h as any)[addressKey] as DeploymentAddress;
    const options = (h as any)[optionsKey] as HandleOptions | undefined;
    return options?.multiplexedModelId === undefined ? address : { ...address, multiplexedModelId: options.multiplexedModelId };
  },
  read: (wire: DeploymentAddress & HandleOptions) => {
    if (wire.multiplexedModelId === undefined) return makeDeploymentHandle(wire);
    const { multiplexedModelId, ...address } = wire;
    return makeDeploymentHandle(address, undefined, { multiplexedModelId });
  },
});
