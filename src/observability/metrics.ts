// The metrics of this thread, and what each part of troupe calls to record into them. In a replica they travel
// to the main thread inside its load report (threadMetricsReport); the main thread's own go straight to /metrics.
// TROUPE_METRICS=off (read by every thread at start) or setMetricsEnabled(false) turns recording off.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { LATENCY_BUCKETS, METRICS, builtinMetric } from './metrics-catalog.ts';
import { MetricDefinitionError } from './metrics-errors.ts';
import { LocalRegistry, observeInto, type LocalMetric, type MetricDef, type MetricSnapshot, type Series } from './metrics-local.ts';

let enabled = !/^(0|false|off|no)$/i.test(process.env.TROUPE_METRICS ?? '');

/** Whether this thread records metrics. */
export function metricsEnabled(): boolean {
  return enabled;
}

/** Turns recording on or off in this thread (the bench compares the two). */
export function setMetricsEnabled(on: boolean): void {
  enabled = on;
}

/** This thread's metrics. */
export const threadMetrics = new LocalRegistry(builtinMetric);

const replicaRequests = threadMetrics.define(METRICS.replicaRequests, true);
const replicaDuration = threadMetrics.define(METRICS.replicaDuration, true);
const batchSize = threadMetrics.define(METRICS.batchSize, true);
const batchWait = threadMetrics.define(METRICS.batchWait, true);
let httpRequests: LocalMetric | undefined;
let httpDuration: LocalMetric | undefined;

export type CallOutcome = 'ok' | 'error' | 'cancelled';

interface CallSeries {
  ok: Series;
  error: Series;
  cancelled: Series;
  duration: Series;
}
const callSeries = new Map<string, CallSeries>();

/** A replica finished a call of `method` that started running at `startMs` (performance.now()). */
export function recordReplicaCall(method: string, outcome: CallOutcome, startMs: number): void {
  if (!enabled) return;
  let s = callSeries.get(method);
  if (s === undefined) {
    s = {
      ok: replicaRequests.series([method, 'ok']),
      error: replicaRequests.series([method, 'error']),
      cancelled: replicaRequests.series([method, 'cancelled']),
      duration: replicaDuration.series([method]),
    };
    // Methods are a class's own; the cap only matters for an instance that grows methods at run time.
    if (callSeries.size < 1024) callSeries.set(method, s);
  }
  (outcome === 'ok' ? s.ok : outcome === 'error' ? s.error : s.cancelled).value++;
  observeInto(s.duration, LATENCY_BUCKETS, (performance.now() - startMs) / 1000);
}

/** A @batch method ran a batch of `size` calls whose oldest waited `waitSeconds`. */
export function recordBatch(method: string, size: number, waitSeconds: number): void {
  if (!enabled) return;
  batchSize.observe([method], size);
  batchWait.observe([method], waitSeconds);
}

interface HttpSeries {
  count: Series;
  duration: Series;
}
/** Shortcuts to the proxy's series by application, route, method and status: lookups by strings the proxy
 *  already holds (their hashes are cached), no key string built per request. */
const httpSeries = new Map<string | undefined, Map<string | undefined, Map<string, Map<number, HttpSeries>>>>();
let httpShortcuts = 0;
const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE']);

/**
 * The proxy answered a request (end to end, `seconds`). `route` is the declared route that matched, or undefined
 * (shown as _unmatched: a client's made-up paths must not make series).
 */
export function recordHttpRequest(application: string | undefined, route: string | undefined, method: string, status: number, seconds: number): void {
  if (!enabled) return;
  let byRoute = httpSeries.get(application);
  if (byRoute === undefined) httpSeries.set(application, (byRoute = new Map()));
  let byMethod = byRoute.get(route);
  if (byMethod === undefined) byRoute.set(route, (byMethod = new Map()));
  let byStatus = byMethod.get(method);
  if (byStatus === undefined) byMethod.set(method, (byStatus = new Map()));
  let s = byStatus.get(status);
  if (s === undefined) {
    s = httpSeriesFor(application, route, method, status);
    // The series stay (capped in their metric); past this many shortcuts (made-up methods) they are dropped.
    if (++httpShortcuts > 4096) {
      httpSeries.clear();
      httpShortcuts = 0;
    }
    byStatus.set(status, s);
  }
  s.count.value++;
  observeInto(s.duration, LATENCY_BUCKETS, seconds);
}

function httpSeriesFor(application: string | undefined, route: string | undefined, method: string, status: number): HttpSeries {
  httpRequests ??= threadMetrics.define(METRICS.httpRequests, true);
  httpDuration ??= threadMetrics.define(METRICS.httpDuration, true);
  const app = application ?? '';
  const r = route ?? '_unmatched';
  return {
    count: httpRequests.series([app, r, HTTP_METHODS.has(method) ? method : 'OTHER', String(status)]),
    duration: httpDuration.series([app, r]),
  };
}

// ---- what a replica's thread reports ----

