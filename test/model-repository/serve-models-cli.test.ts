// `troupe serve-models <dir>` as a user runs it: a child process that serves the folder's models on the v2
// routes and stops on SIGTERM; a folder it cannot serve is a plain error and exit code 1.
import t from 'tap';
import { join } from 'node:path';
import { cli, cliResult, listening } from '../cli/cli-process.ts';
import { makeRepository } from './repo-fixture.ts';

const repo = makeRepository();
t.teardown(repo.remove);

t.test('serves the folder with the v2 protocol under a route prefix', async (t) => {
  const run = cli(['serve-models', repo.dir, '--port', '0', '--no-admin', '--route-prefix', '/models']);
  t.teardown(run.kill);
  const url = await listening(run);
  t.match(run.output(), /serving add \(versions 2, 1\), angle \(version 1\)/, 'names the models it found');
  const res = await fetch(`${url}/models/v2/models/add/versions/1/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: [{ name: 'a', shape: [1, 2], datatype: 'FP32', data: [1, 2] }, { name: 'b', shape: [1, 2], datatype: 'FP32', data: [10, 20] }] }),
  });
  t.same(((await res.json()) as any).outputs[0].data, [11, 22]);
  t.equal((await fetch(`${url}/models/v2/health/ready`)).status, 200);
  run.child.kill('SIGTERM');
  const [code] = await run.exited;
  t.equal(code, 0, 'stops gracefully');
});

t.test('a folder that is not there: exit 1 and what to do', async (t) => {
  const { code, output } = await cliResult(['serve-models', join(repo.dir, 'nowhere'), '--port', '0', '--no-admin']);
  t.equal(code, 1);
  t.match(output, /is not a folder: create it with one <name>\/<version>\/model\.onnx per model/);
  t.equal((await cliResult(['serve-models'])).code, 2, 'no folder: a usage error');
});
