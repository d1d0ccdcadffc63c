// examples/actors/main.ts runs to completion as a child process and prints what each part of the actor API did.
import t from 'tap';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

t.test('the actor API example runs to completion', async t => {
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  // The timeout only bounds a hang (a single-file program used to hang here); nothing is asserted on time.
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(resolve => {
    execFile(process.execPath, ['--import', 'tsx', 'examples/actors/main.ts'], { cwd: root, timeout: 120_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) }));
  });
  t.equal(code, 0, stderr);
  t.same(stdout.trim().split('\n'), [
    'add: 15',
    'deposit through another actor: 20',
    'balance by name: 20 20',
    'stream: 3 2 1',
    'tasks: 1 4 9',
    'cancelled: true',
    'died: true',
    'after restart: 11 restarts: 1',
  ]);
});
