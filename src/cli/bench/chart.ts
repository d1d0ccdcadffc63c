import type { SweepResult } from './result.ts';

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
 * A self-contained SVG of latency percentiles (log scale) against offered load, one colour per
 * sweep, one dash per percentile; each point carries a tooltip with its numbers.
 */
export function renderLatencyChart(sweeps: SweepResult[], options: ChartOptions = {}): string {
  const W = options.width ?? 960;
  const H = options.height ?? 560;
  const m = { left: 70, right: 220, top: 48, bottom: 56 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const points = sweeps.flatMap((s) => s.points);
  const maxX = niceCeil(Math.max(1, ...points.map((p) => p.offeredRate ?? p.throughput)));
  const lat = points.flatMap((p) => PERCENTILES.map((q) => p.latencyMs[q.key])).filter((v) => v > 0);
  const lo = Math.floor(Math.log10(lat.length ? Math.min(...lat) : 0.1));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(lat.length ? Math.max(...lat) : 1)));
  const x = (v: number) => m.left + (v / maxX) * pw;
  const y = (v: number) => m.top + ph - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * ph;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="16">${esc(options.title ?? 'Latency against offered load')}</text>`,
  );
  // Grid and axes.
  for (let d = lo; d <= hi; d++) {
    for (const k of d < hi ? [1, 2, 5] : [1]) {
      const v = k * 10 ** d;
      const major = k === 1;
      out.push(
        `<line x1="${m.left}" x2="${m.left + pw}" y1="${n1(y(v))}" y2="${n1(y(v))}" stroke="${major ? '#ccc' : '#eee'}"/>`,
        `<text x="${m.left - 6}" y="${n1(y(v)) + 4}" text-anchor="end" fill="#444">${fmtMs(v)}</text>`,
      );
    }
  }
  for (let i = 0; i <= 5; i++) {
    const v = (maxX * i) / 5;
    out.push(
      `<line x1="${n1(x(v))}" x2="${n1(x(v))}" y1="${m.top}" y2="${m.top + ph}" stroke="#eee"/>`,
      `<text x="${n1(x(v))}" y="${m.top + ph + 18}" text-anchor="middle" fill="#444">${fmtRate(v)}</text>`,
    );
  }
  out.push(
    `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`,
    `<text x="${m.left + pw / 2}" y="${H - 14}" text-anchor="middle">offered load (requests/s)</text>`,
    `<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">latency (ms, log scale)</text>`,
  );
  // Series.
  sweeps.forEach((s, si) => {
    const color = COLORS[si % COLORS.length];
    const pts = [...s.points].sort((a, b) => (a.offeredRate ?? 0) - (b.offeredRate ?? 0));
    for (const q of PERCENTILES) {
      const coords = pts
        .filter((p) => p.latencyMs.count > 0)
        .map((p) => `${n1(x(p.offeredRate ?? p.throughput))},${n1(y(p.latencyMs[q.key]))}`);
      if (coords.length === 0) continue;
      const dash = q.dash ? ` stroke-dasharray="${q.dash}"` : '';
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${coords.join(' ')}"/>`);
    }
    for (const p of pts) {
      if (p.latencyMs.count === 0) continue;
      const px = n1(x(p.offeredRate ?? p.throughput));
      const l = p.latencyMs;
      const tip =
        `${s.label}: offered ${p.offeredRate}/s, achieved ${Math.round(p.throughput)}/s, ` +
        `p50 ${fmtMs(l.p50)} p90 ${fmtMs(l.p90)} p99 ${fmtMs(l.p99)} p99.9 ${fmtMs(l.p999)} max ${fmtMs(l.max)} ms, errors ${p.errorCount}`;
      const mark = p.errorCount > 0 ? '#000' : color;
      out.push(`<circle cx="${px}" cy="${n1(y(l.p99))}" r="3.5" fill="${mark}"><title>${esc(tip)}</title></circle>`);
    }
  });
  // Legend: colours name the series, dashes name the percentiles.
  const lx = m.left + pw + 16;
  let ly = m.top + 8;
  sweeps.forEach((s, si) => {
    out.push(
      `<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${COLORS[si % COLORS.length]}" stroke-width="3"/>`,
      `<text x="${lx + 30}" y="${ly + 4}">${esc(truncate(s.label, 26))}</text>`,
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
    `<text x="${lx + 30}" y="${ly + 10}">p99 point with errors</text>`,
    '</svg>',
  );
  return out.join('\n') + '\n';
}

function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const k of [1, 2, 2.5, 5, 10]) if (k * p >= v) return k * p;
  return 10 * p;
}

function fmtMs(v: number): string {
  return v >= 1 ? `${+v.toPrecision(3)}` : `${+v.toPrecision(2)}`;
}

function fmtRate(v: number): string {
  return v >= 1000 ? `${+(v / 1000).toPrecision(3)}k` : `${Math.round(v)}`;
}

function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}
