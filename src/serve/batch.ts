// @batch: concurrent single calls to a method are queued per instance and handed
// to the method as one call with arrays (Ray Serve's @serve.batch). The flush
// decision and the 'auto' size planner are pure functions in batch-policy.ts;
// this file is the mechanism around them: the queue, one timer, cancellation,
// and handing each caller its own result.
import { AsyncResource } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { channels, type BatchFlushMessage } from '../observability/index.ts';
import { CancelledError, callCancellation, type CallSignal } from '../core/index.ts';
import { recordBatch } from '../observability/index.ts';
import { BatchMethodError, BatchQueueFullError, BatchResultError, NotBatchedError } from './batch-errors.ts';
import {
  decideFlush, planAutoBatchSize, resolveBatchConfig, type BatchConfig, type BatchOptions, type CurvePoint,
} from './batch-policy.ts';

export type { BatchOptions, BatchConfig, CurvePoint } from './batch-policy.ts';

declare const batchBrand: unique symbol;

/**
 * The parameter type of a @batch method: an array of what one caller passes. Using it (instead of a plain
 * array) lets `Unbatched<T>` type handle calls as single-item calls.
 */
export type Batch<T> = T[] & { readonly [batchBrand]: T };

type ElementOf<R> = R extends readonly (infer E)[] ? E : R extends ArrayLike<infer E> ? E : unknown;
type Columns<P extends readonly unknown[]> = { [K in keyof P]: P[K] extends readonly (infer E)[] ? E : P[K] };

/** How one caller calls a batch method: one item per array parameter, one result back (an `Error` result rejects). */
export type UnbatchedMethod<F> = F extends (...args: infer P) => Promise<infer R> ? (...args: Columns<P>) => Promise<Exclude<ElementOf<R>, Error>> : F;

/** A method whose first parameter is a `Batch<X>`, retyped as the single-item call callers make; others as they are. */
export type UnbatchedMember<F> = F extends (first: infer P0, ...rest: any[]) => any
  ? P0 extends { readonly [batchBrand]: unknown } ? UnbatchedMethod<F> : F
  : F;

/**
 * `T` with every `@batch` method (first parameter a `Batch<X>`) retyped as the single-item call callers make.
 * `DeploymentHandle<T>` does this by itself; this alias is for other handles and for instances in tests.
 */
export type Unbatched<T> = { [K in keyof T]: UnbatchedMember<T[K]> };

export interface BatchStats {
  method: string;
  config: BatchConfig;
  /** The size limit in force: maxBatchSize, or what 'auto' chose so far. */
  effectiveMaxBatchSize: number;
  queued: number;
  running: number;
  batches: number;
  items: number;
  /** How many batches of each size ran. */
  sizes: Record<number, number>;
  /** Run time of the method by batch size (median of the recent runs). */
  curve: CurvePoint[];
  /** 'auto' only: whether the size is still being probed or settled on the best measured one. */
  autoMode?: 'measuring' | 'probe' | 'best';
}

interface BatchMeta {
  name: string;
  original: (...columns: unknown[][]) => Promise<unknown>;
  config: BatchConfig;
}

interface Pending {
  args: unknown[];
  at: number;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  signal: CallSignal | undefined;
  onAbort: (() => void) | undefined;
}

const META = Symbol('troupe.batch');
const queues = new WeakMap<object, Map<string, BatchQueue>>();
// Run times kept per batch size for the median the 'auto' planner reads.
const RECENT = 15;

// Batches run in no caller's async context: callContext() inside a batch method is undefined rather than
// the context of whichever call happened to fill the batch.
const detached = new AsyncResource('TroupeBatch');

class BatchQueue {
  readonly #instance: object;
  readonly #meta: BatchMeta;
  readonly #label: string;
  #config: BatchConfig;
  #pending: Pending[] = [];
  #running = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerDue = 0;
  #autoSize = 1;
  #autoMode: 'measuring' | 'probe' | 'best' = 'measuring';
  #batches = 0;
  #items = 0;
  #sizes = new Map<number, number>();
  #curve = new Map<number, CurvePoint>();
  #recent = new Map<number, number[]>();

