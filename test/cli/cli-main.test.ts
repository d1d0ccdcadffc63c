// The command line's parsing, help and failures, through main() in this process (cli.test.ts drives the same
// through bin/troupe.js in a child process, as a person would; here each case costs no process start).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { main } from '../../src/cli/main.ts';

const apps = 'test/fixtures/config/apps.ts';

/** Runs main(argv) with console output captured. */
async function troupe(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const { log, error } = console;
  let out = '';
  let err = '';
  console.log = (...a: unknown[]) => (out += a.join(' ') + '\n');
  console.error = (...a: unknown[]) => (err += a.join(' ') + '\n');
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => ((out += chunk.toString()), true)) as typeof process.stdout.write;
  try {
    return { code: await main(argv), out, err };
  } finally {
    Object.assign(console, { log, error });
    process.stdout.write = write;
  }
}

let dir = '';
t.before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'troupe-cli-main-'));
});
t.teardown(() => rm(dir, { recursive: true, force: true }));

t.test('usage errors: exit code 2, and what was probably meant', async t => {
  const cases: [string[], RegExp][] = [
    [[], /^usage: troupe <command> \[options\]/m],
    [['rnu', 'app.ts'], /^troupe: unknown command "rnu"; did you mean run\?\ntroupe --help lists the commands\./],
    [['run', `${apps}:app`, '--port'], /^troupe run: --port needs a value \(--port <value> or --port=<value>\)\ntroupe run --help shows its options\./],
    [['run', `${apps}:app`, '--port', '--host', 'x'], /troupe run: --port needs a value/],
    [['run', `${apps}:app`, '--prot', '9000'], /troupe run: unknown option --prot; did you mean --port\?/],
    [['run', `${apps}:app`, '--port', 'eighty'], /--port must be an integer from 0 to 65535, got "eighty"/],
    [['run', `${apps}:app`, '--port', '70000'], /--port must be an integer from 0 to 65535, got "70000"/],
    [['run', `${apps}:app`, '--admin-port', '-1'], /--admin-port needs a value/],
    [['run', `${apps}:app`, 'extra.ts:app'], /troupe run takes one target, got 2: .* extra\.ts:app/],
    [['run', `${apps}:`], /is not an import path: write module:export/],
    [['run', 'config.yaml', '--name', 'x'], /--name and --route-prefix apply to a module:export/],
    [['run', `${apps}:app`, '--route-prefix', 'shop'], /--route-prefix must start with "\/"/],
    [['run', `${apps}:app`, '--no-admin', '--admin-port', '1'], /--no-admin turns the admin API off/],
    [['run', '--verbose=yes', `${apps}:app`], /troupe run: Option '--verbose' does not take an argument/],
    [['status', '--jsn'], /troupe status: unknown option --jsn; did you mean --json\?/],
    [['status', 'default'], /troupe status takes no arguments/],
    [['deploy'], /troupe deploy needs a config file/],
    [['deploy', 'a.yaml', 'b.yaml'], /troupe deploy takes one config file/],
    [['build'], /troupe build needs at least one <module:export>/],
    [['build', '-o'], /troupe build: --output needs a value/],
    [['shutdown', 'now'], /troupe shutdown takes no arguments/],
    [['schema', '--ouput', 'x'], /unknown option --ouput; did you mean --output\?/],
    [['help', 'nothing'], /troupe help: no command "nothing"/],
    [['--port', '1', 'run'], /troupe: unknown option --port: options go after the command/],
  ];
  for (const [args, message] of cases) {
    const r = await troupe(...args);
    t.equal(r.code, 2, `troupe ${args.join(' ')}: exit code 2`);
    t.match(r.err, message, `troupe ${args.join(' ')}: says what to do`);
  }
});

t.test('--help for every command, help <command>, --version, schema', async t => {
  const top = await troupe('--help');
  t.equal(top.code, 0);
  for (const c of ['run', 'build', 'deploy', 'status', 'shutdown', 'schema', 'bench']) {
    t.match(top.out, new RegExp(`^  ${c} +\\S`, 'm'), `troupe --help lists ${c}`);
    for (const argv of [[c, '--help'], [c, '-h'], ['help', c]]) {
      const r = await troupe(...argv);
      t.equal(r.code, 0, `troupe ${argv.join(' ')}`);
      t.match(r.out, new RegExp(`^usage: troupe ${c}`), `troupe ${argv.join(' ')}: its usage`);
    }
  }
  t.match(top.out, /exit codes:\n {2}0 {2}done\n {2}1 {2}failed: .*\n {2}2 {2}usage error: /, 'the exit codes are documented');
  const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
  for (const flag of ['--version', '-v', 'version']) t.same(await troupe(flag), { code: 0, out: `${version}\n`, err: '' });
  const schema = await troupe('schema');
  t.equal(schema.code, 0);
  t.equal(JSON.parse(schema.out).title, 'troupe config');
  const file = path.join(dir, 'schema.json');
  t.equal((await troupe('schema', '-o', file)).code, 0);
  t.same(JSON.parse(await readFile(file, 'utf8')), JSON.parse(schema.out));
});

