// The main thread's view of every thread's metrics, rendered by a prom-client registry at /metrics.
// Replicas' snapshots arrive with their load reports (report()); a replica that stops or dies is retire()d: its
// counters and histograms are folded into running totals, because their series carry no replica label and a
// Prometheus counter that went down would read as a reset (rate() would count the survivors' totals again as
// new). Its gauges (ongoing requests, heap, lag, GPU slots) go: they describe a replica that is no more.
// Counts a replica recorded after its last report are lost with it (at most one report interval).
import { METRICS, exposedLabels } from './metrics-catalog.ts';
import { threadMetrics, threadMetricsReport, type ThreadReport } from './metrics.ts';
import { MAX_SERIES, OVERFLOW_LABEL, clashOf, type MetricDef, type MetricSnapshot } from './metrics-local.ts';

/** Where a report came from: labels the main thread adds to its scoped series. */
export interface SourceLabels {
  application: string;
  deployment: string;
  replica: string;
}

/** A value a part of troupe reads at scrape time (controller state, object store). */
export interface Sample {
  def: MetricDef;
  labels: readonly string[];
  value: number;
}

interface Agg {
  labels: string[];
  value: number;
  counts?: number[];
  sum?: number;
}

interface Merged {
  def: MetricDef;
  series: Map<string, Agg>;
}

/** How long a scrape waits for fresh reports before it answers with the ones it has. */
export const REFRESH_TIMEOUT_MS = 1000;
/** Problems shown as comments at the end of /metrics (clashing definitions across threads), at most this many. */
const MAX_PROBLEMS = 20;

export class MetricsHub {
  readonly #sources = new Map<string, { labels: SourceLabels; report: ThreadReport }>();
  readonly #retired = new Map<string, Merged>();
  readonly #collectors = new Set<() => Iterable<Sample>>();
  readonly #refreshers = new Set<() => Promise<unknown>>();
  readonly #problems = new Map<string, string>();
  /** prom-client's default metrics of this process, made on the first scrape. */
  #process: import('prom-client').Registry | undefined;

  /** The latest report of a replica (it replaces the previous one: values are cumulative). */
  report(id: string, labels: SourceLabels, report: unknown): void {
    if (!isReport(report)) return;
    this.#sources.set(id, { labels, report });
  }

  /** A replica stopped or died: its counters and histograms live on in the totals, its gauges go. */
  retire(id: string): void {
    const source = this.#sources.get(id);
    if (!source) return;
    this.#sources.delete(id);
    for (const m of source.report.metrics) {
      if (m.def.type === 'gauge') continue;
      this.#add(this.#retired, m, source.labels);
    }
  }

  /** Adds a reader of scrape-time values; returns its removal. */
  addCollector(collect: () => Iterable<Sample>): () => void {
    this.#collectors.add(collect);
    return () => this.#collectors.delete(collect);
  }

  /** Adds what a scrape awaits first (asking replicas for fresh reports); returns its removal. */
  addRefresher(refresh: () => Promise<unknown>): () => void {
    this.#refreshers.add(refresh);
    return () => this.#refreshers.delete(refresh);
  }

  /** Replicas reporting now. */
  get sources(): number {
    return this.#sources.size;
  }

