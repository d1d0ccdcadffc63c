import { performance } from 'node:perf_hooks';
import { BenchOptionsError } from './errors.ts';
import { fixedCountArrivals, interArrival, seededRandom } from './arrivals.ts';
import type { Lane } from './lanes.ts';
import type { BenchResult } from './result.ts';
import { RunState, positive, type CommonOptions } from './run-state.ts';

export interface OpenLoopOptions extends CommonOptions {
  /** Arrivals per second, whatever the server's speed. */
  rate: number;
  /**
   * Poisson (the default) or evenly spaced. A Poisson run with a duration and no count gets
   * round(rate x duration) arrivals at random times (see fixedCountArrivals); with a count, exponential gaps.
   */
  arrival?: 'poisson' | 'uniform';
  /** Most requests in flight at once (connections for HTTP); later arrivals wait, their clock running. Default 512. */
  maxInFlight?: number;
  /** Seed of the arrival schedule; the same seed gives the same gaps. */
  seed?: number;
}

/**
 * Requests arrive on a schedule that does not wait for replies. Each latency is measured from
 * the time the request was due, not from when it was sent, so a stalled server or a busy
 * generator shows up as latency instead of silently lowering the load (coordinated omission).
 */
export function runOpenLoop(options: OpenLoopOptions): Promise<BenchResult> {
  positive('rate', options.rate ?? NaN, 10_000_000);
  positive('maxInFlight', options.maxInFlight, 100_000, true);
  const arrival = options.arrival ?? 'poisson';
  if (arrival !== 'poisson' && arrival !== 'uniform') {
    throw new BenchOptionsError(`arrival must be "poisson" or "uniform", got ${String(arrival)}`);
  }
  const run = new RunState(options, `open ${options.rate}/s`);
  const maxInFlight = options.maxInFlight ?? 512;
  const random = seededRandom(options.seed ?? 0x7e57);
  const windowMs = run.deadline - run.t0;
  const gap =
    arrival === 'poisson' && options.count === undefined && Number.isFinite(windowMs)
      ? fixedCountArrivals(options.rate, windowMs, random)
      : interArrival(options.rate, arrival, random);
  const lanes: Lane[] = [];
  const free: Lane[] = [];
  // Arrivals waiting for a lane, oldest first; emptied whenever it drains.
  const waiting: Array<{ due: number; measured: boolean }> = [];
  let head = 0;
  let index = 0;
  let inFlight = 0;
  let queued = 0;
  let maxLag = 0;
  let due = run.t0;
  let stopped = false;

  return new Promise((resolve) => {
    const maybeFinish = () => {
      if (!stopped || inFlight > 0 || head < waiting.length) return;
      for (const lane of lanes) lane.close();
      resolve(
        run.finish({
          mode: 'open',
          offeredRate: options.rate,
          arrival,
          maxSchedulerLagMs: Math.round(maxLag * 1000) / 1000,
          queued,
        }),
      );
    };
    const start = (lane: Lane, at: number, measured: boolean) => {
      inFlight++;
      lane.send(index++, (kind) => {
        inFlight--;
        run.record(measured, at, kind);
        if (head < waiting.length && performance.now() >= run.hardStop) {
          // Out of time: what still waits is never sent, and counts as timed out.
          for (; head < waiting.length; head++) run.record(waiting[head].measured, waiting[head].due, 'timeout');
          waiting.length = head = 0;
        }
        if (head < waiting.length) {
          const w = waiting[head++];
          if (head === waiting.length) waiting.length = head = 0;
          start(lane, w.due, w.measured);
        } else {
          free.push(lane);
          maybeFinish();
        }
      });
    };
    const dispatch = (at: number, measured: boolean) => {
      let lane = free.pop();
      if (!lane && lanes.length < maxInFlight) {
        lane = run.lanes.create();
        lanes.push(lane);
      }
      if (lane) start(lane, at, measured);
      else {
        queued++;
        waiting.push({ due: at, measured });
      }
    };
    const tick = () => {
      const now = performance.now();
      while (due <= now) {
        if (run.mustStop(due)) {
          stopped = true;
          return maybeFinish();
        }
        if (now - due > maxLag) maxLag = now - due;
        dispatch(due, run.sent(due));
        due += gap();
      }
      if (due === Infinity) {
        // A fixed-count schedule is spent: the run covered its whole window (stoppedBy stays 'duration').
        stopped = true;
        return maybeFinish();
      }
      if (performance.now() >= run.hardStop) {
        run.mustStop(run.hardStop);
        stopped = true;
        return maybeFinish();
      }
      const wait = due - performance.now();
      // setTimeout is coarse (about 1 ms); closer arrivals are caught by the next turn of the loop.
      if (wait > 1.5) setTimeout(tick, wait - 1);
      else setImmediate(tick);
    };
    run.watch(() => lanes);
    tick();
  });
}