  constructor(instance: object, meta: BatchMeta) {
    this.#instance = instance;
    this.#meta = meta;
    this.#config = meta.config;
    this.#label = `${labelOf(instance)}.${meta.name}`;
  }

  submit(args: unknown[]): Promise<unknown> {
    if (this.#pending.length >= this.#config.maxQueuedCalls) {
      return Promise.reject(new BatchQueueFullError(this.#label, this.#config.maxQueuedCalls));
    }
    const signal = callCancellation();
    if (signal?.aborted) return Promise.reject(new CancelledError(`the call to ${this.#label}`, signal.reason));
    return new Promise((resolve, reject) => {
      const entry: Pending = { args, at: performance.now(), resolve, reject, signal, onAbort: undefined };
      if (signal) {
        entry.onAbort = () => this.#cancel(entry);
        signal.addEventListener('abort', entry.onAbort);
      }
      this.#pending.push(entry);
      this.#kick();
    });
  }

  configure(options: BatchOptions): void {
    const wasAuto = this.#config.maxBatchSize === 'auto';
    this.#config = resolveBatchConfig(this.#label, options, this.#config);
    if (this.#config.maxBatchSize === 'auto') {
      if (!wasAuto) this.#autoSize = 1;
      this.#replan();
    }
    this.#kick();
  }

  get config(): BatchConfig {
    return this.#config;
  }

  stats(): BatchStats {
    const auto = this.#config.maxBatchSize === 'auto';
    return {
      method: this.#label,
      config: { ...this.#config },
      effectiveMaxBatchSize: this.#limit(),
      queued: this.#pending.length,
      running: this.#running,
      batches: this.#batches,
      items: this.#items,
      sizes: Object.fromEntries([...this.#sizes].sort((a, b) => a[0] - b[0])),
      curve: [...this.#curve.values()].sort((a, b) => a.size - b.size).map(p => ({ ...p })),
      ...(auto ? { autoMode: this.#autoMode } : {}),
    };
  }

  #limit(): number {
    const m = this.#config.maxBatchSize;
    return m === 'auto' ? Math.min(this.#autoSize, this.#config.maxAutoBatchSize) : m;
  }

  #cancel(entry: Pending): void {
    const i = this.#pending.indexOf(entry);
    if (i < 0) return; // already handed to a batch
    this.#pending.splice(i, 1);
    entry.reject(new CancelledError(`the call to ${this.#label}`, entry.signal?.reason));
    this.#kick();
  }

  #kick(): void {
    detached.runInAsyncScope(() => this.#pump());
  }

  #pump(): void {
    for (;;) {
      const d = decideFlush(
        { queued: this.#pending.length, oldestAt: this.#pending[0]?.at ?? 0, running: this.#running, now: performance.now() },
        { maxBatchSize: this.#limit(), batchWaitTimeoutMs: this.#config.batchWaitTimeoutMs, maxConcurrentBatches: this.#config.maxConcurrentBatches },
      );
      if (d.action === 'flush') {
        const taken = this.#pending.splice(0, d.size);
        for (const e of taken) if (e.onAbort) e.signal!.removeEventListener('abort', e.onAbort);
        if (channels.batchFlush.hasSubscribers) this.#publishFlush(taken);
        void this.#run(taken);
        continue;
      }
      if (d.action === 'wait') this.#arm(d.delayMs);
      else this.#disarm();
      return;
    }
  }

  #publishFlush(taken: Pending[]): void {
    const message: BatchFlushMessage = {
      method: this.#label, size: taken.length, waitMs: performance.now() - taken[0]!.at, reason: taken.length >= this.#limit() ? 'full' : 'timeout',
    };
    channels.batchFlush.publish(message);
  }

  #arm(delayMs: number): void {
    const due = performance.now() + delayMs;
    if (this.#timer && Math.abs(due - this.#timerDue) < 0.5) return;
    this.#disarm();
    this.#timerDue = due;
    // setTimeout rounds down to whole ms; ceil so the timer never fires early and spins.
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#pump();
    }, Math.ceil(delayMs));
  }

  #disarm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #run(batch: Pending[]): Promise<void> {
    const n = batch.length;
    this.#running++;
    let arity = Math.max(1, this.#meta.original.length);
    for (const e of batch) if (e.args.length > arity) arity = e.args.length;
    const columns = Array.from({ length: arity }, (_, k) => batch.map(e => e.args[k]));
    const started = performance.now();
    recordBatch(this.#meta.name, n, (started - batch[0]!.at) / 1000);
    let out: unknown;
    let threw = false;
    let thrown: unknown;
    try {
      out = await this.#meta.original.apply(this.#instance, columns);
    } catch (err) {
      threw = true;
      thrown = err;
    }
    this.#running--;
    this.#record(n, performance.now() - started, threw);
    if (threw) {
      for (const e of batch) e.reject(thrown);
    } else {
      const length = resultLength(out);
      if (length !== n) {
        const err = new BatchResultError(this.#label, n, length ?? describeResult(out));
        for (const e of batch) e.reject(err);
      } else {
        const results = out as ArrayLike<unknown>;
        for (let i = 0; i < n; i++) {
          const r = results[i];
          if (r instanceof Error) batch[i]!.reject(r);
          else batch[i]!.resolve(r);
        }
      }
    }
    this.#pump();
  }

  #record(size: number, ms: number, failed: boolean): void {
    this.#batches++;
    this.#items += size;
    this.#sizes.set(size, (this.#sizes.get(size) ?? 0) + 1);
    // A failed batch's time says nothing about the model's speed.
    if (failed) return;
    let recent = this.#recent.get(size);
    if (!recent) this.#recent.set(size, (recent = []));
    recent.push(ms);
    if (recent.length > RECENT) recent.shift();
    const p = this.#curve.get(size) ?? { size, ms, samples: 0 };
    p.samples++;
    p.ms = median(recent);
    this.#curve.set(size, p);
    if (this.#config.maxBatchSize === 'auto') this.#replan();
  }

  #replan(): void {
    const c = this.#config;
    const d = planAutoBatchSize({
      curve: [...this.#curve.values()],
      current: this.#autoSize,
      targetLatencyMs: c.targetLatencyMs!,
      batchWaitTimeoutMs: c.batchWaitTimeoutMs,
      maxAutoBatchSize: c.maxAutoBatchSize,
    });
    this.#autoSize = d.size;
    this.#autoMode = d.mode;
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function resultLength(out: unknown): number | undefined {
  if (Array.isArray(out)) return out.length;
  if (ArrayBuffer.isView(out) && !(out instanceof DataView)) return (out as unknown as ArrayLike<unknown>).length;
  return undefined;
}

function describeResult(out: unknown): string {
  if (out === null) return 'null';
  if (typeof out === 'object') return `a ${out.constructor?.name ?? 'object'} (not an array)`;
  return `a ${typeof out} (not an array)`;
}

function labelOf(instance: object): string {
  if (typeof instance === 'function') return instance.name || 'anonymous class';
  return instance.constructor?.name || 'object';
}

function queueOf(instance: object, meta: BatchMeta): BatchQueue {
  let byName = queues.get(instance);
  if (!byName) queues.set(instance, (byName = new Map()));
  let q = byName.get(meta.name);
  if (!q) byName.set(meta.name, (q = new BatchQueue(instance, meta)));
  return q;
}

/**
 * Method decorator (TypeScript 5 standard decorators): concurrent calls of the method, each with single
 * items, are collected into one call with an array per parameter. The method must be async and resolve to
 * an array (or typed array) with one result per call, in order; an `Error` at index i rejects only call i,
 * a thrown error rejects every call of the batch.
 */
export function batch(options: BatchOptions = {}) {
  return function <This, F extends (this: This, ...columns: any[]) => Promise<unknown>>(method: F, context: ClassMethodDecoratorContext<This, F>): F {
    if (context === null || typeof context !== 'object' || !('kind' in context)) {
      throw new BatchMethodError(
        '@batch needs TypeScript 5 standard decorators: remove "experimentalDecorators" from tsconfig.json.',
      );
    }
    const name = String(context.name);
    if (context.kind !== 'method') {
      throw new BatchMethodError(`@batch goes on an async method, but ${name} is a ${context.kind}.`, { details: { method: name } });
    }
    const kind = (method as Function)?.constructor?.name;
    if (kind === 'AsyncGeneratorFunction') {
      throw new BatchMethodError(
        `@batch on ${name}: streaming (async generator) batch methods are not supported; return an array of results instead.`,
        { details: { method: name } },
      );
    }
    if (kind !== 'AsyncFunction') {
      throw new BatchMethodError(
        `@batch on ${name}: the method must be declared async (it receives arrays and resolves to an array of results), but it is a plain function.`,
        { details: { method: name } },
      );
    }
    const meta: BatchMeta = { name, original: method as any, config: resolveBatchConfig(name, options) };
    const batched = async function (this: This, ...args: unknown[]): Promise<unknown> {
      if (this === null || (typeof this !== 'object' && typeof this !== 'function')) {
        throw new BatchMethodError(`${name} is a @batch method: call it on its instance, not detached from it.`, { details: { method: name } });
      }
      return queueOf(this as object, meta).submit(args);
    };
    Object.defineProperty(batched, 'name', { value: name });
    Object.defineProperty(batched, 'length', { value: method.length });
    Object.defineProperty(batched, META, { value: meta });
    return batched as unknown as F;
  };
}

function metaOf(instance: object, method: string): BatchMeta {
  const fn = (instance as Record<string, unknown>)[method];
  const meta = typeof fn === 'function' ? (fn as any)[META] as BatchMeta | undefined : undefined;
  if (!meta) throw new NotBatchedError(`${labelOf(instance)}.${method}`, batchedMethods(instance));
  return meta;
}

/** Names of the @batch methods an instance (or class, for static ones) has. */
export function batchedMethods(instance: object): string[] {
  const names = new Set<string>();
  for (let o: any = instance; o && o !== Object.prototype && o !== Function.prototype; o = Object.getPrototypeOf(o)) {
    for (const key of Object.getOwnPropertyNames(o)) {
      const d = Object.getOwnPropertyDescriptor(o, key);
      if (d && typeof d.value === 'function' && META in d.value) names.add(key);
    }
  }
  return [...names];
}

/**
 * The most calls a class's @batch methods take at once on one instance: the largest maxBatchSize (for 'auto', its
 * maxAutoBatchSize) times its maxConcurrentBatches; 0 without @batch methods. Deployments derive their default
 * maxOngoingRequests from it, so that the deployment's own limit does not cap the batches.
 */
export function batchCapacity(cls: Function): number {
  let most = 0;
  const proto = cls.prototype as object | undefined;
  if (!proto) return 0;
  for (const name of batchedMethods(proto)) {
    const { config } = (proto as Record<string, any>)[name][META] as BatchMeta;
    const size = config.maxBatchSize === 'auto' ? config.maxAutoBatchSize : config.maxBatchSize;
    most = Math.max(most, size * config.maxConcurrentBatches);
  }
  return most;
}

/**
 * Changes batch options of one instance's @batch method at run time (from `reconfigure(userConfig)`, say).
 * Only the given options change; they are checked like the decorator's. Calls already waiting stay queued
 * and are flushed under the new limits.
 */
export function configureBatch(instance: object, method: string, options: BatchOptions): BatchConfig {
  const q = queueOf(instance, metaOf(instance, method));
  q.configure(options);
  return { ...q.config };
}

/** Counters of one instance's @batch method: queue depth, batch sizes seen, run time by size, the 'auto' choice. */
export function batchStats(instance: object, method: string): BatchStats {
  return queueOf(instance, metaOf(instance, method)).stats();
}
