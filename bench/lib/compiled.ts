// What users run in production: troupe's compiled package (dist/) and their application compiled by tsc, plain
// node with no TypeScript loader in any thread. Benches that time replica starts measure that, not the sources
// through tsx (a replica then starts ~3x slower: bench/results/replica-start.md).
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bench = join(root, 'bench');

/** Builds dist/ from this checkout's sources (`npm run build`); type errors are reported, dist/ still measured. */
export function buildPackage(log: (line: string) => void): void {
  try {
    execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (err) {
    if (!existsSync(join(root, 'dist', 'index.js'))) throw err;
    log('npm run build reported type errors; dist/ was written and is measured');
  }
}

/**
 * Compiles a bench's TypeScript entry (and the relative modules it imports) the way a user's `tsc` would, into
 * `outDir`, and returns the compiled entry's path. `troupe` resolves to dist/ there, as in an installed project.
 */
export function compileBenchEntry(entry: string, outDir: string): string {
  rmSync(outDir, { recursive: true, force: true });
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  // Files on the command line: tsconfig.json is not read, so no troupe-source condition and no type check.
  const flags = ['--outDir', outDir, '--rootDir', bench, '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022'];
  flags.push('--rewriteRelativeImportExtensions', '--allowImportingTsExtensions', '--noCheck', '--skipLibCheck', '--types', 'node');
  execFileSync(process.execPath, [tsc, ...flags, entry], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  return join(outDir, relative(bench, dirname(entry)), basename(entry).replace(/\.ts$/, '.js'));
}
