// npm run bench -- <scenario> [--duration=SECONDS] [--quick] [--only=a,b] [--no-wrk] [--key=value ...]
// npm run bench -- --list
// Finds bench/<scenario>/scenario.ts, runs it, writes results.json, charts and summary.md under bench/out/<scenario>/.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { renderLatencyChart } from '../src/cli/bench/index.ts';
import { runMeasurements, type ScenarioContext, type ScenarioModule } from './lib/scenario-runner.ts';

const benchDir = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv: string[]): { positional: string[]; flags: Record<string, string | boolean> } {
  const positional: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (const a of argv) {
    const m = /^--(no-)?([\w-]+)(?:=(.*))?$/.exec(a);
    if (!m) positional.push(a);
    else if (m[1]) flags[m[2]] = false;
    else flags[m[2]] = m[3] ?? true;
  }
  return { positional, flags };
}

function scenarios(): string[] {
  return readdirSync(benchDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'lib' && d.name !== 'out' && existsSync(join(benchDir, d.name, 'scenario.ts')))
    .map((d) => d.name)
    .sort();
}

async function main(): Promise<number> {
  const { positional, flags } = parseArgs(process.argv.slice(2));
  if (flags.list || positional.length === 0) {
    for (const name of scenarios()) {
      const mod = (await import(pathToFileURL(join(benchDir, name, 'scenario.ts')).href)) as ScenarioModule;
      console.log(`${name.padEnd(20)} ${mod.description ?? ''}`);
    }
    if (!flags.list) console.log('\nusage: npm run bench -- <scenario> [--duration=SECONDS] [--quick] [--only=a,b] [--no-wrk]');
    return flags.list ? 0 : 2;
  }
  const name = positional[0];
  if (!scenarios().includes(name)) {
    console.error(`no scenario "${name}" (a folder bench/${name}/ with a scenario.ts); --list shows them`);
    return 2;
  }
  const mod = (await import(pathToFileURL(join(benchDir, name, 'scenario.ts')).href)) as ScenarioModule;
  const outDir = resolve(benchDir, 'out', name);
  mkdirSync(outDir, { recursive: true });
  const quick = flags.quick === true;
  const seconds = typeof flags.duration === 'string' ? Number(flags.duration) : quick ? 1 : 5;
  if (!(seconds > 0 && seconds <= 600)) {
    console.error(`--duration must be seconds between 0 and 600, got ${flags.duration}`);
    return 2;
  }
  const results: Record<string, unknown> = {
    scenario: name,
    startedAt: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`,
    node: process.version,
    cpus: (await import('node:os')).cpus().length,
  };
  const save = () => writeFileSync(join(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  const ctx: ScenarioContext = {
    name,
    outDir,
    flags,
    durationMs: seconds * 1000,
    quick,
    log: (line) => console.log(line),
    record: (key, value) => {
      results[key] = value;
      save();
    },
    chart: (file, sweeps, title) => {
      const path = join(outDir, file);
      writeFileSync(path, renderLatencyChart(sweeps, { title }));
      return path;
    },
    measure: (list, plan) => runMeasurements(ctx, list, plan),
  };
  if (mod.run) await mod.run(ctx);
  else if (mod.measurements) await ctx.measure(mod.measurements, mod.plan);
  else {
    console.error(`bench/${name}/scenario.ts exports neither run(ctx) nor measurements`);
    return 2;
  }
  save();
  console.log(`results: ${join(outDir, 'results.json')}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
