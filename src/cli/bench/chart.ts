import type { BenchResult, SweepResult } from './result.ts';

export interface ChartOptions {
  title?: string;
  width?: number;
  height?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
const PERCENTILES = [
  { key: 'p50', name: 'p50', dash: '' },
  { key: 'p90', name: 'p90', dash: '7 3' },
  { key: 'p99', name: 'p99', dash: '3 3' },
  { key: 'p999', name: 'p99.9', dash: '9 3 2 3' },
] as const;

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
const n1 = (v: number) => Math.round(v * 10) / 10;

/**
 * A self-contained SVG of a sweep: latency percentiles (log scale) against offered load on top, one colour per
 * sweep, one dash per percentile, and below it the throughput achieved at each offered rate (the dashed
 * diagonal is "achieved = offered"; a sweep that falls under it is saturated). Each point carries a tooltip.
 */
export function renderLatencyChart(sweeps: SweepResult[], options: ChartOptions = {}): string {
  const W = options.width ?? 960;
  const H = options.height ?? 760;
  const m = { left: 70, right: 280, top: 48, bottom: 56 };
  const gap = 50;
  const pw = W - m.left - m.right;
  const plotH = H - m.top - m.bottom - gap;
  const ph = Math.round(plotH * 0.62);
  const th = plotH - ph;
  const tTop = m.top + ph + gap;
  const points = sweeps.flatMap((s) => s.points);
  const rateOf = (p: BenchResult) => p.offeredRate ?? p.throughput;
  // Axes end one tick past the data, not at the next power-of-ten multiple (which could double the range).
  const xAxis = niceAxis(Math.max(1, ...points.map(rateOf)));
  const tAxis = niceAxis(Math.max(1, ...points.map((p) => Math.max(p.throughput, rateOf(p)))));
  const lat = points.flatMap((p) => PERCENTILES.map((q) => p.latencyMs[q.key])).filter((v) => v > 0);
  const yAxis = logAxis(lat.length ? Math.min(...lat) : 0.1, lat.length ? Math.max(...lat) : 1);
  const [lo, hi] = [Math.log10(yAxis.ticks[0]), Math.log10(yAxis.ticks.at(-1)!)];
  const x = (v: number) => m.left + (v / xAxis.max) * pw;
  const y = (v: number) => m.top + ph - ((Math.log10(Math.max(v, yAxis.ticks[0])) - lo) / (hi - lo)) * ph;
  const yT = (v: number) => tTop + th - (v / tAxis.max) * th;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="16">${esc(options.title ?? 'Latency against offered load')}</text>`,
  );
  // Grid and axes.
  for (const v of yAxis.ticks) {
    const major = Number.isInteger(Math.log10(v));
    out.push(
      `<line x1="${m.left}" x2="${m.left + pw}" y1="${n1(y(v))}" y2="${n1(y(v))}" stroke="${major ? '#ccc' : '#eee'}"/>`,
      `<text x="${m.left - 6}" y="${n1(y(v)) + 4}" text-anchor="end" fill="#444">${fmtMs(v)}</text>`,
    );
  }
  for (const v of xAxis.ticks) {
    for (const [top, h] of [[m.top, ph], [tTop, th]]) {
      out.push(
        `<line x1="${n1(x(v))}" x2="${n1(x(v))}" y1="${top}" y2="${top + h}" stroke="#eee"/>`,
        `<text x="${n1(x(v))}" y="${top + h + 18}" text-anchor="middle" fill="#444">${fmtRate(v)}</text>`,
      );
    }
  }
  for (const v of tAxis.ticks) {
    out.push(
      `<line x1="${m.left}" x2="${m.left + pw}" y1="${n1(yT(v))}" y2="${n1(yT(v))}" stroke="#e4e4e4"/>`,
      `<text x="${m.left - 6}" y="${n1(yT(v)) + 4}" text-anchor="end" fill="#444">${fmtRate(v)}</text>`,
    );
  }
  out.push(
    `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`,
    `<rect x="${m.left}" y="${tTop}" width="${pw}" height="${th}" fill="none" stroke="#888"/>`,
    `<text x="${m.left + pw / 2}" y="${H - 14}" text-anchor="middle">offered load (requests/s)</text>`,
    `<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">latency (ms, log scale)</text>`,
    `<text transform="translate(18 ${tTop + th / 2}) rotate(-90)" text-anchor="middle">achieved (requests/s)</text>`,
  );
  const diag = Math.min(xAxis.max, tAxis.max);
  out.push(`<line x1="${n1(x(0))}" y1="${n1(yT(0))}" x2="${n1(x(diag))}" y2="${n1(yT(diag))}" stroke="#999" stroke-width="1.5" stroke-dasharray="6 3"><title>achieved = offered</title></line>`);
  // Series.
  sweeps.forEach((s, si) => {
    const color = COLORS[si % COLORS.length];
    const pts = [...s.points].sort((a, b) => rateOf(a) - rateOf(b));
    for (const q of PERCENTILES) {
      const coords = pts.filter((p) => p.latencyMs.count > 0).map((p) => `${n1(x(rateOf(p)))},${n1(y(p.latencyMs[q.key]))}`);
      if (coords.length === 0) continue;
      const dash = q.dash ? ` stroke-dasharray="${q.dash}"` : '';
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${coords.join(' ')}"/>`);
    }
    if (pts.length) {
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${n1(x(rateOf(p)))},${n1(yT(p.throughput))}`).join(' ')}"/>`);
    }
    for (const p of pts) {
      const px = n1(x(rateOf(p)));
      const l = p.latencyMs;
      const tip =
        `${s.label}: offered ${p.offeredRate}/s, achieved ${Math.round(p.throughput)}/s, ` +
        `p50 ${fmtMs(l.p50)} p90 ${fmtMs(l.p90)} p99 ${fmtMs(l.p99)} p99.9 ${fmtMs(l.p999)} max ${fmtMs(l.max)} ms, errors ${p.errorCount}`;
      const mark = p.errorCount > 0 ? '#000' : color;
      if (l.count > 0) out.push(`<circle cx="${px}" cy="${n1(y(l.p99))}" r="3.5" fill="${mark}"><title>${esc(tip)}</title></circle>`);
      out.push(`<rect x="${px - 3}" y="${n1(yT(p.throughput)) - 3}" width="6" height="6" fill="${mark}"><title>${esc(tip)}</title></rect>`);
    }
  });
  // Legend: colours name the series, dashes name the percentiles.
  const lx = m.left + pw + 16;
  let ly = m.top + 8;
  sweeps.forEach((s, si) => {
    out.push(
      `<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${COLORS[si % COLORS.length]}" stroke-width="3"/>`,
      `<text x="${lx + 30}" y="${ly + 4}">${esc(truncate(s.label, 36))}</text>`,
    );
    ly += 18;
  });
  ly += 10;
  for (const q of PERCENTILES) {
    const dash = q.dash ? ` stroke-dasharray="${q.dash}"` : '';
    out.push(
      `<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="#333" stroke-width="2"${dash}/>`,
      `<text x="${lx + 30}" y="${ly + 4}">${q.name}</text>`,
    );
    ly += 18;
  }
  out.push(
    `<circle cx="${lx + 12}" cy="${ly + 6}" r="3.5" fill="#000"/>`,
    `<text x="${lx + 30}" y="${ly + 10}">point with errors</text>`,
    `<line x1="${lx}" x2="${lx + 24}" y1="${tTop + 8}" y2="${tTop + 8}" stroke="#999" stroke-width="1.5" stroke-dasharray="6 3"/>`,
    `<text x="${lx + 30}" y="${tTop + 12}">achieved = offered</text>`,
    '</svg>',
  );
  return out.join('\n') + '\n';
}

