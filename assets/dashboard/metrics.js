// Prometheus text (what GET /metrics answers) into samples, and the arithmetic the charts need: sums over
// labels, counter rates between two scrapes, quantiles from histogram buckets (as PromQL's histogram_quantile),
// and the bounded series the charts draw.
// A plain script: the page loads it before dashboard.js; test/admin/dashboard-metrics.test.ts loads it in node.
(function (root) {
  'use strict';

  function number(text) {
    if (text === '+Inf' || text === 'Inf') return Infinity;
    if (text === '-Inf') return -Infinity;
    return Number(text);
  }

  /** One sample line (`name{a="x",b="y"} 1.5 [timestamp]`) or null for a line it cannot read. */
  function parseLine(line) {
    const m = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!m) return null;
    const name = m[0];
    const labels = {};
    let i = name.length;
    if (line[i] === '{') {
      i++;
      for (;;) {
        while (line[i] === ' ' || line[i] === ',') i++;
        if (line[i] === '}') break;
        const eq = line.indexOf('=', i);
        if (eq < 0 || line[eq + 1] !== '"') return null;
        const key = line.slice(i, eq).trim();
        let value = '';
        for (i = eq + 2; i < line.length && line[i] !== '"'; i++) {
          if (line[i] === '\\') {
            i++;
            value += line[i] === 'n' ? '\n' : line[i];
          } else value += line[i];
        }
        if (i >= line.length) return null;
        labels[key] = value;
        i++;
      }
      i++;
    }
    const fields = line.slice(i).trim().split(/\s+/);
    const value = number(fields[0]);
    return fields[0] === '' || Number.isNaN(value) && fields[0] !== 'NaN' ? null : { name, labels, value };
  }

  /** Every sample of the exposition text; comments, blank and unreadable lines are skipped. */
  function parse(text) {
    const samples = [];
    for (const line of text.split('\n')) {
      if (line === '' || line[0] === '#') continue;
      const s = parseLine(line.trim());
      if (s) samples.push(s);
    }
    return samples;
  }

  function matches(labels, filter) {
    for (const k in filter) if (filter[k] !== undefined && filter[k] !== '' && labels[k] !== filter[k]) return false;
    return true;
  }

  /** The sum of a metric's samples whose labels match filter (undefined when the metric is absent). */
  function sum(samples, name, filter, where) {
    let total;
    for (const s of samples) {
      if (s.name !== name || !matches(s.labels, filter || {}) || (where && !where(s.labels))) continue;
      total = (total || 0) + s.value;
    }
    return total;
  }

  /** Sums of a metric by the value of one label (or of several, joined with '/'). */
  function sumBy(samples, name, keys, filter) {
    const out = {};
    for (const s of samples) {
      if (s.name !== name || !matches(s.labels, filter || {})) continue;
      const key = keys.map(k => s.labels[k]).join('/');
      out[key] = (out[key] || 0) + s.value;
    }
    return out;
  }

  /** Increase per second of a counter between two scrapes; a counter that went down (a restart) counts as 0. */
  function rate(before, after, seconds) {
    if (before === undefined || after === undefined || seconds <= 0) return undefined;
    return Math.max(0, after - before) / seconds;
  }

  /** A histogram's cumulative buckets, summed over its series: [[le, count], ...] sorted by le. */
  function buckets(samples, name, filter) {
    const byLe = new Map();
    for (const s of samples) {
      if (s.name !== name + '_bucket' || !matches(s.labels, filter || {})) continue;
      const le = number(s.labels.le);
      byLe.set(le, (byLe.get(le) || 0) + s.value);
    }
    return [...byLe.entries()].sort((a, b) => a[0] - b[0]);
  }

  /** What was observed between two scrapes: after's buckets less before's (before may be empty). */
  function bucketDelta(before, after) {
    const old = new Map(before);
    return after.map(([le, n]) => [le, Math.max(0, n - (old.get(le) || 0))]);
  }

  /** The q-quantile (0..1) of cumulative buckets, interpolated linearly inside its bucket; undefined if empty. */
  function quantile(q, cumulative) {
    if (cumulative.length === 0) return undefined;
    const total = cumulative[cumulative.length - 1][1];
    if (!(total > 0)) return undefined;
    const rank = q * total;
    let lower = 0;
    let below = 0;
    for (const [le, n] of cumulative) {
      if (n >= rank && n > below) {
        // In the +Inf bucket only its lower bound is known.
        if (le === Infinity) return lower;
        return lower + (le - lower) * (rank - below) / (n - below);
      }
      if (le !== Infinity) lower = le;
      below = n;
    }
    return lower;
  }

  /** Named columns over one time axis, at most `points` long; a name absent for the whole window is dropped. */
  class Series {
    constructor(points) {
      this.points = points;
      this.t = [];
      this.cols = new Map();
    }
    push(time, values) {
      this.t.push(time);
      for (const name of Object.keys(values)) if (!this.cols.has(name)) this.cols.set(name, new Array(this.t.length - 1).fill(null));
      for (const [name, col] of this.cols) col.push(values[name] ?? null);
      if (this.t.length > this.points) {
        this.t.shift();
        for (const [name, col] of this.cols) {
          col.shift();
          if (col.every(v => v === null)) this.cols.delete(name);
        }
      }
    }
    names() {
      return [...this.cols.keys()];
    }
    data() {
      return [this.t, ...this.cols.values()];
    }
    max(name) {
      const col = this.cols.get(name) || [];
      return col.reduce((m, v) => (v !== null && v > m ? v : m), 0);
    }
    clear() {
      this.t = [];
      this.cols = new Map();
    }
  }

  root.TroupeMetrics = { parse, parseLine, sum, sumBy, rate, buckets, bucketDelta, quantile, Series };
})(typeof window !== 'undefined' ? window : globalThis);
