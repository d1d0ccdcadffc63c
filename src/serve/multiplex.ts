// Model multiplexing (Ray Serve's @serve.multiplexed): many models behind one deployment, each replica keeping
// the few it served last. The @multiplexed method is the loader; the wrapper gives each instance an LRU cache
// of maxModelsPerReplica models, shares one load among concurrent calls for the same model, and disposes what
// it evicts. getMultiplexedModelId() is the model id the caller set for the call being served. The router
// sends a model's calls to replicas that hold it (router.ts); this thread's load report lists the ids cached
// here under MULTIPLEXED_MODELS_REPORT, for the controller to publish in the replica set.
import { AsyncResource } from 'node:async_hooks';
import { callContext, setLoadReporter } from '../core/index.ts';
import { MultiplexOptionError, NoModelIdError } from './errors.ts';

export interface MultiplexedOptions {
  /** Models one replica keeps (default 3): loading one more first evicts the least recently used. */
  maxModelsPerReplica?: number;
}

/** The name under which a replica's load report lists the model ids it holds: `string[]`, least recently used first. */
export const MULTIPLEXED_MODELS_REPORT = 'multiplexedModels';

const DEFAULT_MAX_MODELS = 3;

/** Inside a replica call: the model id its caller set (handle.options({ multiplexedModelId }) or the
 *  x-troupe-model-id header); '' when it set none, and outside a call. */
export function getMultiplexedModelId(): string {
  return callContext()?.multiplexedModelId ?? '';
}

interface Entry {
  promise: Promise<unknown>;
  loaded: boolean;
  model: unknown;
}

// Loads run in no caller's async context: a load that several calls share belongs to none of them (the first
// caller's cancellation must not reach it), as with @batch.
const detached = new AsyncResource('TroupeModelLoad');

class ModelCache {
  /** By model id, least recently used first (a hit moves its entry to the end). Loads in progress included. */
  readonly #entries = new Map<string, Entry>();
  readonly #instance: object;
  readonly #load: (modelId: string) => Promise<unknown>;
  readonly #max: number;
  readonly #label: string;

  constructor(instance: object, load: (modelId: string) => Promise<unknown>, max: number, label: string) {
    this.#instance = instance;
    this.#load = load;
    this.#max = max;
    this.#label = label;
  }

  ids(): IterableIterator<string> {
    return this.#entries.keys();
  }

  get(modelId: string): Promise<unknown> {
    const hit = this.#entries.get(modelId);
    if (hit) {
      this.#entries.delete(modelId);
      this.#entries.set(modelId, hit);
      return hit.promise;
    }
    // Room is made before the load starts: the evicted model's memory (a GPU's, often) is given back first.
    const disposed = this.#evict(this.#max - 1, undefined);
    const entry: Entry = { promise: undefined as unknown as Promise<unknown>, loaded: false, model: undefined };
    entry.promise = this.#loadInto(modelId, entry, disposed);
    this.#entries.set(modelId, entry);
    return entry.promise;
  }

