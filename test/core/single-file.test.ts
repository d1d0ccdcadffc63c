// Single-file programs: a module that defines its actors or deployments and starts troupe at its top level.
// Each worker imports that module to find its class; there the top-level start calls must not run again.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

// A bound on a hung child only (the old code recursed or hung without end), not a timing assertion.
function runScript(file: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise(resolve => {
    execFile(process.execPath, ['--import', 'tsx', file], { cwd: root, env: { ...process.env, ...env }, timeout: 120_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null');

t.test('a single-file actor script (@actor class, new Runtime(), spawn, getActor, a stream, a task) runs to completion', async t => {
  const result = await runScript('test/fixtures/single-file/actor-script.ts');
  t.equal(result.code, 0, result.stderr);
  t.same(lastJson(result.stdout), { total: 5, ticks: [3, 2, 1], doubled: 42, again: 8, actors: 1 });
});

t.test('a single-file script whose class is not decorated fails at once with an error that says how to split it', async t => {
  const result = await runScript('test/fixtures/single-file/undecorated-script.ts');
  t.equal(result.code, 0, result.stderr);
  const out = lastJson(result.stdout);
  t.equal(out.code, 'TROUPE_ERR_MODULE_LOAD');
  t.match(out.message, /called spawn\(\) while a worker imported it/);
  t.match(out.message, /Decorate Plain with @actor\(\)/);
  t.match(out.message, /its own module/);
});

t.test('a module that calls serve.run at its top level starts exactly the replicas it declares', async t => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'troupe-single-file-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = path.join(dir, 'replicas.log');
  const result = await runScript('test/fixtures/single-file/serve-script.ts', { REPLICA_LOG: log });
  t.equal(result.code, 0, result.stderr);
  const out = lastJson(result.stdout);
  t.equal(out.answer, 'hello WORLD');
  t.same(out.replicas.sort(), [1, 2], 'status lists the declared replicas');
  t.same(readFileSync(log, 'utf8').trim().split('\n').sort(), ['Greeter', 'Shout', 'Shout'], 'no replica thread deployed the app again');
});
