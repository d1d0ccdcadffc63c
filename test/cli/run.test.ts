// `troupe run` as a user starts it: a child process, a port, Ctrl-C.
import { connect } from 'node:net';
import t from 'tap';
import { cli, listening } from './cli-process.ts';

const fixture = 'test/cli/fixtures/hello-app.ts';

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
  // The admin API on its default port (when another test holds it, troupe runs without it and says so).
  const run = cli(['run', `${fixture}:app`, '--port', '0']);
  t.teardown(() => run.kill());
  const url = await listening(run);
  t.match(run.output(), /troupe: replica default\/Greeter#0 RUNNING after \d+\.\d s/, 'a line per replica as it starts');
  t.match(run.output(), /troupe: admin API (on http:\/\/127\.0\.0\.1:8265|off: 127\.0\.0\.1:8265 is in use)/, 'the admin API, or why not');
  t.match(run.output(), /ready after/);
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

t.test('troupe run with a bad target: a message that says what to do; exit code 2 for the command line, 1 for the application', async (t) => {
  const cases: [string[], number, RegExp][] = [
    [['run'], 2, /troupe run needs <module:export> or a config file/],
    [['run', 'test/cli/fixtures/no-such-file.ts:app'], 1, /cannot import test\/cli\/fixtures\/no-such-file\.ts/],
    [['run', `${fixture}:notAnApp`], 1, /has no export "notAnApp" that is an application \(Cls\.bind\(\.\.\.\)\) or a builder function; it exports: .*app/],
    [['run', `${fixture}:app`, '--port', '70000'], 2, /--port must be an integer from 0 to 65535/],
    [['launch'], 2, /unknown command "launch"/],
  ];
  await Promise.all(cases.map(async ([args, exitCode, message]) => {
    const run = cli(args);
    const [code] = await run.exited;
    t.equal(code, exitCode, `${args.join(' ')}: exit code ${exitCode}`);
    t.match(run.output(), message, `${args.join(' ')}: says why`);
  }));
});
