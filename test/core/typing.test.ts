import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

t.test('handle calls are typed from the class (tsc --noEmit over a typed example)', async t => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
  const file = 'test/fixtures/core/typed-usage.ts';
  const args = [tsc, '--noEmit', '--strict', '--target', 'ES2022', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--allowImportingTsExtensions', '--skipLibCheck', '--types', 'node', file];
  const result = await promisify(execFile)(process.execPath, args, { cwd: root }).then(
    () => ({ code: 0, out: '' }),
    (err: any) => ({ code: err.code, out: String(err.stdout) }),
  );
  t.equal(result.code, 0, `tsc found errors (an unused @ts-expect-error means a call that should not type-check did):\n${result.out}`);
});
