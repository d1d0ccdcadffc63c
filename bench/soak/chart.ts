// The soak's chart: three panels over the minutes (memory, latency, requests and errors), plain SVG.
import { niceAxis } from '../../src/cli/bench/chart.ts';

export interface MinuteRow {
  minute: number;
  rssMb: number;
  heapMb: number;
  ok: number;
  p50: number;
  p99: number;
  errors: Record<string, number>;
  kills: string[];
  badBodies: Record<string, number>;
}

interface Line {
  label: string;
  color: string;
  values: number[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderSoakChart(rows: MinuteRow[], title: string): string {
  const W = 900;
  const m = { left: 70, right: 170, top: 44, bottom: 40 };
  const panelH = 170;
  const gap = 40;
  const panels: { title: string; lines: Line[] }[] = [
    { title: 'memory (MB)', lines: [
      { label: 'RSS', color: '#d62728', values: rows.map((r) => r.rssMb) },
      { label: 'main heap', color: '#1f77b4', values: rows.map((r) => r.heapMb) },
    ] },
    { title: 'latency of good requests (ms)', lines: [
      { label: 'p50', color: '#2ca02c', values: rows.map((r) => r.p50) },
      { label: 'p99', color: '#9467bd', values: rows.map((r) => r.p99) },
    ] },
    { title: 'requests per minute', lines: [
      { label: 'ok', color: '#1f77b4', values: rows.map((r) => r.ok) },
      { label: 'failed', color: '#d62728', values: rows.map((r) => Object.values(r.errors).reduce((a, b) => a + b, 0)) },
    ] },
  ];
  const H = m.top + panels.length * panelH + (panels.length - 1) * gap + m.bottom;
  const pw = W - m.left - m.right;
  const n = Math.max(1, rows.length);
  const x = (i: number) => m.left + (n === 1 ? pw / 2 : (i / (n - 1)) * pw);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${m.left + pw / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>`,
  ];
  panels.forEach((panel, p) => {
    const top = m.top + p * (panelH + gap);
    const max = Math.max(1, ...panel.lines.flatMap((l) => l.values));
    const axis = niceAxis(max);
    const y = (v: number) => top + panelH - (v / axis.max) * panelH;
    out.push(`<text x="${m.left}" y="${top - 8}" font-size="13">${esc(panel.title)}</text>`);
    out.push(`<rect x="${m.left}" y="${top}" width="${pw}" height="${panelH}" fill="none" stroke="#ccc"/>`);
    for (const tick of axis.ticks) {
      out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y(tick)}" y2="${y(tick)}" stroke="#eee"/>`);
      out.push(`<text x="${m.left - 6}" y="${y(tick) + 4}" text-anchor="end">${tick}</text>`);
    }
    rows.forEach((r, i) => {
      if (r.kills.length) out.push(`<line x1="${x(i)}" x2="${x(i)}" y1="${top}" y2="${top + panelH}" stroke="#bbb" stroke-dasharray="3,3"/>`);
    });
    panel.lines.forEach((line, li) => {
      const pts = line.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      out.push(`<polyline points="${pts}" fill="none" stroke="${line.color}" stroke-width="2"/>`);
      for (const [i, v] of line.values.entries()) out.push(`<circle cx="${x(i)}" cy="${y(v)}" r="3" fill="${line.color}"><title>${esc(line.label)} minute ${i + 1}: ${Math.round(v)}</title></circle>`);
      out.push(`<text x="${m.left + pw + 12}" y="${top + 16 + li * 18}" fill="${line.color}">${esc(line.label)}</text>`);
    });
  });
  const bottom = m.top + panels.length * (panelH + gap) - gap;
  rows.forEach((r, i) => out.push(`<text x="${x(i)}" y="${bottom + 18}" text-anchor="middle">${r.minute}</text>`));
  out.push(`<text x="${m.left + pw / 2}" y="${bottom + 34}" text-anchor="middle">minute (dashed: a replica killed; bad bodies every second minute)</text>`);
  out.push('</svg>');
  return out.join('\n');
}