  /** Every metric, merged over the main thread, the replicas' latest reports and the retired totals. */
  async collect(): Promise<Map<string, Merged>> {
    // Problems are found again on every scrape: one that went away (a failing collector fixed) leaves the page.
    this.#problems.clear();
    if (this.#refreshers.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>(resolve => (timer = setTimeout(resolve, REFRESH_TIMEOUT_MS)));
      // A refresher that fails or hangs (a replica dying mid-scrape) leaves the last reports in place.
      await Promise.race([Promise.allSettled([...this.#refreshers].map(r => r())), late]);
      clearTimeout(timer);
    }
    const out = new Map<string, Merged>();
    for (const [name, m] of this.#retired) {
      out.set(name, { def: m.def, series: new Map([...m.series].map(([k, a]) => [k, { ...a, labels: a.labels, ...(a.counts ? { counts: [...a.counts] } : {}) }])) });
    }
    const main = threadMetricsReport();
    const mainLabels: SourceLabels = { application: '', deployment: '', replica: 'main' };
    for (const m of main.metrics) this.#add(out, m, mainLabels);
    this.#threadGauges(out, 'main', main);
    for (const { labels, report } of this.#sources.values()) {
      for (const m of report.metrics) this.#add(out, m, labels);
      this.#threadGauges(out, labels.replica, report);
      const slot = report.gauges.gpuSlotBytes;
      if (typeof slot === 'number' && slot > 0) this.#sample(out, METRICS.gpuSlotBytes, [labels.application, labels.deployment, labels.replica], slot);
    }
    for (const collect of this.#collectors) {
      try {
        for (const s of collect()) this.#sample(out, s.def, s.labels, s.value);
      } catch (err) {
        this.#problem('collector', `a metrics collector failed: ${(err as Error).message}`);
      }
    }
    return out;
  }

  /** The Prometheus text of every metric. */
  async render(): Promise<string> {
    const merged = await this.collect();
    // Loaded on the first scrape: a replica's thread loads this module too, and prom-client takes ~30 ms to load.
    const { Registry, collectDefaultMetrics } = await import('prom-client');
    const registry = new Registry();
    for (const m of merged.values()) registry.registerMetric(asPromMetric(m) as never);
    // The process as a whole (CPU seconds, resident memory, handles): prom-client's standard process_* and nodejs_*.
    if (!this.#process) collectDefaultMetrics({ register: (this.#process = new Registry()) });
    for (const m of this.#process.getMetricsAsArray()) {
      if (merged.has(m.name)) this.#problem(m.name, `metric ${m.name} is prom-client's process metric; the one defined in troupe is shown`);
      else registry.registerMetric(m as never);
    }
    let text = await registry.metrics();
    for (const p of this.#problems.values()) text += `# troupe: ${p.replace(/\n/g, ' ')}\n`;
    return text;
  }

  /** prom-client's Registry.PROMETHEUS_CONTENT_TYPE. */
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';

  /** Forgets every report, total and problem, and this thread's values. Tests only. */
  reset(): void {
    this.#sources.clear();
    this.#retired.clear();
    this.#problems.clear();
    threadMetrics.clear();
  }

  #threadGauges(out: Map<string, Merged>, thread: string, r: ThreadReport): void {
    this.#sample(out, METRICS.heapUsed, [thread], r.heapUsed);
    this.#sample(out, METRICS.eventLoopLag, [thread], r.lag);
  }

  #target(into: Map<string, Merged>, def: MetricDef): Merged | undefined {
    const known = into.get(def.name);
    if (!known) {
      const merged: Merged = { def, series: new Map() };
      into.set(def.name, merged);
      return merged;
    }
    const clash = clashOf(known.def, def);
    if (!clash) return known;
    // Two threads defined one name in different ways: the first one seen is kept, the other named here.
    this.#problem(def.name, `metric ${def.name} ${clash}; the later definition's values are left out (TROUPE_ERR_METRIC_NAME_CLASH)`);
    return undefined;
  }

  #add(into: Map<string, Merged>, m: MetricSnapshot, source: SourceLabels): void {
    const merged = this.#target(into, m.def);
    if (!merged) return;
    for (const s of m.series) {
      const labels = m.def.scoped ? [source.application, source.deployment, ...s.l] : s.l;
      const agg = slot(merged, labels, m.def.type === 'histogram' ? s.b?.length : undefined);
      agg.value += s.v;
      if (agg.counts && s.b) {
        for (let i = 0; i < agg.counts.length && i < s.b.length; i++) agg.counts[i]! += s.b[i]!;
        agg.sum! += s.s ?? 0;
      }
    }
  }

  #sample(into: Map<string, Merged>, def: MetricDef, labels: readonly string[], value: number): void {
    const merged = this.#target(into, def);
    if (!merged || !Number.isFinite(value)) return;
    slot(merged, [...labels], undefined).value += value;
  }

  #problem(key: string, message: string): void {
    if (this.#problems.size < MAX_PROBLEMS || this.#problems.has(key)) this.#problems.set(key, message);
  }
}

function slot(merged: Merged, labels: string[], buckets: number | undefined): Agg {
  let key = labels.join('\u0001');
  let agg = merged.series.get(key);
  if (agg) return agg;
  if (merged.series.size >= MAX_SERIES) {
    labels = labels.map(() => OVERFLOW_LABEL);
    key = labels.join('\u0001');
    agg = merged.series.get(key);
    if (agg) return agg;
  }
  agg = buckets === undefined ? { labels, value: 0 } : { labels, value: 0, counts: new Array<number>(buckets).fill(0), sum: 0 };
  merged.series.set(key, agg);
  return agg;
}

function isReport(r: unknown): r is ThreadReport {
  const x = r as ThreadReport;
  return typeof x === 'object' && x !== null && Array.isArray(x.metrics) && typeof x.heapUsed === 'number';
}

/** A merged metric as prom-client's registry reads one (name, help, type, get()). */
function asPromMetric(m: Merged): { name: string; help: string; type: string; get(): unknown } {
  const { def } = m;
  const names = exposedLabels(def);
  const labelsOf = (values: string[]) => {
    const o: Record<string, string> = {};
    for (let i = 0; i < names.length; i++) o[names[i]!] = values[i] ?? '';
    return o;
  };
  return {
    name: def.name,
    help: def.help,
    type: def.type,
    get() {
      const values: Array<{ labels: Record<string, string | number>; value: number; metricName?: string }> = [];
      for (const a of m.series.values()) {
        const labels = labelsOf(a.labels);
        if (def.type !== 'histogram') {
          values.push({ labels, value: a.value });
          continue;
        }
        let cumulative = 0;
        const bounds = def.buckets ?? [];
        for (let i = 0; i < (a.counts?.length ?? 0); i++) {
          cumulative += a.counts![i]!;
          values.push({ metricName: `${def.name}_bucket`, labels: { ...labels, le: i < bounds.length ? bounds[i]! : '+Inf' }, value: cumulative });
        }
        values.push({ metricName: `${def.name}_sum`, labels, value: a.sum ?? 0 });
        values.push({ metricName: `${def.name}_count`, labels, value: a.value });
      }
      return { name: def.name, help: def.help, type: def.type, values, aggregator: 'sum' };
    },
  };
}

/** The process's hub: /metrics renders it; the serve controller feeds it. */
export const metricsHub = new MetricsHub();
