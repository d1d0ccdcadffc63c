// `npm run bench -- object-store`: round-trip.ts under the bench harness (its own process, so that the runtimes
// it starts and stops leave the harness alone). Prints its table and records it in bench/out/object-store/.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScenarioContext } from '../lib/scenario-runner.ts';

const here = dirname(fileURLToPath(import.meta.url));

export const description = '16 MiB and 64 KiB Float32Array round trips: copied, transferred, through the object store, by explicit ref';

export async function run(ctx: ScenarioContext): Promise<void> {
  const table = execFileSync(process.execPath, ['--import', 'tsx', join(here, 'round-trip.ts'), ...(ctx.quick ? ['--quick'] : [])], {
    cwd: join(here, '..', '..'),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  ctx.log(table.trimEnd());
  ctx.record('table', table);
}