  async #loadInto(modelId: string, entry: Entry, disposed: Promise<void> | undefined): Promise<unknown> {
    let model: unknown;
    try {
      if (disposed) await disposed;
      model = await detached.runInAsyncScope(() => this.#load.call(this.#instance, modelId));
    } catch (err) {
      // Not cached: the next call for this model tries the load again.
      if (this.#entries.get(modelId) === entry) this.#entries.delete(modelId);
      throw err;
    }
    entry.model = model;
    entry.loaded = true;
    // Loads that ran side by side may have left more than the limit: evict down to it, sparing this model,
    // which its callers are about to use.
    void this.#evict(this.#max, entry);
    return model;
  }

  /** Evicts loaded models, least recently used first, until at most `keep` entries are left (loads in progress
   *  are never evicted); resolves once their dispose() calls have. */
  #evict(keep: number, spare: Entry | undefined): Promise<void> | undefined {
    let disposals: Promise<void>[] | undefined;
    for (const [id, entry] of this.#entries) {
      if (this.#entries.size <= keep) break;
      if (!entry.loaded || entry === spare) continue;
      this.#entries.delete(id);
      (disposals ??= []).push(dispose(entry.model, id, this.#label));
    }
    return disposals && Promise.all(disposals).then(() => {});
  }
}

/** Calls the model's [Symbol.asyncDispose](), [Symbol.dispose]() or dispose(), the first it has; never throws. */
async function dispose(model: unknown, modelId: string, label: string): Promise<void> {
  if (model === null || (typeof model !== 'object' && typeof model !== 'function')) return;
  const m = model as Record<PropertyKey, unknown>;
  const asyncDispose = (Symbol as { asyncDispose?: symbol }).asyncDispose;
  const syncDispose = (Symbol as { dispose?: symbol }).dispose;
  const fn = (asyncDispose && m[asyncDispose]) || (syncDispose && m[syncDispose]) || m.dispose;
  if (typeof fn !== 'function') return;
  try {
    await fn.call(model);
  } catch (err) {
    console.warn(`troupe: disposing model '${modelId}' evicted by ${label} failed (ignored): ${(err as Error)?.stack ?? String(err)}`);
  }
}

interface MultiplexMeta {
  name: string;
  load: (modelId: string) => Promise<unknown>;
  max: number;
}

const caches = new WeakMap<object, Map<string, ModelCache>>();
/** Every cache of this thread, for the load report (a replica's thread has its instance's). */
const live = new Set<WeakRef<ModelCache>>();

function cacheOf(instance: object, meta: MultiplexMeta): ModelCache {
  let byMethod = caches.get(instance);
  if (!byMethod) caches.set(instance, (byMethod = new Map()));
  let cache = byMethod.get(meta.name);
  if (!cache) {
    const owner = typeof instance === 'function' ? instance.name : instance.constructor?.name ?? 'object';
    cache = new ModelCache(instance, meta.load, meta.max, `${owner}.${meta.name}`);
    byMethod.set(meta.name, cache);
    live.add(new WeakRef(cache));
  }
  return cache;
}

/** The model ids this thread's caches hold (loads in progress included), least recently used first. */
export function multiplexedModelIds(): string[] {
  const ids = new Set<string>();
  for (const ref of live) {
    const cache = ref.deref();
    if (!cache) live.delete(ref);
    else for (const id of cache.ids()) ids.add(id);
  }
  return [...ids];
}

setLoadReporter(MULTIPLEXED_MODELS_REPORT, multiplexedModelIds);

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** Checks @multiplexed's options; `where` names the method in errors. */
function resolveMaxModels(where: string, options: MultiplexedOptions): number {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new MultiplexOptionError(where, 'the options', `must be an object such as { maxModelsPerReplica: 3 }, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'maxModelsPerReplica') throw new MultiplexOptionError(where, `option '${key}'`, 'is unknown; the option is maxModelsPerReplica');
  }
  const max = options.maxModelsPerReplica ?? DEFAULT_MAX_MODELS;
  if (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 1) {
    throw new MultiplexOptionError(where, 'maxModelsPerReplica', `must be an integer >= 1 (models one replica keeps loaded), got ${describe(max)}`);
  }
  return max;
}

/**
 * Method decorator (TypeScript 5 standard decorators) for a deployment's model loader: `async getModel(id)`.
 * Calls go through a per-replica LRU cache of at most `maxModelsPerReplica` models: a cached model is returned
 * at once, concurrent calls for one model share its load, a failed load is not cached (its error reaches the
 * callers, the next call loads again), and an evicted model's `[Symbol.asyncDispose]()`, `[Symbol.dispose]()`
 * or `dispose()` is awaited before the next load. Call it with `getMultiplexedModelId()`.
 */
export function multiplexed(options: MultiplexedOptions = {}) {
  return function <This, F extends (this: This, modelId: string) => Promise<unknown>>(method: F, context: ClassMethodDecoratorContext<This, F>): F {
    if (context === null || typeof context !== 'object' || !('kind' in context)) {
      throw new MultiplexOptionError('@multiplexed', 'the decorator', 'needs TypeScript 5 standard decorators: remove "experimentalDecorators" from tsconfig.json');
    }
    const name = String(context.name);
    const where = `@multiplexed on ${name}`;
    if (context.kind !== 'method') throw new MultiplexOptionError(where, name, `must be an async method (the model loader), but it is a ${context.kind}`);
    if ((method as Function)?.constructor?.name !== 'AsyncFunction') {
      throw new MultiplexOptionError(where, name, 'must be declared async: it loads the model for the id it is given and resolves to it');
    }
    const meta: MultiplexMeta = { name, load: method as unknown as MultiplexMeta['load'], max: resolveMaxModels(where, options) };
    const wrapped = function (this: This, modelId: string): Promise<unknown> {
      if (this === null || (typeof this !== 'object' && typeof this !== 'function')) {
        return Promise.reject(new MultiplexOptionError(where, name, 'must be called on its instance, not detached from it'));
      }
      if (typeof modelId !== 'string') return Promise.reject(new MultiplexOptionError(where, 'the model id', `must be a string, got ${describe(modelId)}`));
      if (modelId === '') return Promise.reject(new NoModelIdError(name));
      return cacheOf(this as object, meta).get(modelId);
    };
    Object.defineProperty(wrapped, 'name', { value: name });
    Object.defineProperty(wrapped, 'length', { value: method.length });
    return wrapped as unknown as F;
  };
}