t.test('bad input that is not the command line: exit code 1, what to fix, nothing served', async t => {
  const badConfig = path.join(dir, 'bad.yaml');
  await writeFile(badConfig, `applications:\n  - importPath: ${path.resolve(apps)}:app\n    deployments:\n      - name: Greeter\n        numReplica: 2\n`);
  const hungry = path.join(dir, 'hungry.yaml');
  await writeFile(hungry, `applications:\n  - importPath: ${path.resolve(apps)}:hungry\n`);
  const closed = await new Promise<number>(resolve => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
  const nobody = `http://127.0.0.1:${closed}`;
  const escaped = badConfig.replace(/[.]/g, '\\.');
  const cases: [string[], RegExp][] = [
    [['run', badConfig, '--port', '0', '--admin-port', '0'], new RegExp(`^troupe: the config cannot be applied:\\n {2}${escaped}:5:9: applications\\[0\\]\\.deployments\\[0\\]\\.numReplica: unknown field; did you mean numReplicas\\?`)],
    [['run', path.join(dir, 'missing.yaml')], /missing\.yaml: cannot read the config: no such file/],
    [['run', 'test/cli/fixtures/no-such-file.ts:app'], /^troupe: cannot import test\/cli\/fixtures\/no-such-file\.ts: no such file/],
    [['run', `${apps}:notAnApp`, '--port', '0'], /^troupe: test\/fixtures\/config\/apps\.ts has no export "notAnApp" that is an application/],
    [['run', `${apps}:Greeter`, '--port', '0'], /is a deployment class, not an application: export Greeter\.bind\(\.\.\.\)/],
    [['run', `${apps}:throwingBuilder`, '--port', '0', '--no-admin'], /^troupe: builder test\/fixtures\/config\/apps\.ts:throwingBuilder threw: the model file is missing/],
    [['run', hungry, '--port', '0', '--no-admin'], /a replica needs actorOptions\.numGpus 64 but only 0 of \d+ GPUs are free/],
    [['run', `${apps}:app`, '--port', '0', '--admin-host', '0.0.0.0'], /the admin API may deploy code, so it binds a host other than loopback \(0\.0\.0\.0\) only with a token/],
    [['status', '--address', nobody], new RegExp(`no troupe server answers at ${nobody} \\(ECONNREFUSED\\): start one with troupe run`)],
    [['status', '--watch', '--address', nobody], /no troupe server answers at/],
    [['deploy', badConfig, '--address', nobody], /bad\.yaml:5:9: .*numReplica: unknown field/],
    [['deploy', hungry, '--address', nobody], /no troupe server answers at/],
    [['shutdown', '--address', nobody], /no troupe server answers at/],
    [['build', `${apps}:notAnApp`], /has no export "notAnApp" that is an application/],
  ];
  const token = process.env.TROUPE_ADMIN_TOKEN;
  delete process.env.TROUPE_ADMIN_TOKEN;
  t.teardown(() => {
    if (token !== undefined) process.env.TROUPE_ADMIN_TOKEN = token;
  });
  for (const [args, message] of cases) {
    const r = await troupe(...args);
    t.equal(r.code, 1, `troupe ${args.join(' ')}: exit code 1`);
    t.match(r.err, message, `troupe ${args.join(' ')}: says what to fix`);
    t.notMatch(r.err, /listening/, `troupe ${args.join(' ')}: never served`);
  }
});

t.test('an admin port given and taken: exit code 1, the HTTP port given back', async t => {
  const busy = createServer();
  await new Promise<void>(resolve => busy.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>(resolve => busy.close(() => resolve())));
  const { port } = busy.address() as { port: number };
  const r = await troupe('run', `${apps}:app`, '--port', '0', '--admin-port', String(port));
  t.equal(r.code, 1);
  t.match(r.err, new RegExp(`troupe: the admin API cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use .* Pick another port \\(--admin-port, admin\\.port\\) or turn it off`));
  t.notMatch(r.err, /listening|replica/, 'no replica started');
  const { serve } = await import('../../src/index.ts');
  t.equal(serve.address, undefined, 'the HTTP proxy was closed again');
});

t.test('troupe build writes to a file or to standard output', async t => {
  const out = await troupe('build', `${apps}:app`);
  t.equal(out.code, 0);
  t.match(out.out, /^# troupe config, written by `troupe build test\/fixtures\/config\/apps\.ts:app`/);
  t.match(out.out, /importPath: \.\/test\/fixtures\/config\/apps\.ts:app/, 'relative to the working directory');
  const file = path.join(dir, 'deploy', 'config.yaml');
  const missingDir = await troupe('build', `${apps}:app`, '-o', file);
  t.equal(missingDir.code, 1, 'a folder that does not exist');
  t.match(missingDir.err, /ENOENT/);
});
