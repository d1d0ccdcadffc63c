#!/usr/bin/env -S node --min-semi-space-size=8
// troupe's command line. User modules are TypeScript, so tsx is registered before the CLI loads them.
// --min-semi-space-size=8: V8 shrinks an idle process's young generation to 1 MB and, under a load whose
// objects die young, does not grow it back; a server that sat idle 25 s then served ~12% fewer requests with
// 3x the p99 (bench/http-noop/idle-check.sh). It can only be set on Node's command line.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
