import t from 'tap';
import { Runtime, ActorDiedError } from '../../src/index.ts';
import { BadConstructor, BadInit, Counter, Gate } from '../fixtures/core/actors.ts';

t.test('a constructor or init() that throws rejects the spawn with that error', async t => {
  const rt = new Runtime();
  t.teardown(() => rt.shutdown());
  const initErr: any = await rt.spawn(BadInit, []).catch(e => e);
  t.equal(initErr.name, 'TypeError');
  t.equal(initErr.message, 'cannot open the model file');
  const ctorErr: any = await rt.spawn(BadConstructor, []).catch(e => e);
  t.equal(ctorErr.message, 'constructor said no');
  t.equal(rt.actors().length, 0, 'failed actors leave nothing behind');
});

const deaths: Array<[string, (c: any) => Promise<unknown>, RegExp, object?]> = [
  ['an uncaught exception', c => c.crash(), /uncaught exception: boom in the actor/],
  ['process.exit() inside the actor', c => c.exit(3), /exited with code 3/],
  ['the heap limit', c => c.hog(), /ran out of memory/, { resourceLimits: { maxOldGenerationSizeMb: 32 } }],
];

for (const [what, kill, reason, options] of deaths) {
  t.test(`${what} rejects calls in flight with ActorDiedError, and later calls fail fast`, async t => {
    const rt = new Runtime();
    t.teardown(() => rt.shutdown());
    const c = await rt.spawn(Counter, [], { name: 'victim', ...options });
    const inFlight = c.addLater(1, 5_000);
    const err: any = await Promise.race([kill(c).then(() => inFlight), inFlight]).catch(e => e);
    t.ok(err instanceof ActorDiedError, `got ${err?.name}: ${err?.message}`);
    t.match(err.message, /Counter victim/);
    t.match(err.message, reason);
    const late: any = await c.add(1).catch(e => e);
    t.ok(late instanceof ActorDiedError, 'a call after death fails fast');
    t.equal(late.details.delivered, false);
  });
}

t.test('kill() ends an actor stuck in an infinite loop', async t => {
  const rt = new Runtime();
  t.teardown(() => rt.shutdown());
  const c = await rt.spawn(Counter, [], { name: 'spinner' });
  const stuck = c.spin();
  await new Promise(r => setTimeout(r, 50));
  await rt.kill(c);
  const err: any = await stuck.catch(e => e);
  t.ok(err instanceof ActorDiedError);
  t.match(err.message, /killed by kill\(\)/);
  await t.rejects(c.add(1), ActorDiedError);
  t.equal(rt.actors().length, 0);
});

t.test('maxRestarts brings a fresh instance; calls after the death reach it', async t => {
  const rt = new Runtime();
  t.teardown(() => rt.shutdown());
  const c = await rt.spawn(Counter, [100], { maxRestarts: 2 });
  t.equal(await c.add(1), 101);
  await t.rejects(c.exit(1), ActorDiedError);
  t.equal(await c.add(1), 101, 'the restarted actor starts from its constructor arguments again');
  await t.rejects(c.exit(1), ActorDiedError);
  t.equal(await c.add(2), 102);
  t.equal(rt.actors()[0].restarts, 2);
  await t.rejects(c.exit(1), ActorDiedError);
  await t.rejects(c.add(1), ActorDiedError, 'no restarts left: calls fail fast');
});

t.test('a handle held by another actor reaches the restarted actor', async t => {
  const rt = new Runtime();
  t.teardown(() => rt.shutdown());
  const { Forwarder } = await import('../fixtures/core/actors.ts');
  const c = await rt.spawn(Counter, [0], { maxRestarts: 1 });
  const f = await rt.spawn(Forwarder, [c]);
  t.equal(await f.add(5), 5);
  await t.rejects(c.exit(1), ActorDiedError);
  let value: number | undefined;
  for (let i = 0; i < 50 && value === undefined; i++) {
    value = await f.add(1).catch(() => undefined);
    if (value === undefined) await new Promise(r => setTimeout(r, 20));
  }
  t.equal(value, 1);
});

t.test('stop() lets calls in flight finish and refuses new ones', async t => {
  const rt = new Runtime();
  t.teardown(() => rt.shutdown());
  const g = await rt.spawn(Gate, []);
  const running = [g.enter(100), g.enter(100)];
  await new Promise(r => setTimeout(r, 20));
  const stopping = rt.stop(g, { timeoutMs: 5_000 });
  t.same(await Promise.all(running), [2, 2], 'calls in flight completed');
  await stopping;
  await t.rejects(g.peakSeen(), ActorDiedError);
  t.equal(rt.actors().length, 0);
});

t.test('stop() kills an actor whose calls outlive the timeout', async t => {
  const rt = new Runtime();
  t.teardown(() => rt.shutdown());
  const c = await rt.spawn(Counter, []);
  const slow = c.addLater(1, 10_000);
  await new Promise(r => setTimeout(r, 20));
  await rt.stop(c, { timeoutMs: 100 });
  const err: any = await slow.catch(e => e);
  t.ok(err instanceof ActorDiedError);
  t.match(err.message, /stop\(\) timed out after 100 ms/);
});

t.test('shutdown() leaves no worker thread, port or timer behind', async t => {
  const before = process.getActiveResourcesInfo().filter(r => r !== 'TTYWrap');
  const rt = new Runtime();
  const c = await rt.spawn(Counter, []);
  const g = await rt.spawn(Gate, []);
  await Promise.all([c.add(1), g.enter(1)]);
  const pending = c.addLater(1, 10_000).catch(e => e);
  await rt.shutdown();
  t.ok((await pending) instanceof ActorDiedError, 'calls in flight are settled');
  await new Promise(r => setImmediate(r));
  const after = process.getActiveResourcesInfo().filter(r => r !== 'TTYWrap');
  const count = (list: string[], kind: string) => list.filter(k => k === kind).length;
  for (const kind of new Set([...after, 'Worker', 'MessagePort', 'Timeout'])) {
    t.ok(count(after, kind) <= count(before, kind), `no ${kind} left behind (before: ${count(before, kind)}, after: ${count(after, kind)})`);
  }
  await t.rejects(rt.spawn(Counter, []), /shut down/);
});
