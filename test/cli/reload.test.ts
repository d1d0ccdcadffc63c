// `troupe run --reload` as a user runs it (a child process that edits the app under it), and its supervisor loop
// against a fake host for what a real process makes slow to reach (a server that ignores SIGTERM).
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { supervise, type Child, type ChildExit, type ReloadHost } from '../../src/cli/reload.ts';
import { cli, cliResult, root, type Cli } from './cli-process.ts';

const fixture = path.join(root, 'test/fixtures/cli/reload/app.ts');
const LISTENING = /listening (http:\/\/127\.0\.0\.1:\d+)/g;

/** The first group of the n-th match of `pattern` (global) in the output; rejects when the process exits first or after 15 s. */
function nth(run: Cli, pattern: RegExp, n: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const end = () => (clearInterval(poll), clearTimeout(late), run.child.off('exit', early));
    const check = () => {
      const m = [...run.output().matchAll(pattern)][n - 1];
      if (m) (end(), resolve(m[1]!));
    };
    const fail = (why: string) => () => (end(), reject(new Error(`${why} before printing ${pattern} ${n} times:\n${run.output()}`)));
    const early = fail('exited');
    const late = setTimeout(fail('15 s passed'), 15_000);
    const poll = setInterval(check, 25);
    run.child.once('exit', early);
    check();
  });
}

const gone = (pid: number) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
};

