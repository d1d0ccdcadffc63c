// The pure half of @batch: option checking, when to flush a batch and how big,
// and how 'auto' mode picks a batch size from the measured size→latency curve.
// No timers, threads or promises here: inputs in, decision out.
import { BatchOptionsError } from './batch-errors.ts';

export interface BatchOptions {
  /** Largest batch handed to the method (default 10), or 'auto' to pick it from measurements under targetLatencyMs. */
  maxBatchSize?: number | 'auto';
  /** Longest time the oldest waiting call waits for the batch to fill, in ms (default 10). */
  batchWaitTimeoutMs?: number;
  /** Batches of this method that may run at once on one instance (default 1). */
  maxConcurrentBatches?: number;
  /** Calls that may wait for a batch before new ones are rejected with BatchQueueFullError (default 4096). */
  maxQueuedCalls?: number;
  /** 'auto' only: the latency a call may see, wait plus batch run time, in ms. */
  targetLatencyMs?: number;
  /** 'auto' only: the largest size it may try (default 64). */
  maxAutoBatchSize?: number;
}

export interface BatchConfig {
  maxBatchSize: number | 'auto';
  batchWaitTimeoutMs: number;
  maxConcurrentBatches: number;
  maxQueuedCalls: number;
  targetLatencyMs: number | undefined;
  maxAutoBatchSize: number;
}

export const BATCH_DEFAULTS: BatchConfig = Object.freeze({
  maxBatchSize: 10,
  batchWaitTimeoutMs: 10,
  maxConcurrentBatches: 1,
  maxQueuedCalls: 4096,
  targetLatencyMs: undefined,
  maxAutoBatchSize: 64,
});

const KNOWN = new Set(Object.keys(BATCH_DEFAULTS));

function positiveInt(method: string, name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new BatchOptionsError(`@batch on ${method}: ${name} must be a positive integer, got ${describe(value)}.`, {
      details: { method, option: name, value: describe(value) },
    });
  }
}

function positiveMs(method: string, name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new BatchOptionsError(
      `@batch on ${method}: ${name} must be a positive number of milliseconds, got ${describe(value)}` +
        (value === 0 ? ' (use a small value such as 1 to flush almost at once).' : '.'),
      { details: { method, option: name, value: describe(value) } },
    );
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  return String(value);
}

/** Merges options over a base config and checks every field; `method` names the method in errors. */
export function resolveBatchConfig(method: string, options: BatchOptions | undefined, base: BatchConfig = BATCH_DEFAULTS): BatchConfig {
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
    throw new BatchOptionsError(`@batch on ${method}: options must be an object, got ${describe(options)}.`, { details: { method } });
  }
  for (const key of Object.keys(options ?? {})) {
    if (!KNOWN.has(key)) {
      throw new BatchOptionsError(`@batch on ${method}: unknown option '${key}'; the options are ${[...KNOWN].join(', ')}.`, {
        details: { method, option: key },
      });
    }
  }
  const merged: BatchConfig = { ...base };
  for (const [key, value] of Object.entries(options ?? {})) if (value !== undefined) (merged as any)[key] = value;
  if (merged.maxBatchSize !== 'auto') positiveInt(method, 'maxBatchSize', merged.maxBatchSize);
  positiveMs(method, 'batchWaitTimeoutMs', merged.batchWaitTimeoutMs);
  positiveInt(method, 'maxConcurrentBatches', merged.maxConcurrentBatches);
  positiveInt(method, 'maxQueuedCalls', merged.maxQueuedCalls);
  positiveInt(method, 'maxAutoBatchSize', merged.maxAutoBatchSize);
  if (merged.targetLatencyMs !== undefined) positiveMs(method, 'targetLatencyMs', merged.targetLatencyMs);
  if (merged.maxBatchSize === 'auto') {
    if (merged.targetLatencyMs === undefined) {
      throw new BatchOptionsError(
        `@batch on ${method}: maxBatchSize 'auto' needs targetLatencyMs, the latency (wait plus run, in ms) the chosen size must stay within.`,
        { details: { method, option: 'targetLatencyMs' } },
      );
    }
    if (merged.targetLatencyMs <= merged.batchWaitTimeoutMs) {
      throw new BatchOptionsError(
        `@batch on ${method}: targetLatencyMs (${merged.targetLatencyMs}) must exceed batchWaitTimeoutMs (${merged.batchWaitTimeoutMs}), or no batch could ever meet it.`,
        { details: { method, option: 'targetLatencyMs' } },
      );
    }
  }
  return merged;
}

// ---- flush decision -------------------------------------------------------

export interface QueueSnapshot {
  /** Calls waiting (cancelled ones already removed). */
  queued: number;
  /** When the oldest waiting call arrived (ms, same clock as now). */
  oldestAt: number;
  /** Batches of this method running now. */
  running: number;
  now: number;
}

