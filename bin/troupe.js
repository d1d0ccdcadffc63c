#!/usr/bin/env -S node --min-semi-space-size=8
// troupe's command line. The package runs its compiled JavaScript (dist/) and registers a TypeScript loader only
// for a .ts application; in troupe's own repository (src/ present, no --conditions needed) it runs the sources.
// --min-semi-space-size=8: V8 shrinks an idle process's young generation to 1 MB and, under a load whose
// objects die young, does not grow it back; a server that sat idle 25 s then served ~12% fewer requests with
// 3x the p99 (bench/http-noop/idle-check.sh). It can only be set on Node's command line.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
let entry = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(source)) {
  const { sourceConditions, typeScriptLoader } = await import('../src/core/loader.mjs');
  await typeScriptLoader(source.href);
  sourceConditions();
  entry = source;
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
