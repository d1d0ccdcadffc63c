import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

t.test('the types catch the first-use traps (tsc --noEmit over test/types/traps.ts)', async t => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
  const file = 'test/types/traps.ts';
  const args = [
    tsc, '--noEmit', '--strict', '--target', 'ES2022', '--module', 'NodeNext', '--moduleResolution', 'NodeNext',
    '--allowImportingTsExtensions', '--skipLibCheck', '--types', 'node', '--lib', 'ES2023', file,
  ];
  const result = await promisify(execFile)(process.execPath, args, { cwd: root }).then(
    () => ({ code: 0, out: '' }),
    (err: any) => ({ code: err.code, out: String(err.stdout) }),
  );
  t.equal(result.code, 0, `tsc found errors (an unused @ts-expect-error means a mistake the types no longer catch):\n${result.out}`);
});
