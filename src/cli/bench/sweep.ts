import { BenchOptionsError } from './errors.ts';
import { runOpenLoop, type OpenLoopOptions } from './open-loop.ts';
import type { SweepResult } from './result.ts';

export interface SweepOptions extends Omit<OpenLoopOptions, 'rate' | 'label'> {
  /** Offered loads to visit, requests per second, in order. */
  rates: number[];
  label?: string;
  /** Quiet time between steps, ms. Default 200. */
  pauseMs?: number;
  /** Stop climbing once a step is past saturation: p99 above this many ms ... */
  stopAtP99Ms?: number;
  /** ... or more than this fraction of requests failing (default 0.5). */
  stopAtErrorRate?: number;
  /** Called after each step, e.g. to print it. */
  onStep?: (point: SweepResult['points'][number]) => void;
}

/** Open-loop runs at rising rates: the data of a latency-against-load chart. */
export async function runSweep(options: SweepOptions): Promise<SweepResult> {
  const { rates, pauseMs = 200, stopAtP99Ms, stopAtErrorRate = 0.5, onStep, label, ...open } = options;
  if (!Array.isArray(rates) || rates.length === 0 || rates.length > 100) {
    throw new BenchOptionsError('rates must list 1 to 100 arrival rates (requests per second)', { rates });
  }
  const points: SweepResult['points'] = [];
  const name = label ?? 'sweep';
  for (const rate of rates) {
    const point = await runOpenLoop({ ...open, rate, label: `${name} @${rate}/s` });
    points.push(point);
    onStep?.(point);
    const errorRate = point.requests === 0 ? 1 : point.errorCount / point.requests;
    if (errorRate > stopAtErrorRate) break;
    if (stopAtP99Ms !== undefined && point.latencyMs.p99 > stopAtP99Ms) break;
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
  }
  return { label: name, target: points[0]?.target ?? '', points };
}

/** `steps` rates evenly spread from max/steps up to max, rounded. */
export function ratesUpTo(max: number, steps: number): number[] {
  if (!(max > 0) || !Number.isInteger(steps) || steps < 1) {
    throw new BenchOptionsError(`ratesUpTo needs a positive max and a whole number of steps, got ${max}, ${steps}`);
  }
  return Array.from({ length: steps }, (_, i) => Math.max(1, Math.round((max * (i + 1)) / steps)));
}
