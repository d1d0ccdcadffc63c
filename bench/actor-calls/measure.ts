// The measurements of the actor-call benchmark, for any async call: round-trip latency one call at a
// time, closed-loop throughput with N calls in flight, and a burst of N calls issued at once.
import * as hdr from 'hdr-histogram-js';

export type Call = () => Promise<unknown>;

export interface LatencyResult {
  calls: number;
  /** Microseconds. */
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  mean: number;
}

export interface ThroughputResult {
  inFlight: number;
  callsPerSecond: number;
  calls: number;
  /** Microseconds, per call, from its send to its settlement. */
  p50: number;
  p99: number;
}

function histogram() {
  // Nanoseconds, 1 ns to 100 s, 3 significant digits.
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 100e9, numberOfSignificantValueDigits: 3, useWebAssembly: false });
}

const now = process.hrtime.bigint;
const round = (ns: number) => Math.round(ns / 10) / 100;

/** Calls one at a time for `ms`, each timed alone. */
export async function latency(call: Call, ms: number): Promise<LatencyResult> {
  const h = histogram();
  const end = performance.now() + ms;
  let calls = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 64; i++) {
      const t0 = now();
      await call();
      h.recordValue(Number(now() - t0));
    }
    calls += 64;
    // Let timers and I/O of the benchmark process itself run, as they would in a server.
    await new Promise(r => setImmediate(r));
  }
  return { calls, p50: round(h.getValueAtPercentile(50)), p90: round(h.getValueAtPercentile(90)), p99: round(h.getValueAtPercentile(99)), p999: round(h.getValueAtPercentile(99.9)), mean: round(h.mean) };
}

/** `inFlight` callers, each sending its next call when the previous one settles, for `ms`. */
export async function throughput(call: Call, inFlight: number, ms: number): Promise<ThroughputResult> {
  const h = histogram();
  let calls = 0;
  let stop = false;
  const timer = setTimeout(() => (stop = true), ms);
  const t0 = performance.now();
  const lane = async () => {
    while (!stop) {
      const s = now();
      await call();
      h.recordValue(Number(now() - s));
      calls++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const elapsed = performance.now() - t0;
  clearTimeout(timer);
  return { inFlight, calls, callsPerSecond: Math.round((calls * 1000) / elapsed), p50: round(h.getValueAtPercentile(50)), p99: round(h.getValueAtPercentile(99)) };
}

/** `count` calls issued in one go, awaited together; repeated `rounds` times. Returns the best rate. */
export async function burst(call: Call, count: number, rounds: number): Promise<{ count: number; callsPerSecond: number; rounds: number[] }> {
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    const all: Promise<unknown>[] = new Array(count);
    for (let i = 0; i < count; i++) all[i] = call();
    await Promise.all(all);
    rates.push(Math.round((count * 1000) / (performance.now() - t0)));
  }
  return { count, callsPerSecond: Math.max(...rates), rounds: rates };
}
