// ActorHandle: calls read like local method calls, are typed from the class, and the handle itself
// can be passed to another actor, where it reaches the same actor.
import { registerExtension, markExtensionClass, assertSerializableArgs } from './codec.ts';
import type { CallOptions } from './connection.ts';
import { RuntimeClosedError, UnknownMethodError } from './errors.ts';
import { InvalidArgumentError } from '../errors/index.ts';
import { failedIterator } from './iterators.ts';
import { isReservedMethod } from './reserved-calls.ts';
import type { ActorAddress } from './protocol.ts';

type AnyFn = (...args: any[]) => any;
type MethodKeys<T> = { [K in keyof T]: T[K] extends AnyFn ? (K extends 'init' | 'constructor' ? never : K) : never }[keyof T];

/** Calls an actor method: the result is always a promise of the method's awaited return value. */
export type RemoteMethod<F> = F extends (...args: infer A) => infer R
  ? 0 extends 1 & R
    ? (...args: A) => Promise<any>
    : R extends AsyncGenerator<infer Y, any, any> | AsyncIterable<infer Y>
    ? (...args: A) => AsyncIterableIterator<Y>
    : (...args: A) => Promise<Awaited<R>>
  : never;

export type ActorHandle<T> = { readonly [K in MethodKeys<T>]: RemoteMethod<T[K]> } & { readonly [handleBrand]: ActorAddress };

declare const handleBrand: unique symbol;

/** How a thread reaches actors: the runtime in the main thread, the worker's connector elsewhere. */
export interface Connector {
  call(address: ActorAddress, method: string, args: unknown[], options?: CallOptions): Promise<unknown>;
  stream(address: ActorAddress, method: string, args: unknown[], options?: CallOptions): AsyncIterableIterator<unknown>;
}

const connectors = new Map<string, Connector>();

export function registerConnector(runtimeId: string, connector: Connector): void {
  connectors.set(runtimeId, connector);
}

export function unregisterConnector(runtimeId: string): void {
  connectors.delete(runtimeId);
}

const addressKey = Symbol('troupe.actorAddress');

class HandleTarget {
  readonly [addressKey]: ActorAddress;
  constructor(address: ActorAddress) {
    this[addressKey] = address;
  }
}
markExtensionClass(HandleTarget);

const ignored = new Set<string | symbol>(['then', 'toJSON', 'catch', 'finally', Symbol.toPrimitive, Symbol.toStringTag, Symbol.iterator, Symbol.asyncIterator]);

function isStreamingName(address: ActorAddress, method: string): boolean {
  return address.streams.includes(method);
}

/** Makes the handle object for an actor. Method calls go through the connector of the actor's runtime. */
export function makeHandle<T>(address: ActorAddress): ActorHandle<T> {
  const target = new HandleTarget(address);
  const methods = new Map<string, Function>();
  return new Proxy(target, {
    get(t, key) {
      if (key === addressKey) return address;
      if (key === 'constructor') return HandleTarget;
      if (typeof key === 'symbol' || ignored.has(key)) return undefined;
      if (key === 'inspect' || key === 'toString') return () => `ActorHandle(${address.className} ${address.name})`;
      let fn = methods.get(key);
      if (!fn) {
        fn = (...args: unknown[]) => invoke(address, key, args, undefined, isStreamingName(address, key));
        methods.set(key, fn);
      }
      return fn;
    },
    has: (_t, key) => key === addressKey || (typeof key === 'string' && address.methods.includes(key)),
    set: () => false,
  }) as unknown as ActorHandle<T>;
}

/** Calls `method` on the actor behind a handle with explicit options (an AbortSignal, streaming). */
export function callActor(handle: object, method: string, args: unknown[], options: CallOptions & { stream?: boolean } = {}): any {
  return invoke(addressOf(handle), method, args, options, options.stream ?? false);
}

function invoke(address: ActorAddress, method: string, args: unknown[], options: CallOptions | undefined, stream: boolean): any {
  if (!address.methods.includes(method) && !isReservedMethod(method)) return failed(new UnknownMethodError(`${address.className} ${address.name}`, method, address.methods), stream);
  if (options?.argsChecked !== true) {
    try {
      assertSerializableArgs(args, address.className, method);
    } catch (err) {
      return failed(err as Error, stream);
    }
  }
  const connector = connectors.get(address.runtimeId);
  if (!connector) return failed(new RuntimeClosedError(), stream);
  return stream ? connector.stream(address, method, args, options) : connector.call(address, method, args, options);
}

// A module function, not a closure per call: under tsx each named closure also costs a __name call.
function failed(err: Error, stream: boolean): Promise<never> | AsyncIterableIterator<never> {
  return stream ? failedIterator(err) : Promise.reject(err);
}

export function isHandle(value: unknown): boolean {
  return value instanceof HandleTarget;
}

export function addressOf(handle: object): ActorAddress {
  const address = (handle as any)[addressKey] as ActorAddress | undefined;
  if (!address) throw new InvalidArgumentError('expected an actor handle (from spawn() or getActor())');
  return address;
}

registerExtension({
  Class: HandleTarget,
  type: 0x12,
  write: (handle: HandleTarget) => (handle as any)[addressKey],
  read: (address: ActorAddress) => makeHandle(address),
});
