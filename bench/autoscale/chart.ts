// A self-contained SVG of a step-load run over time, drawn the way src/cli/bench/chart.ts draws its latency
// chart (plain SVG text, no dependency, a tooltip on each series): panels sharing the time axis — replicas
// RUNNING, p99 over the last second (log scale), replies per second against the offered rate, and for an
// autoscaled deployment the average ongoing requests its autoscaler decides on — with the high-load phase
// shaded and markers (a redeploy) as vertical lines.
import type { SeriesPoint } from './analyze.ts';
import type { PlacedPhase } from './step-load.ts';
import { niceAxis } from '../../src/cli/bench/chart.ts';

export interface ChartSeries {
  label: string;
  points: SeriesPoint[];
  /** Also draw targetReplicas (dashed): an autoscaled deployment's decision next to what runs. */
  showTarget?: boolean;
}

export interface TimelineChartOptions {
  title: string;
  phases: PlacedPhase[];
  markers?: Array<{ t: number; label: string }>;
  width?: number;
}

const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const n1 = (v: number) => Math.round(v * 10) / 10;

export function renderTimelineChart(series: ChartSeries[], o: TimelineChartOptions): string {
  const W = o.width ?? 1000;
  const m = { left: 72, right: 200, top: 48, bottom: 44 };
  const withOngoing = series.some((s) => s.points.some((p) => p.ongoing !== null));
  const panelH = withOngoing ? [150, 220, 170, 110] : [150, 220, 170];
  const gap = 34;
  const H = m.top + panelH.reduce((a, b) => a + b, 0) + gap * (panelH.length - 1) + m.bottom;
  const pw = W - m.left - m.right;
  const all = series.flatMap((s) => s.points);
  const endT = Math.max(1, ...all.map((p) => p.t), o.phases.at(-1)?.endMs ?? 0);
  const x = (t: number) => m.left + (t / endT) * pw;
  const tops: number[] = [];
  let y0 = m.top;
  for (const h of panelH) {
    tops.push(y0);
    y0 += h + gap;
  }
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${m.left + pw / 2}" y="24" text-anchor="middle" font-size="16">${esc(o.title)}</text>`,
  ];

  // Phases: the higher-rate ones shaded, a label on top of each.
  const minRate = Math.min(...o.phases.map((p) => p.rate));
  for (const p of o.phases) {
    const x1 = n1(x(p.startMs));
    const x2 = n1(x(p.endMs));
    if (p.rate > minRate) {
      for (let i = 0; i < panelH.length; i++) out.push(`<rect x="${x1}" y="${tops[i]}" width="${n1(x2 - x1)}" height="${panelH[i]}" fill="#fdf1e6"/>`);
    }
    out.push(`<text x="${n1((x1 + x2) / 2)}" y="${m.top - 6}" text-anchor="middle" fill="#666">${esc(`${p.name} ${p.rate}/s`)}</text>`);
  }

  // Panel 1: replicas.
  const maxRep = Math.max(2, ...all.map((p) => Math.max(p.running, p.target))) + 1;
  const yRep = (v: number) => tops[0] + panelH[0] - (v / maxRep) * panelH[0];
  axisY(out, m.left, pw, range(0, maxRep), yRep, String);
  label(out, tops[0], panelH[0], 'replicas RUNNING');
  // Panel 2: p99, log scale.
  const lat = all.flatMap((p) => (p.p99 === null ? [] : [p.p99])).filter((v) => v > 0);
  const lo = Math.floor(Math.log10(lat.length ? Math.min(...lat) : 1));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(lat.length ? Math.max(...lat) : 10)));
  const yLat = (v: number) => tops[1] + panelH[1] - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * panelH[1];
  const latTicks: number[] = [];
  for (let d = lo; d <= hi; d++) for (const k of d < hi ? [1, 2, 5] : [1]) latTicks.push(k * 10 ** d);
  axisY(out, m.left, pw, latTicks, yLat, fmtMs);
  label(out, tops[1], panelH[1], 'p99 of the last 1 s (ms, log)');
  // Panel 3: throughput.
  const rateAxis = niceAxis(Math.max(1, ...all.map((p) => Math.max(p.okPerS, p.offered))));
  const yRate = (v: number) => tops[2] + panelH[2] - (v / rateAxis.max) * panelH[2];
  axisY(out, m.left, pw, rateAxis.ticks, yRate, (v) => String(Math.round(v)));
  label(out, tops[2], panelH[2], 'replies/s (last 1 s)');

  // Panel 4 (autoscaled series only): the autoscaler's input, and the line under which it wants one replica fewer.
  const ongoingAxis = niceAxis(Math.max(1, ...all.map((p) => p.ongoing ?? 0)));
  const yOng = (v: number) => tops[3] + panelH[3] - (v / ongoingAxis.max) * panelH[3];
  if (withOngoing) {
    axisY(out, m.left, pw, ongoingAxis.ticks, yOng, (v) => String(+v.toPrecision(3)));
    label(out, tops[3], panelH[3], 'ongoing (autoscaler)');
  }

  // Time axis under every panel.
  const step = niceStep(endT / 1000 / 10);
  for (let s = 0; s * 1000 <= endT; s += step) {
    const px = n1(x(s * 1000));
    for (let i = 0; i < panelH.length; i++) {
      out.push(`<line x1="${px}" x2="${px}" y1="${tops[i]}" y2="${tops[i] + panelH[i]}" stroke="#eee"/>`);
      out.push(`<text x="${px}" y="${tops[i] + panelH[i] + 14}" text-anchor="middle" fill="#444">${s}</text>`);
    }
  }
  out.push(`<text x="${m.left + pw / 2}" y="${H - 10}" text-anchor="middle">seconds since the load started</text>`);
  for (let i = 0; i < panelH.length; i++) out.push(`<rect x="${m.left}" y="${tops[i]}" width="${pw}" height="${panelH[i]}" fill="none" stroke="#888"/>`);

  // Offered rate (the schedule) in panel 3.
  const offered = o.phases.flatMap((p) => [`${n1(x(p.startMs))},${n1(yRate(p.rate))}`, `${n1(x(p.endMs))},${n1(yRate(p.rate))}`]);
  out.push(`<polyline fill="none" stroke="#999" stroke-width="1.5" stroke-dasharray="6 3" points="${offered.join(' ')}"><title>offered rate</title></polyline>`);

  series.forEach((s, si) => {
    const color = COLORS[si % COLORS.length];
    const pts = s.points;
    // Replicas as a step line, nudged per series so equal counts stay visible side by side.
    const nudge = (si - (series.length - 1) / 2) * 2.5;
    out.push(line(stepPoints(pts, (p) => p.running, x, (v) => yRep(v) + nudge), color, '', 2, `${s.label}: replicas RUNNING`));
    if (s.showTarget) out.push(line(stepPoints(pts, (p) => p.target, x, (v) => yRep(v) + nudge), color, '2 3', 1.5, `${s.label}: targetReplicas`));
    out.push(...segments(pts, (p) => p.p99, x, yLat).map((seg) => line(seg, color, '', 1.8, `${s.label}: p99 of the last second`)));
    out.push(line(pts.map((p) => `${n1(x(p.t))},${n1(yRate(p.okPerS))}`), color, '', 1.5, `${s.label}: replies/s`));
    if (withOngoing) out.push(...segments(pts, (p) => p.ongoing, x, yOng).map((seg) => line(seg, color, '', 1.5, `${s.label}: average ongoing requests (serve.status().autoscaling)`)));
    // Failures: a tick along the bottom of the throughput panel (a row per series) at every 100 ms step with
    // failed requests in the second before it.
    const base = tops[2] + panelH[2] - 7 * si;
    for (const p of pts) {
      if (p.failedLastS > 0) out.push(`<line x1="${n1(x(p.t))}" x2="${n1(x(p.t))}" y1="${base}" y2="${base - 6}" stroke="${color}"><title>${esc(`${s.label}: ${p.failedLastS} failed in the second to ${(p.t / 1000).toFixed(1)} s`)}</title></line>`);
    }
  });

  (o.markers ?? []).forEach((mk, i) => {
    const px = n1(x(mk.t));
    out.push(`<line x1="${px}" x2="${px}" y1="${tops[0]}" y2="${tops.at(-1)! + panelH.at(-1)!}" stroke="#000" stroke-dasharray="4 4"/>`);
    out.push(`<text x="${px + 3}" y="${tops[0] + 12 + 13 * i}" fill="#000">${esc(mk.label)}</text>`);
  });

  // Legend.
  const lx = m.left + pw + 16;
  let ly = m.top + 8;
  series.forEach((s, si) => {
    out.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${COLORS[si % COLORS.length]}" stroke-width="3"/>`);
    out.push(`<text x="${lx + 30}" y="${ly + 4}">${esc(s.label)}</text>`);
    ly += 18;
  });
  ly += 8;
  if (series.some((s) => s.showTarget)) {
    out.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="#333" stroke-width="1.5" stroke-dasharray="2 3"/>`);
    out.push(`<text x="${lx + 30}" y="${ly + 4}">targetReplicas</text>`);
    ly += 18;
  }
  out.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="#999" stroke-width="1.5" stroke-dasharray="6 3"/>`);
  out.push(`<text x="${lx + 30}" y="${ly + 4}">offered rate</text>`);
  ly += 18;
  out.push(`<line x1="${lx + 12}" x2="${lx + 12}" y1="${ly + 4}" y2="${ly - 2}" stroke="#333"/>`);
  out.push(`<text x="${lx + 30}" y="${ly + 4}">failed requests</text>`);
  ly += 18;
  if (o.phases.some((p) => p.rate > minRate)) {
    out.push(`<rect x="${lx}" y="${ly - 6}" width="24" height="12" fill="#fdf1e6"/>`);
    out.push(`<text x="${lx + 30}" y="${ly + 4}">high load</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function axisY(out: string[], left: number, pw: number, ticks: number[], y: (v: number) => number, fmt: (v: number) => string): void {
  for (const v of ticks) {
    const py = n1(y(v));
    out.push(`<line x1="${left}" x2="${left + pw}" y1="${py}" y2="${py}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${left - 6}" y="${py + 4}" text-anchor="end" fill="#444">${fmt(v)}</text>`);
  }
}

function label(out: string[], top: number, h: number, text: string): void {
  out.push(`<text transform="translate(16 ${top + h / 2}) rotate(-90)" text-anchor="middle">${esc(text)}</text>`);
}

function line(points: string[], color: string, dash: string, width: number, title: string): string {
  const d = dash ? ` stroke-dasharray="${dash}"` : '';
  return `<polyline fill="none" stroke="${color}" stroke-width="${width}"${d} points="${points.join(' ')}"><title>${esc(title)}</title></polyline>`;
}

/** Horizontal-then-vertical steps through (t, v). */
function stepPoints(pts: SeriesPoint[], v: (p: SeriesPoint) => number, x: (t: number) => number, y: (v: number) => number): string[] {
  const out: string[] = [];
  let prev: number | undefined;
  for (const p of pts) {
    const val = v(p);
    if (prev !== undefined && val !== prev) out.push(`${n1(x(p.t))},${n1(y(prev))}`);
    out.push(`${n1(x(p.t))},${n1(y(val))}`);
    prev = val;
  }
  return out;
}

/** Runs of points with a value (a second without replies leaves a gap). */
function segments(pts: SeriesPoint[], v: (p: SeriesPoint) => number | null, x: (t: number) => number, y: (v: number) => number): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  for (const p of pts) {
    const val = v(p);
    if (val === null) {
      if (cur.length) out.push(cur);
      cur = [];
    } else cur.push(`${n1(x(p.t))},${n1(y(val))}`);
  }
  if (cur.length) out.push(cur);
  return out;
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

function niceStep(v: number): number {
  for (const k of [1, 2, 5, 10, 15, 30, 60, 120, 300]) if (k >= v) return k;
  return 600;
}

function fmtMs(v: number): string {
  return v >= 1 ? `${+v.toPrecision(3)}` : `${+v.toPrecision(2)}`;
}
