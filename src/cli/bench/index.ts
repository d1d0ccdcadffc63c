// troupe's load generator: closed and open loops against an HTTP endpoint on this machine or an
// async function, HdrHistogram latencies, errors by kind, sweeps and an SVG chart.
export { runClosedLoop, type ClosedLoopOptions } from './closed-loop.ts';
export { runOpenLoop, type OpenLoopOptions } from './open-loop.ts';
export { runSweep, ratesUpTo, type SweepOptions } from './sweep.ts';
export { renderLatencyChart, type ChartOptions } from './chart.ts';
export { formatResult, type BenchResult, type SweepResult } from './result.ts';
export type { LatencySummary } from './histogram.ts';
export type { CommonOptions } from './run-state.ts';
export type { ProgressOptions } from './progress.ts';
export type { LoadTarget, HttpTarget, FunctionTarget, BodySource } from './target.ts';
export { BenchOptionsError, BenchTargetNotLocalError } from './errors.ts';
