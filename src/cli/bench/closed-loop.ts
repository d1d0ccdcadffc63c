import { performance } from 'node:perf_hooks';
import type { Lane } from './lanes.ts';
import type { BenchResult } from './result.ts';
import { RunState, positive, type CommonOptions } from './run-state.ts';

export interface ClosedLoopOptions extends CommonOptions {
  /** Concurrent clients, each waiting for its reply before sending again (one connection each for HTTP). */
  concurrency: number;
}

// Back to the event loop every so many sends, so timers (deadline, timeouts, progress) run even
// when a function target settles at once and the loop would otherwise live in microtasks.
const YIELD_EVERY = 128;

/** N clients in a loop, each sending its next request when the previous one ends. */
export function runClosedLoop(options: ClosedLoopOptions): Promise<BenchResult> {
  positive('concurrency', options.concurrency ?? NaN, 100_000, true);
  const run = new RunState(options, `closed c=${options.concurrency}`);
  const lanes: Lane[] = [];
  for (let i = 0; i < options.concurrency; i++) lanes.push(run.lanes.create());
  let index = 0;
  let active = lanes.length;
  let sinceYield = 0;

  return new Promise((resolve) => {
    const idle = () => {
      if (--active > 0) return;
      for (const lane of lanes) lane.close();
      resolve(run.finish({ mode: 'closed', concurrency: options.concurrency }));
    };
    const next = (lane: Lane): void => {
      const start = performance.now();
      if (run.mustStop(start)) return idle();
      if (++sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        setImmediate(next, lane);
        return;
      }
      const measured = run.sent(start);
      lane.send(index++, (kind) => {
        run.record(measured, start, kind);
        next(lane);
      });
    };
    run.watch(() => lanes);
    for (const lane of lanes) next(lane);
  });
}