/** An axis from 0 with 3-6 round ticks whose last tick is the first at or above max. */
/** Log-scale ticks at 1, 2 and 5 per decade, from the last at or under min to the first at or over max. */
export function logAxis(min: number, max: number): { ticks: number[] } {
  const all: number[] = [];
  for (let d = Math.floor(Math.log10(min)) - 1; d <= Math.ceil(Math.log10(max)) + 1; d++) for (const k of [1, 2, 5]) all.push(+(k * 10 ** d).toPrecision(3));
  const first = all.findLastIndex((v) => v <= min * (1 + 1e-9));
  const last = all.findIndex((v) => v >= max * (1 - 1e-9));
  const ticks = all.slice(Math.max(0, first), Math.max(first + 2, last + 1));
  return { ticks };
}

export function niceAxis(max: number): { max: number; ticks: number[] } {
  const raw = max / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * p).find((s) => s >= raw)!;
  const n = Math.max(1, Math.ceil(max / step - 1e-9));
  return { max: n * step, ticks: Array.from({ length: n + 1 }, (_, i) => i * step) };
}

function fmtMs(v: number): string {
  return v >= 1 ? `${+v.toPrecision(3)}` : `${+v.toPrecision(2)}`;
}

function fmtRate(v: number): string {
  return v >= 1000 ? `${+(v / 1000).toPrecision(3)}k` : `${+v.toPrecision(3)}`;
}

function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}
