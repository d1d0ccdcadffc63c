import { performance } from 'node:perf_hooks';
import { BenchOptionsError } from './errors.ts';
import { LatencyHistogram } from './histogram.ts';
import { laneFactory, type Lane, type LaneFactory } from './lanes.ts';
import { ProgressReporter, type ProgressOptions } from './progress.ts';
import type { BenchResult } from './result.ts';
import type { LoadTarget } from './target.ts';

export interface CommonOptions {
  target: LoadTarget;
  /** Length of the measured window, ms. With neither durationMs nor count, 10 s. */
  durationMs?: number;
  /** Stop after this many measured requests have been sent. */
  count?: number;
  /** Load sent before measuring starts, ms; its requests are not recorded. */
  warmupMs?: number;
  /** A request still running after this long ends as error kind `timeout`. Default 10 s. */
  timeoutMs?: number;
  /** Hard stop for the whole run, whatever count says. Default: warm-up + duration + timeout, or 10 min. */
  maxDurationMs?: number;
  label?: string;
  /** false for silence; by default a bar on a TTY stderr, a line every 5 s otherwise. */
  progress?: ProgressOptions | false;
}

const HOUR = 3_600_000;

export function positive(name: string, v: number | undefined, max: number, integer = false): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > max || (integer && !Number.isInteger(v))) {
    throw new BenchOptionsError(`${name} must be a ${integer ? 'whole ' : ''}number above 0 and at most ${max}, got ${v}`, {
      option: name,
      value: v,
    });
  }
}

/** What both loops share: limits, recording, timeouts, progress, and the result. */
export class RunState {
  readonly lanes: LaneFactory;
  readonly hist = new LatencyHistogram();
  readonly errors = new Map<string, number>();
  readonly label: string;
  readonly count: number;
  readonly timeoutMs: number;
  readonly startedAt = new Date();
  readonly t0 = performance.now();
  readonly warmupEnd: number;
  /** No request starts at or after this time. */
  readonly deadline: number;
  readonly hardStop: number;
  ok = 0;
  failed = 0;
  measuredSent = 0;
  lastCompletion = 0;
  stoppedBy: BenchResult['stoppedBy'] = 'duration';
  #progress: ProgressReporter | null = null;
  #sweeper: NodeJS.Timeout | null = null;

  constructor(o: CommonOptions, defaultLabel: string) {
    positive('durationMs', o.durationMs, 24 * HOUR);
    positive('count', o.count, Number.MAX_SAFE_INTEGER, true);
    positive('timeoutMs', o.timeoutMs, HOUR);
    positive('maxDurationMs', o.maxDurationMs, 24 * HOUR);
    if (o.warmupMs !== undefined && o.warmupMs !== 0) positive('warmupMs', o.warmupMs, HOUR);
    if (o.target === undefined || o.target === null) {
      throw new BenchOptionsError('target is required: an { url } for HTTP or an async function');
    }
    this.lanes = laneFactory(o.target);
    this.label = o.label ?? defaultLabel;
    this.timeoutMs = o.timeoutMs ?? 10_000;
    const warmup = o.warmupMs ?? 0;
    const duration = o.durationMs ?? (o.count === undefined ? 10_000 : Infinity);
    this.count = o.count ?? Infinity;
    this.warmupEnd = this.t0 + warmup;
    this.deadline = this.warmupEnd + duration;
    const cap = o.maxDurationMs ?? (Number.isFinite(duration) ? warmup + duration + this.timeoutMs + 1000 : 10 * 60_000);
    this.hardStop = this.t0 + cap;
    if (o.progress !== false) {
      this.#progress = new ProgressReporter(
        () => ({
          label: this.label,
          elapsedMs: performance.now() - this.t0,
          totalMs: Number.isFinite(duration) ? warmup + duration : 0,
          done: this.ok + this.failed,
          count: Number.isFinite(this.count) ? this.count : undefined,
          errors: this.failed,
          p99Ms: this.hist.percentileMs(99),
        }),
        o.progress,
      );
    }
  }

  /** True when no further request may start; sets why. */
  mustStop(now: number): boolean {
    if (this.measuredSent >= this.count) {
      this.stoppedBy = 'count';
      return true;
    }
    if (now >= this.hardStop) {
      this.stoppedBy = 'maxDuration';
      return true;
    }
    if (now >= this.deadline) {
      this.stoppedBy = 'duration';
      return true;
    }
    return false;
  }

  /** Called when a request starts (or is due, in the open loop); returns whether it counts. */
  sent(start: number): boolean {
    if (start < this.warmupEnd) return false;
    this.measuredSent++;
    return true;
  }

  record(measured: boolean, start: number, kind: string | null): void {
    if (!measured) return;
    const now = performance.now();
    this.lastCompletion = now;
    if (kind === null) {
      this.ok++;
      this.hist.recordMs(now - start);
    } else {
      this.failed++;
      this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
    }
  }

  /** Ends requests that ran past timeoutMs, and everything once the hard stop is reached. */
  watch(lanes: () => Iterable<Lane>): void {
    const every = Math.max(5, Math.min(100, this.timeoutMs / 4));
    this.#sweeper = setInterval(() => {
      const now = performance.now();
      const all = now >= this.hardStop;
      for (const lane of lanes()) {
        if (lane.startedAt !== 0 && (all || now - lane.startedAt >= this.timeoutMs)) lane.abort('timeout');
      }
    }, every);
  }

  finish(extra: Partial<BenchResult>): BenchResult {
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#progress?.stop();
    // A run that ended at its deadline measured the whole window, even when its last reply came
    // early (an open loop's last arrival can be well before the deadline at low rates): dividing by
    // the time to the last reply instead over-reported throughput when a step had a handful of requests.
    const end = Math.max(this.lastCompletion, this.warmupEnd, this.stoppedBy === 'duration' ? this.deadline : 0);
    const windowMs = Math.max(end - this.warmupEnd, 1e-3);
    const result: BenchResult = {
      label: this.label,
      mode: 'closed',
      target: this.lanes.describe,
      startedAt: this.startedAt.toISOString(),
      durationMs: Math.round(windowMs * 1000) / 1000,
      stoppedBy: this.stoppedBy,
      requests: this.ok + this.failed,
      ok: this.ok,
      errorCount: this.failed,
      errors: Object.fromEntries([...this.errors].sort((a, b) => b[1] - a[1])),
      throughput: Math.round((this.ok * 1000 * 10) / windowMs) / 10,
      latencyMs: this.hist.summary(),
      histogram: this.hist.encode(),
      ...extra,
    };
    this.hist.destroy();
    return result;
  }
}
