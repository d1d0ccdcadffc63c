import * as hdr from 'hdr-histogram-js';

// Latencies are recorded in integer microseconds, 1 µs to 10 min, 3 significant digits.
const HIGHEST_US = 600_000_000;

export interface LatencySummary {
  /** All values in milliseconds. */
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  count: number;
}

export class LatencyHistogram {
  readonly #h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    bitBucketSize: 32,
    autoResize: false,
    useWebAssembly: false,
  });

  /** Records one latency given in milliseconds (fractions kept down to 1 µs). */
  recordMs(ms: number): void {
    const us = Math.round(ms * 1000);
    this.#h.recordValue(us < 1 ? 1 : us > HIGHEST_US ? HIGHEST_US : us);
  }

  get count(): number {
    return this.#h.totalCount;
  }

  /** Adds every value of another histogram into this one. */
  add(other: LatencyHistogram): void {
    this.#h.add(other.#h);
  }

  reset(): void {
    this.#h.reset();
  }

  percentileMs(p: number): number {
    return this.#h.totalCount === 0 ? 0 : this.#h.getValueAtPercentile(p) / 1000;
  }

  summary(): LatencySummary {
    const h = this.#h;
    if (h.totalCount === 0) return { min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, count: 0 };
    // Percentiles report the top of their bucket; the exact max caps them so the order holds.
    const max = h.maxValue;
    const at = (p: number) => Math.min(h.getValueAtPercentile(p), max) / 1000;
    return {
      min: h.minNonZeroValue / 1000,
      mean: round3(h.mean / 1000),
      p50: at(50),
      p90: at(90),
      p99: at(99),
      p999: at(99.9),
      max: max / 1000,
      count: h.totalCount,
    };
  }

  /** Compressed HdrHistogram encoding, so a JSON result can be re-read by any HdrHistogram tool. */
  encode(): string {
    return hdr.encodeIntoCompressedBase64(this.#h);
  }

  destroy(): void {
    this.#h.destroy();
  }
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