t.test('troupe run --reload: a change restarts the server, a broken file waits for the fix, SIGINT stops it all', async t => {
  // A user's project: the app, package.json, troupe installed in node_modules.
  const dir = await mkdtemp(path.join(tmpdir(), 'troupe-reload-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const app = path.join(dir, 'app.ts');
  await copyFile(fixture, app);
  await writeFile(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  await mkdir(path.join(dir, 'node_modules'));
  await symlink(root, path.join(dir, 'node_modules', 'troupe'));
  const edit = async (from: string, to: string) => writeFile(app, (await readFile(app, 'utf8')).replace(from, to));

  const run = cli(['run', `${app}:app`, '--port', '0', '--no-admin', '--reload']);
  const pids: number[] = [];
  t.teardown(async () => {
    // After a failure: SIGTERM stops the supervisor and its server; SIGKILL for whatever is left.
    if (run.child.exitCode === null) run.child.kill('SIGTERM');
    await Promise.race([run.exited, new Promise(r => setTimeout(r, 3000))]);
    run.kill();
    for (const pid of pids) if (!gone(pid)) process.kill(pid, 'SIGKILL');
  });
  const message = async (url: string) => {
    const body = (await (await fetch(`${url}/message`)).json()) as { message: string; pid: number };
    pids.push(body.pid);
    return body;
  };
  const first = await message(await nth(run, LISTENING, 1));
  t.equal(first.message, 'first');
  t.not(first.pid, run.child.pid, 'a child process serves, not the supervisor');
  t.match(run.output(), `troupe: reload: watching ${dir} for changes`);

  // Files it ignores, then the app's: one reload that names app.ts alone.
  await writeFile(path.join(dir, 'node_modules', 'ignored.ts'), '');
  await writeFile(path.join(dir, 'notes.txt'), '');
  await edit(`'first'`, `'second'`);
  const second = await message(await nth(run, LISTENING, 2));
  t.equal(second.message, 'second', 'the changed code serves');
  t.not(second.pid, first.pid, 'from a new process');
  t.equal(await nth(run, /troupe: reload: (.+) changed; restarting the server/g, 1), app, 'the reload line names the file');
  t.match(run.output(), /SIGTERM: finishing requests in flight/, 'the old server stopped gracefully');
  t.ok(gone(first.pid), 'the old server process is gone');

  await edit(`'second'`, `'third' +`);
  await nth(run, /(troupe: reload: the server exited with code 1; waiting for a file to change)/g, 1);
  t.equal(run.child.exitCode, null, 'a file that does not compile leaves the supervisor up');
  await edit(`'third' +`, `'third'`);
  const third = await message(await nth(run, LISTENING, 3));
  t.equal(third.message, 'third', 'the fix serves');
  t.match(run.output(), /troupe: reload: .*app\.ts changed; starting the server/);

  run.child.kill('SIGINT');
  const [code, signal] = await run.exited;
  t.equal(signal, null);
  t.equal(code, 0, 'SIGINT: exit code 0');
  t.ok(gone(third.pid), 'no server process left behind');
  t.equal([...run.output().matchAll(/troupe: reload: .* changed/g)].length, 3, 'one line per reload, one reload per edit');
});

t.test('troupe run --reload: usage errors are exit code 2 before anything starts; --help shows it', async t => {
  const app = 'test/fixtures/cli/reload/app.ts';
  const cases: [string[], number, RegExp][] = [
    [['run', `${app}:`, '--reload'], 2, /troupe run: "[^"]+:" is not an import path/],
    [['run', app, '--reload', '--port', '70000'], 2, /--port must be an integer from 0 to 65535/],
    [['run', app, '--reload=yes'], 2, /troupe run: .*--reload/],
    [['run', '--help'], 0, /--reload +development: serve from a child process and restart it/],
  ];
  const results = await Promise.all(cases.map(([args]) => cliResult(args)));
  cases.forEach(([args, code, message], i) => {
    t.equal(results[i]!.code, code, `troupe ${args.join(' ')}: exit code ${code}`);
    t.match(results[i]!.output, message);
    t.notMatch(results[i]!.output, /watching/, 'nothing started');
  });
});

/** A host whose children exit when told, or never on SIGTERM (`stubborn`). */
function fakeHost(options: { stubborn?: boolean } = {}) {
  const log: string[] = [];
  const children: (Child & { signals: string[]; exit(e: ChildExit): void })[] = [];
  const state = { onFile: (_file: string) => {}, signal: undefined as ((s: NodeJS.Signals) => void) | undefined, watching: 0 };
  const host: ReloadHost = {
    start() {
      let exit!: (e: ChildExit) => void;
      const exited = new Promise<ChildExit>(r => (exit = r));
      const signals: string[] = [];
      const child = {
        exited,
        urls: [],
        signals,
        exit,
        kill(s: NodeJS.Signals) {
          signals.push(s);
          if (s === 'SIGKILL') exit({ code: null, signal: 'SIGKILL' });
          else if (!options.stubborn) exit({ code: 0, signal: null });
        },
      };
      children.push(child);
      return child;
    },
    dirs: async () => ['/app'],
    watch(_dir, onFile) {
      state.onFile = onFile;
      state.watching++;
      return { close: () => void state.watching-- };
    },
    portsFree: async () => true,
    onSignal(handler) {
      state.signal = handler;
      return () => (state.signal = undefined);
    },
    log: line => void log.push(line),
  };
  return { host, log, children, state };
}

const timing = { debounceMs: 20, killAfterMs: 100, portFreeMs: 0 };
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

t.test('supervise: changes close together are one reload; SIGKILL when SIGTERM is not enough; a signal ends it', async t => {
  const { host, log, children, state } = fakeHost({ stubborn: true });
  const done = supervise(host, timing);
  await sleep(5);
  t.equal(children.length, 1);
  state.onFile('/app/a.ts');
  state.onFile('/app/b.ts');
  await sleep(timing.debounceMs + timing.killAfterMs + 30);
  t.equal(children.length, 2, 'one restart');
  t.same(children[0]!.signals, ['SIGTERM', 'SIGKILL'], 'killed after killAfterMs');
  t.match(log.join('\n'), /\/app\/a\.ts and 1 more changed; restarting the server\n.*did not stop within 0\.1 s after SIGTERM; killing it/);

  state.signal!('SIGINT');
  await sleep(5);
  state.signal!('SIGINT');
  t.equal(await done, 0);
  t.same(children[1]!.signals, ['SIGTERM', 'SIGKILL'], 'a second signal kills at once');
  t.equal(state.watching, 0, 'watchers closed');
  t.equal(state.signal, undefined, 'signal handlers removed');
});

t.test('supervise: a server that fails waits for a change; one that stops with exit code 0 ends it', async t => {
  const { host, log, children, state } = fakeHost();
  const done = supervise(host, timing);
  await sleep(5);
  children[0]!.exit({ code: 1, signal: null });
  await sleep(timing.debounceMs * 2);
  t.equal(children.length, 1, 'no restart without a change');
  t.match(log.at(-1), /the server exited with code 1; waiting for a file to change/);
  state.onFile('/app/a.ts');
  await sleep(timing.debounceMs * 2);
  t.equal(children.length, 2, 'the change starts it again');
  t.same(children[0]!.signals, [], 'nothing sent to the exited one');
  t.match(log.at(-1), /a\.ts changed; starting the server/);
  children[1]!.exit({ code: 0, signal: null }); // troupe shutdown
  t.equal(await done, 0);
  t.match(log.at(-1), /the server stopped \(exit code 0\), so the reloader stops too/);
});