export interface ThreadReport {
  metrics: MetricSnapshot[];
  /** V8 heap in use, bytes. */
  heapUsed: number;
  /** Event-loop delay p99 since the previous report, seconds. */
  lag: number;
  /** Thread-level gauges other parts add (setThreadGauge), by name. */
  gauges: Record<string, number>;
}

let lagMonitor: IntervalHistogram | undefined;
let lagWindowStart = 0;
let lastLag = 0;
const LAG_WINDOW_MS = 1000;
const threadGauges = new Map<string, () => number>();

/** Adds `read()`'s value under `name` to this thread's reports (e.g. the GPU slot bytes it holds). */
export function setThreadGauge(name: string, read: () => number): void {
  threadGauges.set(name, read);
}

/** The event-loop delay p99 over the last whole second (load reports come up to every 100 ms; a window that short
 *  would show only the latest blip), in seconds; 0 before the first window closes. */
export function eventLoopLag(): number {
  const now = performance.now();
  if (!lagMonitor) {
    lagMonitor = monitorEventLoopDelay({ resolution: 20 });
    lagMonitor.enable();
    lagWindowStart = now;
    return 0;
  }
  if (now - lagWindowStart >= LAG_WINDOW_MS) {
    lastLag = lagMonitor.count > 0 ? lagMonitor.percentile(99) / 1e9 : 0;
    lagMonitor.reset();
    lagWindowStart = now;
  }
  return lastLag;
}

/** This thread's metrics, heap and event-loop lag, as one plain object that crosses threads. */
export function threadMetricsReport(): ThreadReport {
  const gauges: Record<string, number> = {};
  for (const [name, read] of threadGauges) {
    try {
      gauges[name] = read();
    } catch {
      // a gauge that cannot be read this time is left out of this report
    }
  }
  return { metrics: enabled ? threadMetrics.snapshot() : [], heapUsed: getHeapStatistics().used_heap_size, lag: eventLoopLag(), gauges };
}

// ---- user metrics ----

export interface MetricOptions<L extends string = string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}
export interface HistogramOptions<L extends string = string> extends MetricOptions<L> {
  buckets?: readonly number[];
}
type Labels<L extends string> = Partial<Record<L, string | number>>;

const RESERVED_LABELS = new Set(['application', 'deployment', 'replica', 'thread']);

class UserMetric<L extends string> {
  protected readonly metric: LocalMetric;
  readonly #names: readonly L[];
  constructor(type: MetricDef['type'], options: HistogramOptions<L>) {
    if (!options || typeof options !== 'object') throw new MetricDefinitionError(`${type}() takes { name, help, labelNames? }`);
    const labelNames = options.labelNames ?? [];
    for (const l of labelNames) {
      if (RESERVED_LABELS.has(l)) throw new MetricDefinitionError(`metric ${options.name}: label ${l} is added by troupe (application, deployment); choose another label name`);
    }
    this.#names = labelNames;
    this.metric = threadMetrics.define({ name: options.name, help: options.help, type, labelNames, scoped: true, ...(type === 'histogram' ? { buckets: options.buckets ?? LATENCY_BUCKETS } : {}) });
  }
  protected values(labels: Labels<L> | undefined): string[] {
    if (this.#names.length === 0) return [];
    const out: string[] = [];
    for (const n of this.#names) {
      const v = labels?.[n];
      if (v === undefined) throw new MetricDefinitionError(`metric ${this.metric.def.name} needs label ${n}: pass { ${this.#names.join(', ')} }`);
      out.push(String(v));
    }
    return out;
  }
}

/** A user counter: counts from every replica are summed, with application and deployment labels added. */
export class Counter<L extends string = string> extends UserMetric<L> {
  constructor(options: MetricOptions<L>) {
    super('counter', options);
  }
  inc(labels?: Labels<L>, n = 1): void {
    this.metric.inc(this.values(labels), n);
  }
}

/** A user gauge: the replicas' values are summed per label set. */
export class Gauge<L extends string = string> extends UserMetric<L> {
  constructor(options: MetricOptions<L>) {
    super('gauge', options);
  }
  set(labels: Labels<L> | undefined, value: number): void {
    this.metric.set(this.values(labels), value);
  }
}

export class Histogram<L extends string = string> extends UserMetric<L> {
  constructor(options: HistogramOptions<L>) {
    super('histogram', options);
  }
  observe(labels: Labels<L> | undefined, value: number): void {
    this.metric.observe(this.values(labels), value);
  }
}

/** Defines (or returns, when defined the same way before) a counter; a clashing name throws MetricNameClashError. */
export function counter<L extends string = string>(options: MetricOptions<L>): Counter<L> {
  return new Counter(options);
}
export function gauge<L extends string = string>(options: MetricOptions<L>): Gauge<L> {
  return new Gauge(options);
}
export function histogram<L extends string = string>(options: HistogramOptions<L>): Histogram<L> {
  return new Histogram(options);
}
