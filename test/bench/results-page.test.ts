// bench/RESULTS.md is the one page a reader opens: its table must name every scenario under bench/ and every
// chart or page it links must be committed.
import t from 'tap';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bench = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench');
/** Folders under bench/ that hold no scenario. */
const NOT_SCENARIOS = new Set(['lib', 'out', 'results', 'node_modules']);

function tableRows(page: string): string[] {
  return page.split('\n').filter((l) => l.startsWith('|') && !/^\|[-| ]+\|$/.test(l)).slice(1);
}

function links(row: string): string[] {
  return [...row.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/.test(l));
}

const page = readFileSync(join(bench, 'RESULTS.md'), 'utf8');
const rows = tableRows(page);

t.test('the results table has rows', async (t) => {
  t.ok(rows.length > 0, 'bench/RESULTS.md starts with a table, one row per goal');
});

t.test('every scenario folder under bench/ has a row that links its page', async (t) => {
  // A folder with files in it (git keeps no empty one).
  const scenarios = readdirSync(bench).filter((n) => !NOT_SCENARIOS.has(n) && statSync(join(bench, n)).isDirectory() && readdirSync(join(bench, n)).length > 0);
  const linked = new Set(rows.flatMap(links));
  for (const s of scenarios) {
    if (linked.has(`results/${s}.md`)) t.pass(`bench/${s}/ has a row`);
    else t.fail(`bench/${s}/ has no row in bench/RESULTS.md: add one that links results/${s}.md (see the line under the table)`);
  }
});

t.test('every chart and page the table links is committed', async (t) => {
  for (const row of rows) {
    for (const l of links(row)) {
      if (existsSync(join(bench, l))) t.pass(`${l} is there`);
      else t.fail(`bench/RESULTS.md links ${l}, which is not there: commit bench/${l} or fix the link (row: ${row.slice(0, 80)}…)`);
    }
  }
});

t.test('every scenario page links only charts that are there', async (t) => {
  const results = join(bench, 'results');
  for (const f of readdirSync(results).filter((n) => n.endsWith('.md'))) {
    for (const l of links(readFileSync(join(results, f), 'utf8'))) {
      if (!/\.(png|svg|md)$/.test(l)) continue;
      if (existsSync(join(results, l))) t.pass(`${f} → ${l} is there`);
      else t.fail(`bench/results/${f} links ${l}, which is not there: commit it or fix the link`);
    }
  }
});
