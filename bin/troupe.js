#!/usr/bin/env node
// troupe's command line. User modules are TypeScript, so tsx is registered before the CLI loads them.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
