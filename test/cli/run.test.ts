// `troupe run` as a user starts it: a child process, a port, Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = fileURLToPath(new URL('../../bin/troupe.js', import.meta.url));
const fixture = 'test/cli/fixtures/hello-app.ts';

interface Cli {
  child: ChildProcess;
  output: () => string;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

function cli(args: string[]): Cli {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  return { child, output: () => output, exited: once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]> };
}

/** Resolves with the URL of the "listening http://..." line, or rejects when the process exits first. */
function listening(run: Cli): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = /listening (http:\/\/127\.0\.0\.1:\d+)/.exec(run.output());
      if (m) {
        run.child.stderr!.off('data', check);
        run.child.off('exit', early);
        resolve(m[1]);
      }
    };
    const early = () => reject(new Error(`troupe run exited before listening:\n${run.output()}`));
    run.child.stderr!.on('data', check);
    run.child.once('exit', early);
  });
}

const portClosed = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

t.test('troupe run serves the app, shows progress, stops on SIGINT with exit code 0', async (t) => {
  const run = cli(['run', `${fixture}:app`, '--port', '0']);
  t.teardown(() => {
    if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
  });
  const url = await listening(run);
  t.match(run.output(), /troupe: starting replicas|ready after/, 'says what it is doing while replicas start');
  const res = await fetch(`${url}/hello`);
  t.equal(res.status, 200);
  t.same(await res.json(), { message: 'hello troupe' }, 'ingress calls the bound deployment');
  const docs = await fetch(`${url}/docs`);
  t.equal(docs.status, 200, '/docs is served');
  await docs.arrayBuffer();

  run.child.kill('SIGINT');
  const [code, signal] = await run.exited;
  t.equal(signal, null, 'not killed by the signal: it handled it');
  t.equal(code, 0, 'graceful exit code 0');
  t.match(run.output(), /SIGINT: finishing requests in flight/);
  t.match(run.output(), /troupe: stopped/);
  t.ok(await portClosed(Number(new URL(url).port)), 'the port is released');
});

t.test('troupe run with a bad target: exit code 1 and a message that says what to do', async (t) => {
  const cases: [string[], RegExp][] = [
    [['run'], /troupe run needs <module>:<export>/],
    [['run', 'test/cli/fixtures/no-such-file.ts:app'], /cannot import test\/cli\/fixtures\/no-such-file\.ts/],
    [['run', `${fixture}:notAnApp`], /has no export "notAnApp" that is an application \(Cls\.bind\(\.\.\.\)\); it exports: .*app/],
    [['run', `${fixture}:app`, '--port', '70000'], /--port must be an integer from 0 to 65535/],
    [['launch'], /unknown command "launch"/],
  ];
  for (const [args, message] of cases) {
    const run = cli(args);
    const [code] = await run.exited;
    t.equal(code, 1, `${args.join(' ')}: exit code 1`);
    t.match(run.output(), message, `${args.join(' ')}: says why`);
  }
});
