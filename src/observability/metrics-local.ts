// A thread's own metrics: plain counters, gauges and histograms kept in this thread and read as one snapshot that
// crosses to the main thread on the replica's periodic load report (no message per request). Series are capped
// per metric: label sets past MAX_SERIES share one series whose labels all read OVERFLOW_LABEL.
import { MetricDefinitionError, MetricNameClashError } from './metrics-errors.ts';

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricDef {
  name: string;
  help: string;
  type: MetricType;
  labelNames: readonly string[];
  /** Histograms: upper bounds, ascending (+Inf is implied). */
  buckets?: readonly number[];
  /** The main thread adds the reporting replica's application and deployment labels in front of labelNames. */
  scoped?: boolean;
}

/** One series as it crosses threads: label values, value (a histogram's count), and a histogram's per-bucket
 *  counts (not cumulative, +Inf last) and sum. */
export interface SeriesSnapshot {
  l: string[];
  v: number;
  b?: number[];
  s?: number;
}

export interface MetricSnapshot {
  def: MetricDef;
  series: SeriesSnapshot[];
}

export const MAX_SERIES = 1000;
export const OVERFLOW_LABEL = '_other';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export class Series {
  value = 0;
  sum = 0;
  readonly counts: Float64Array | undefined;
  constructor(readonly labels: string[], buckets: number | undefined) {
    this.counts = buckets === undefined ? undefined : new Float64Array(buckets + 1);
  }
}

export class LocalMetric {
  readonly def: MetricDef;
  readonly #series = new Map<string, Series>();
  readonly #bounds: readonly number[];

  constructor(def: MetricDef) {
    this.def = def;
    this.#bounds = def.buckets ?? [];
  }