export type FlushDecision =
  | { action: 'flush'; size: number; reason: 'full' | 'timeout' }
  | { action: 'wait'; delayMs: number }
  | { action: 'idle' }
  | { action: 'busy' };

/**
 * What to do now: 'idle' (nothing queued), 'busy' (every batch slot is taken; ask again when one frees),
 * 'flush' `size` calls (a full batch, or whatever waits once the oldest has waited the timeout), or
 * 'wait' `delayMs` for the oldest call's timeout.
 */
export function decideFlush(q: QueueSnapshot, limits: { maxBatchSize: number; batchWaitTimeoutMs: number; maxConcurrentBatches: number }): FlushDecision {
  if (q.queued <= 0) return { action: 'idle' };
  if (q.running >= limits.maxConcurrentBatches) return { action: 'busy' };
  if (q.queued >= limits.maxBatchSize) return { action: 'flush', size: limits.maxBatchSize, reason: 'full' };
  const waited = q.now - q.oldestAt;
  if (waited >= limits.batchWaitTimeoutMs) return { action: 'flush', size: q.queued, reason: 'timeout' };
  return { action: 'wait', delayMs: limits.batchWaitTimeoutMs - waited };
}

// ---- auto batch size ------------------------------------------------------

/** Measured run time of batches of one size. */
export interface CurvePoint {
  size: number;
  /** Median run time of the batch method over its recent runs at this size, ms (robust to a noisy neighbour). */
  ms: number;
  /** Runs measured at this size (all of them, not only the recent ones the median is taken over). */
  samples: number;
}

export interface AutoSizeInput {
  curve: readonly CurvePoint[];
  /** The size limit in force now. */
  current: number;
  targetLatencyMs: number;
  batchWaitTimeoutMs: number;
  maxAutoBatchSize: number;
  /** Runs a size needs before its run time is trusted (default 5). */
  minSamples?: number;
  /** Relative throughput drop that counts as "larger is worse" (default 0.05). */
  tolerance?: number;
}

export interface AutoSizeDecision {
  /** The size limit to use next. */
  size: number;
  /** 'probe': trying a larger size to measure it; 'best': the best measured size within the target. */
  mode: 'probe' | 'best' | 'measuring';
  /** Items per second the chosen size gave, where measured. */
  itemsPerSec?: number;
}

/** The next size to probe after `size`: doubling, capped. */
export function nextProbeSize(size: number, max: number): number {
  return Math.min(max, Math.max(size + 1, size * 2));
}

/**
 * Picks the batch size limit from the measured curve. A size is feasible when its mean run time plus the
 * wait timeout fits targetLatencyMs. Among feasible measured sizes the one with the most items/s wins;
 * while the largest measured size is feasible, still gaining throughput, and the next size is predicted
 * (linear in size from the measured points) to fit the target, that next size is probed instead.
 */
export function planAutoBatchSize(input: AutoSizeInput): AutoSizeDecision {
  const minSamples = input.minSamples ?? 5;
  const tolerance = input.tolerance ?? 0.05;
  const budget = input.targetLatencyMs - input.batchWaitTimeoutMs;
  const trusted = input.curve.filter(p => p.samples >= minSamples && p.ms > 0).sort((a, b) => a.size - b.size);
  if (trusted.length === 0) return { size: input.current, mode: 'measuring' };
  const rate = (p: CurvePoint) => (p.size * 1000) / p.ms;
  const feasible = trusted.filter(p => p.ms <= budget);
  if (feasible.length === 0) {
    // Even the smallest measured size misses the target: go smaller, down to 1.
    const smallest = trusted[0]!;
    return { size: Math.max(1, Math.floor(smallest.size / 2)), mode: smallest.size > 1 ? 'probe' : 'best', itemsPerSec: rate(smallest) };
  }
  let best = feasible[0]!;
  for (const p of feasible) if (rate(p) > rate(best)) best = p;
  const largest = trusted[trusted.length - 1]!;
  const next = nextProbeSize(largest.size, input.maxAutoBatchSize);
  const climbing = largest.ms <= budget && rate(largest) >= rate(best) * (1 - tolerance);
  if (climbing && next > largest.size && predictMs(trusted, next) <= budget) {
    return { size: next, mode: 'probe' };
  }
  return { size: best.size, mode: 'best', itemsPerSec: rate(best) };
}

/** Run time of `size` by a line through the two largest measured sizes (proportional with one point). */
export function predictMs(points: readonly CurvePoint[], size: number): number {
  const b = points[points.length - 1]!;
  if (points.length < 2) return (b.ms * size) / b.size;
  const a = points[points.length - 2]!;
  const slope = Math.max(0, (b.ms - a.ms) / (b.size - a.size));
  return b.ms + slope * (size - b.size);
}
