import type { LatencySummary } from './histogram.ts';

export interface BenchResult {
  label: string;
  mode: 'closed' | 'open';
  /** `GET http://127.0.0.1:8000/` or `function name`. */
  target: string;
  /** Closed loop: concurrent clients. */
  concurrency?: number;
  /** Open loop: the arrival rate asked for, requests per second. */
  offeredRate?: number;
  arrival?: 'poisson' | 'uniform';
  startedAt: string;
  /** The measured window (after warm-up), milliseconds. */
  durationMs: number;
  stoppedBy: 'duration' | 'count' | 'maxDuration';
  /** Requests that finished in the measured window, successes and errors. */
  requests: number;
  ok: number;
  errorCount: number;
  /** Errors by kind: `status:503`, `timeout`, `connect:ECONNREFUSED`, `code:TROUPE_ERR_…`, `thrown:TypeError`. */
  errors: Record<string, number>;
  /** Successful requests per second over the measured window. */
  throughput: number;
  /** Latency of successful requests; open loop measures from the intended send time. */
  latencyMs: LatencySummary;
  /** Open loop: how far the scheduler fell behind the arrival schedule at worst, ms (high = generator saturated). */
  maxSchedulerLagMs?: number;
  /** Open loop: arrivals that had to wait for a free connection or call slot. */
  queued?: number;
  /** The latency histogram, HdrHistogram compressed base64 (µs). */
  histogram: string;
}

export interface SweepResult {
  label: string;
  target: string;
  points: BenchResult[];
}

const fmtMs = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** One line a person reads: rate, percentiles, errors. */
export function formatResult(r: BenchResult): string {
  const l = r.latencyMs;
  const load = r.mode === 'closed' ? `c=${r.concurrency}` : `rate=${r.offeredRate}/s`;
  const errs = r.errorCount === 0 ? 'no errors' : Object.entries(r.errors).map(([k, v]) => `${k}=${v}`).join(' ');
  return (
    `${r.label} [${load}] ${r.throughput >= 100 ? Math.round(r.throughput) : r.throughput.toFixed(1)} req/s  ` +
    `p50 ${fmtMs(l.p50)}  p90 ${fmtMs(l.p90)}  p99 ${fmtMs(l.p99)}  p99.9 ${fmtMs(l.p999)}  max ${fmtMs(l.max)} ms  ` +
    `(${r.ok} ok, ${errs})`
  );
}
