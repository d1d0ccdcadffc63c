// `troupe run --graceful-timeout`: on SIGTERM with work in flight, every accepted request completes within the
// deadline, the process exits, and its exit code says whether work was dropped.
import path from 'node:path';
import t, { type Test } from 'tap';
import { cli, listening, root } from './cli-process.ts';

const fixture = path.join(root, 'test/fixtures/cli/graceful/app.ts');
const N = 20;

async function startWithWork(t: Test, graceful: string) {
  const run = cli(['run', `${fixture}:app`, '--port', '0', '--no-admin', '--graceful-timeout', graceful]);
  t.teardown(() => run.kill());
  const url = await listening(run);
  const replies = Array.from({ length: N }, () =>
    fetch(`${url}/slow`).then(async (r) => ({ status: r.status, body: await r.text() }), (e: Error) => ({ status: 0, body: String(e) })));
  // Every request has reached the ingress (accepted) before the signal; most wait in the worker's queue.
  for (;;) {
    const { taken } = (await (await fetch(`${url}/taken`)).json()) as { taken: number };
    if (taken === N) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  run.child.kill('SIGTERM');
  return { run, replies: Promise.all(replies) };
}

t.test('SIGTERM with 20 slow requests in flight (18 of them queued): all complete, exit code 0', async (t) => {
  const { run, replies } = await startWithWork(t, '60');
  const done = await replies;
  t.same(done.map((d) => d.status), Array(N).fill(200), 'every accepted request completed');
  t.same(done.map((d) => JSON.parse(d.body).done).sort((a: number, b: number) => a - b), Array.from({ length: N }, (_, i) => i + 1));
  const [code] = await run.exited;
  t.equal(code, 0, 'exit code 0', { output: run.output() });
  t.match(run.output(), /troupe: stopped\n/);
});

t.test('a deadline too short for the work: the process exits by it, exit code 3 says requests were dropped', async (t) => {
  const { run, replies } = await startWithWork(t, '1');
  const done = await replies;
  const dropped = done.filter((d) => d.status === 503);
  t.ok(dropped.length > 0, `some were cancelled (${dropped.length})`);
  t.ok(dropped.every((d) => /TROUPE_ERR_SHUTTING_DOWN/.test(d.body)), 'with 503 SHUTTING_DOWN');
  t.same(done.filter((d) => d.status !== 200 && d.status !== 503), [], 'the others completed');
  const [code] = await run.exited;
  t.equal(code, 3, 'exit code 3', { output: run.output() });
  // No wall-clock bound: requests cancelled with exit code 3 and the message below show the deadline cut the drain.
  t.match(run.output(), /still in flight at the 1 s deadline were cancelled|stopping passed the 1 s deadline/, 'it says why');
});