  /** The series of these label values (one per labelName, in order), made on first use. */
  series(labels: readonly string[]): Series {
    const key = labels.length === 1 ? labels[0]! : labels.join('\u0001');
    const s = this.#series.get(key);
    if (s !== undefined) return s;
    if (labels.length !== this.def.labelNames.length) {
      throw new MetricDefinitionError(`metric ${this.def.name} takes labels [${this.def.labelNames.join(', ')}], got ${labels.length} values: pass one value per label, in that order`);
    }
    if (this.#series.size >= MAX_SERIES) return this.#make(labels.map(() => OVERFLOW_LABEL));
    return this.#make(labels.map(String));
  }

  #make(values: string[]): Series {
    const key = values.length === 1 ? values[0]! : values.join('\u0001');
    let s = this.#series.get(key);
    if (s === undefined) {
      s = new Series(values, this.def.type === 'histogram' ? this.#bounds.length : undefined);
      this.#series.set(key, s);
    }
    return s;
  }

  inc(labels: readonly string[], n = 1): void {
    if (!(n >= 0)) throw new MetricDefinitionError(`counter ${this.def.name} only goes up: inc() takes a number >= 0, got ${n}`);
    this.series(labels).value += n;
  }

  set(labels: readonly string[], v: number): void {
    this.series(labels).value = v;
  }

  observe(labels: readonly string[], v: number): void {
    observeInto(this.series(labels), this.#bounds, v);
  }

  snapshot(): MetricSnapshot {
    const series: SeriesSnapshot[] = [];
    for (const s of this.#series.values()) {
      series.push(s.counts ? { l: s.labels, v: s.value, b: Array.from(s.counts), s: s.sum } : { l: s.labels, v: s.value });
    }
    return { def: this.def, series };
  }

  get size(): number {
    return this.#series.size;
  }

  clear(): void {
    this.#series.clear();
  }
}

export function observeInto(s: Series, bounds: readonly number[], v: number): void {
  let i = 0;
  const n = bounds.length;
  while (i < n && v > bounds[i]!) i++;
  s.counts![i]!++;
  s.sum += v;
  s.value++;
}

export function checkDef(def: MetricDef): void {
  if (typeof def.name !== 'string' || !NAME.test(def.name)) throw new MetricDefinitionError(`metric name ${JSON.stringify(def.name)} is not a Prometheus name: use letters, digits, _ and :, not starting with a digit`);
  if (typeof def.help !== 'string' || def.help === '') throw new MetricDefinitionError(`metric ${def.name} needs a help text: say what it counts`);
  for (const l of def.labelNames) {
    if (typeof l !== 'string' || !LABEL.test(l) || l.startsWith('__')) throw new MetricDefinitionError(`metric ${def.name}: label ${JSON.stringify(l)} is not a Prometheus label name: use letters, digits and _, not starting with __ or a digit`);
    if (l === 'le' && def.type === 'histogram') throw new MetricDefinitionError(`histogram ${def.name} cannot have a label named le: Prometheus uses it for buckets`);
  }
  if (new Set(def.labelNames).size !== def.labelNames.length) throw new MetricDefinitionError(`metric ${def.name} names a label twice: [${def.labelNames.join(', ')}]`);
  if (def.type === 'histogram') {
    const b = def.buckets ?? [];
    if (b.length === 0 || b.some((x, i) => !Number.isFinite(x) || (i > 0 && x <= b[i - 1]!))) {
      throw new MetricDefinitionError(`histogram ${def.name} needs buckets: finite upper bounds in ascending order, e.g. [0.01, 0.1, 1]`);
    }
  }
}

function sameDef(a: MetricDef, b: MetricDef): boolean {
  return a.type === b.type && !!a.scoped === !!b.scoped && a.labelNames.join() === b.labelNames.join() && (a.buckets ?? []).join() === (b.buckets ?? []).join();
}

/** Describes how `def` differs from `known`, or undefined when they are the same metric. */
export function clashOf(known: MetricDef, def: MetricDef): string | undefined {
  if (sameDef(known, def)) return undefined;
  return `is already defined as a ${known.type} with labels [${known.labelNames.join(', ')}]${known.buckets ? ` and buckets [${known.buckets.join(', ')}]` : ''}; this definition is a ${def.type} with labels [${def.labelNames.join(', ')}]${def.buckets ? ` and buckets [${def.buckets.join(', ')}]` : ''}`;
}

/** The metrics of one thread, by name. */
export class LocalRegistry {
  readonly #metrics = new Map<string, LocalMetric>();
  /** Names that only troupe may define (its catalog); user definitions of them are refused. */
  readonly #reserved: (name: string) => MetricDef | undefined;

  constructor(reserved: (name: string) => MetricDef | undefined = () => undefined) {
    this.#reserved = reserved;
  }

  /** The metric `def` names: made on first definition; the same definition again returns it; a different one throws. */
  define(def: MetricDef, builtin = false): LocalMetric {
    const known = this.#metrics.get(def.name);
    if (known) {
      const clash = clashOf(known.def, def);
      if (clash) throw new MetricNameClashError(def.name, clash);
      return known;
    }
    checkDef(def);
    if (!builtin && this.#reserved(def.name)) throw new MetricNameClashError(def.name, 'is one of troupe\'s own metrics');
    const m = new LocalMetric({ ...def, labelNames: [...def.labelNames], ...(def.buckets ? { buckets: [...def.buckets] } : {}) });
    this.#metrics.set(def.name, m);
    return m;
  }

  get(name: string): LocalMetric | undefined {
    return this.#metrics.get(name);
  }

  values(): IterableIterator<LocalMetric> {
    return this.#metrics.values();
  }

  snapshot(): MetricSnapshot[] {
    const out: MetricSnapshot[] = [];
    for (const m of this.#metrics.values()) if (m.size > 0) out.push(m.snapshot());
    return out;
  }

  /** Forgets every value (definitions stay). Tests only. */
  clear(): void {
    for (const m of this.#metrics.values()) m.clear();
  }
}
