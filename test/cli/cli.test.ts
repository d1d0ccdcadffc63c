// The CLI driven the way a person uses it, through bin/troupe.js in a child process: build a config, run it, look
// at it, deploy changes to it, stop it; exit codes as a script sees them (cli-main.test.ts covers every bad input).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { adminUrl, cli, cliResult, listening, waitFor } from './cli-process.ts';

const apps = 'test/fixtures/config/apps.ts';

/** Runs `jobs` two at a time (CI has two cores; each is a Node process). */
async function inPairs<T>(jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < jobs.length; i += 2) out.push(...(await Promise.all(jobs.slice(i, i + 2).map(j => j()))));
  return out;
}

let dir = '';
t.before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'troupe-cli-'));
});
t.teardown(() => rm(dir, { recursive: true, force: true }));

t.test('exit codes through bin/troupe.js: 2 for the command line, 1 for what failed, 0 for help', async t => {
  const badConfig = path.join(dir, 'bad.yaml');
  await writeFile(badConfig, 'applications:\n  - importPath: app.ts:app\n    routePrefx: /\n');
  const closed = await new Promise<number>(resolve => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
  const cases: [string[], number, RegExp][] = [
    [[], 2, /^usage: troupe <command> \[options\]/m],
    [['run', `${apps}:app`, '--port'], 2, /troupe run: --port needs a value/],
    [['run', `${apps}:app`, '--prot', '9000'], 2, /troupe run: unknown option --prot; did you mean --port\?/],
    [['run', badConfig, '--port', '0', '--admin-port', '0'], 1, /bad\.yaml:3:5: applications\[0\]\.routePrefx: unknown field; did you mean routePrefix\?/],
    [['status', '--address', `http://127.0.0.1:${closed}`], 1, /no troupe server answers at/],
    [['deploy', '--help'], 0, /^usage: troupe deploy <config\.yaml>/],
  ];
  const results = await inPairs(cases.map(([args]) => () => cliResult(args)));
  cases.forEach(([args, code, message], i) => {
    t.equal(results[i]!.code, code, `troupe ${args.join(' ')}: exit code ${code}`);
    t.match(results[i]!.output, message, `troupe ${args.join(' ')}: says what to do`);
  });
});

t.test('build, run the written file, status, deploy changes, a rejected deploy, shutdown', async t => {
  const file = path.join(dir, 'config.yaml');
  const built = await cliResult(['build', `${apps}:app`, '-o', file]);
  t.equal(built.code, 0, built.output);
  let text = await readFile(file, 'utf8');
  t.match(text, /importPath: .*apps\.ts:app/);
  t.match(text, /- name: Greeter\n\s+numReplicas: 1/);

  const env = { TROUPE_ADMIN_TOKEN: 'cli-test-token' };
  // --verbose before the target must not take it as its value.
  const run = cli(['run', '--verbose', file, '--port', '0', '--admin-port', '0'], { env });
  t.teardown(() => run.kill());
  const admin = await adminUrl(run);
  const url = await listening(run);
  t.match(run.output(), /replica default\/Front#0 RUNNING/, 'a line per replica');
  t.same(await (await fetch(`${url}/hello`)).json(), { message: 'hello troupe' }, 'the written file serves the application');

  const status = async () => (await fetch(`${admin}/api/applications`, { headers: { authorization: `Bearer ${env.TROUPE_ADMIN_TOKEN}` } })).json() as Promise<any>;
  const names = (s: any, d: string) => s.applications.default.deployments[d].replicas.map((r: { name: string }) => r.name);
  const json = await cliResult(['status', '--json', '--address', admin], { env });
  t.equal(json.code, 0, json.output);
  const before = JSON.parse(json.stdout);
  t.same(Object.keys(before.applications.default.deployments), ['Front', 'Greeter']);
  const table = await cliResult(['status', '--address', admin], { env });
  t.equal(table.code, 0);
  t.match(table.stdout, /^default {2}RUNNING {2}route \/ {2}from .*apps\.ts:app$/m);
  t.match(table.stdout, /Front \(ingress\) +HEALTHY +1 RUNNING +1/);
  t.match(table.stdout, /resources in use: CPUs 0\.5 of \d+/);

  const wrongToken = await cliResult(['status', '--address', admin], { env: { TROUPE_ADMIN_TOKEN: 'wrong' } });
  t.equal(wrongToken.code, 1);
  t.match(wrongToken.output, /the admin token is wrong/);

  text = text.replace(/(- name: Greeter\n\s+numReplicas: )1/, '$12');
  await writeFile(file, text);
  const deployed = await cliResult(['deploy', file, '--address', admin], { env });
  t.equal(deployed.code, 0, deployed.output);
  t.match(deployed.output, /troupe: replica default\/Greeter#1 (STARTING|RUNNING)/, 'prints the new replica');
  t.match(deployed.output, /troupe: deployed .*config\.yaml: default \(RUNNING\)/);
  const after = await status();
  t.same(names(after, 'Front'), names(before, 'Front'), 'the other deployment kept its replica');
  t.same(names(after, 'Greeter'), [...names(before, 'Greeter'), 'default/Greeter#1'], 'scaled to 2 without restarting the first');

  await writeFile(path.join(dir, 'typo.yaml'), text.replace('maxQueuedRequests', 'maxQueuedRequest'));
  const rejected = await cliResult(['deploy', path.join(dir, 'typo.yaml'), '--address', admin], { env });
  t.equal(rejected.code, 1);
  t.match(rejected.output, /typo\.yaml:\d+:\d+: applications\[0\]\.deployments\[0\]\.maxQueuedRequest: unknown field; did you mean maxQueuedRequests\?/);
  t.same((await status()).applications, after.applications, 'a rejected deploy changed nothing');

  const stopped = await cliResult(['shutdown', '--address', admin], { env });
  t.equal(stopped.code, 0, stopped.output);
  t.match(stopped.output, /troupe: stopped/);
  const [code, signal] = await run.exited;
  t.equal(signal, null);
  t.equal(code, 0, 'troupe run exits 0 when stopped through the admin API');
  t.match(run.output(), /shutdown requested through the admin API: finishing requests in flight \(up to 10 s, --graceful-timeout\), then stopping\ntroupe: stopped/);
});

t.test('troupe bench finds the bench harness beside the package, not in the working directory', async t => {
  const r = await cliResult(['bench', 'no-such-scenario'], { cwd: dir });
  t.equal(r.code, 2, r.output);
  t.match(r.output, /no scenario "no-such-scenario"/, 'bench/run.ts ran from another directory');
});

t.test('Ctrl-C while replicas start: a clean stop, exit code 0', async t => {
  const file = path.join(dir, 'slow.yaml');
  await writeFile(
    file,
    `applications:\n  - importPath: ${path.resolve(apps)}:sleepy\n    deployments: [{ name: Sleepy, userConfig: { startMs: 600000 } }]\n`,
  );
  const run = cli(['run', file, '--port', '0', '--no-admin']);
  t.teardown(() => run.kill());
  await waitFor(run, /(replica default\/Sleepy#0 STARTING)/);
  // The replica would take 10 minutes to start: waiting for it would run this test past its timeout.
  run.child.kill('SIGINT');
  const [code, signal] = await run.exited;
  t.equal(signal, null, 'it handled the signal');
  t.equal(code, 0);
  t.match(run.output(), /troupe: SIGINT: finishing requests in flight \(up to 10 s, --graceful-timeout\), then stopping \(Ctrl-C again to force\)\ntroupe: stopped\n$/);
  t.notMatch(run.output(), /listening/);
});
