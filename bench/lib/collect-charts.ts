// Redraws bench/results/<scenario>.svg (and .png) from each scenario's last run, bench/out/<scenario>/results.json,
// with the current chart code: every sweep recorded there (an object with a label and open-loop points) goes on
// one chart. Scenarios that draw their own charts into bench/results/ on a full run (autoscale) are left alone.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderLatencyChart } from '../../src/cli/bench/index.ts';
import type { SweepResult } from '../../src/cli/bench/index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = join(root, 'bench', 'out');
const results = join(root, 'bench', 'results');

function isSweep(v: unknown): v is SweepResult {
  const s = v as SweepResult;
  return !!s && typeof s === 'object' && typeof s.label === 'string' && Array.isArray(s.points) && s.points.length > 0 &&
    s.points.every((p) => p && typeof p.throughput === 'number' && p.latencyMs && typeof p.latencyMs.p99 === 'number');
}

function findSweeps(v: unknown, found: SweepResult[] = []): SweepResult[] {
  if (isSweep(v)) found.push(v);
  else if (Array.isArray(v)) for (const x of v) findSweeps(x, found);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) findSweeps(x, found);
  return found;
}

const only = process.argv.slice(2);
let wrote = 0;
for (const scenario of existsSync(out) ? readdirSync(out).sort() : []) {
  const file = join(out, scenario, 'results.json');
  if (!existsSync(file) || (only.length && !only.includes(scenario))) continue;
  const run = JSON.parse(readFileSync(file, 'utf8')) as { startedAt?: string; command?: string };
  const sweeps = findSweeps(run);
  if (sweeps.length === 0) continue;
  const title = `${scenario}: latency and throughput against offered load (${run.startedAt?.slice(0, 16).replace('T', ' ') ?? 'undated'} UTC)`;
  const svg = renderLatencyChart(sweeps, { title });
  writeFileSync(join(results, `${scenario}.svg`), svg);
  let png = '';
  try {
    const { default: sharp } = await import('sharp');
    await sharp(Buffer.from(svg), { density: 96 }).png().toFile(join(results, `${scenario}.png`));
    png = ` and ${scenario}.png`;
  } catch (err) {
    console.log(`${scenario}.png skipped: sharp could not render the SVG (${(err as Error).message})`);
  }
  console.log(`bench/results/${scenario}.svg${png}: ${sweeps.length} sweeps from ${run.command ?? file}`);
  wrote++;
}
if (wrote === 0) console.log('no sweeps in bench/out/*/results.json: run a scenario first (npm run bench -- <scenario>)');
