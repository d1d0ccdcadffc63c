// Restart back-off with fake time: a replica that dies is replaced after a delay that doubles with each failure
// in a row (250 ms, capped at 30 s), status shows the crash loop, a replica that stays up ends the streak, and a
// deployment whose replicas never start fails its run after START_ATTEMPTS with nothing left behind.
import t, { type Test } from 'tap';
import { deployment, DeploymentFailedError, restartDelayMs } from '../../../src/serve/index.ts';
import { SLOW_START_MS, START_ATTEMPTS, STABLE_AFTER_MS } from '../../../src/serve/controller/deployment-state.ts';
import { fakeController, watch, type FakeController } from '../../fixtures/serve/fake-controller.ts';

const Crashy = deployment(class Crashy {
  run(): string {
    return 'ran';
  }
}, { numReplicas: 1 });

/** Kills the deployment's newest live replica and checks its replacement starts `expectedMs` later, not a ms sooner. */
async function killAndTime(t: Test, h: FakeController, id: string, expectedMs: number, victim = h.actions.liveOf(id).at(-1)!) {
  const starts = h.actions.startedNames(id).length;
  h.actions.kill(victim, new Error('segfault in the model'));
  await h.flush();
  await h.step(expectedMs - 1);
  t.equal(h.actions.startedNames(id).length, starts, `no restart ${expectedMs - 1} ms after the death`);
  await h.step(1);
  t.equal(h.actions.startedNames(id).length, starts + 1, `restarted ${expectedMs} ms after the death`);
}

t.test('a replica that dies is replaced; deaths in a row are spaced 250 ms, doubling, capped at 30 s', async t => {
  t.same([1, 2, 3, 8, 9].map(n => restartDelayMs(n)), [250, 500, 1_000, 30_000, 30_000], 'the schedule');
  const h = fakeController(t);
  const id = 'loop/Crashy';
  await h.settle(h.controller.run(Crashy.bind(), { name: 'loop' }));
  for (let failures = 1; failures <= 9; failures++) await killAndTime(t, h, id, restartDelayMs(failures));
  await h.flush();
  t.equal(h.actions.liveOf(id).length, 1, 'one replica serves at the end');
  t.equal(h.actions.publishedNames(id).length, 1);
});

t.test('while a replica crash-loops, status says UNHEALTHY with the last error; the streak ends once a replica stays up', async t => {
  const h = fakeController(t);
  const id = 'sick/Crashy';
  await h.settle(h.controller.run(Crashy.bind(), { name: 'sick' }));
  for (let failures = 1; failures <= 2; failures++) await killAndTime(t, h, id, restartDelayMs(failures));

  h.actions.kill(h.actions.liveOf(id)[0], new Error('out of memory'));
  await h.flush();
  const app = h.controller.status().applications.sick;
  const d = app.deployments.Crashy;
  t.equal(d.status, 'UNHEALTHY');
  t.equal(app.status, 'UNHEALTHY', 'the application too');
  t.match(d.message, /3 failures in a row; last: replica sick\/Crashy#2 died: out of memory/);
  t.match(d.replicas[0], { state: 'PENDING', reason: /^restarting in 1 s \(back-off after 3 failures; last: replica sick\/Crashy#2 died: out of memory\)/ });
  t.same(h.actions.publishedNames(id), [], 'nothing serves meanwhile');

  await h.step(restartDelayMs(3));
  t.equal(h.deployment('sick', 'Crashy').status, 'HEALTHY', 'serving again');
  // Up for just under STABLE_AFTER_MS: the streak goes on.
  await h.runFor(STABLE_AFTER_MS - 100);
  await killAndTime(t, h, id, restartDelayMs(4));
  // Up for STABLE_AFTER_MS: the next death starts the back-off over.
  await h.runFor(STABLE_AFTER_MS);
  t.equal(h.deployment('sick', 'Crashy').message, '', 'the streak is over');
  await killAndTime(t, h, id, restartDelayMs(1));
});

t.test('a replica that crash-loops next to one that stays up still backs off', async t => {
  const h = fakeController(t);
  const id = 'pair/Crashy';
  await h.settle(h.controller.run(Crashy.bind().options({ numReplicas: 2 }), { name: 'pair' }));
  const [steady] = h.actions.liveOf(id);
  await h.runFor(STABLE_AFTER_MS + 1_000); // the first replica has been up a while
  for (let failures = 1; failures <= 4; failures++) {
    const flaky = h.actions.liveOf(id).find(n => n !== steady)!;
    await killAndTime(t, h, id, restartDelayMs(failures), flaky);
  }
  t.ok(h.actions.live.has(steady), 'the steady replica was never touched');
});

t.test(`replicas that never start fail run() with DeploymentFailedError after ${START_ATTEMPTS} attempts, spaced by the back-off`, async t => {
  const h = fakeController(t);
  const id = 'broken/Crashy';
  h.actions.decide('start', new Error('constructor threw: missing model file'));
  const run = watch(h.controller.run(Crashy.bind(), { name: 'broken' }));
  const startedAt = h.now();
  await h.until('the run to fail', () => run.done, 10);
  t.ok(run.error instanceof DeploymentFailedError, `got ${run.error}`);
  t.match(run.error.message, /deployment broken\/Crashy failed to start a replica after 3 attempts: .*constructor threw: missing model file/);
  t.equal(h.actions.startedNames(id).length, START_ATTEMPTS);
  t.equal(h.now() - startedAt, restartDelayMs(1) + restartDelayMs(2), 'attempts at 0, 250 and 750 ms');
  t.same(h.actions.liveOf(id), [], 'no replica left');
  t.notOk(h.controller.status().applications.broken, 'no application left');
  t.same(h.actions.lastSet(id)?.gone, true, 'its routers were told it is gone');
});

t.test('when the run fails, a replica whose start was still in flight is stopped once it starts, and the run settles', async t => {
  const h = fakeController(t);
  const id = 'half/Crashy';
  // The first replica's start hangs; every other start throws.
  h.actions.decide('start', name => (name === `${id}#0` ? 'hold' : new Error('bad weights')));
  const run = watch(h.controller.run(Crashy.bind().options({ numReplicas: 2 }), { name: 'half' }));
  await h.until('the failure noticed', () => h.deployment('half', 'Crashy').status === 'DELETING' || run.done, 10);
  t.notOk(run.done, 'the run waits for the replica still starting');
  const [held] = h.actions.held('start');
  t.equal(held?.name, `${id}#0`);
  held.resolve();
  await h.flush(); // no tick by hand: finishing the stop must wake the loop itself
  t.ok(run.done, 'the run settled without another tick');
  t.ok(run.error instanceof DeploymentFailedError);
  t.same(h.actions.callsOf('stop').map(c => [c.name, c.arg]), [[`${id}#0`, 0]], 'the late replica was stopped at once');
  t.same(h.actions.liveOf(id), []);
});

t.test('a replica that never becomes ready is named in status() with what has not finished; the rest keeps serving', async t => {
  const h = fakeController(t);
  await h.settle(h.controller.run(Crashy.bind().options({ numReplicas: 1 }), { name: 'serving' }));
  h.actions.decide('start', 'hold');
  const stuck = watch(h.controller.run(Crashy.bind().options({ numReplicas: 1 }), { name: 'stuck' }));
  await h.runFor(SLOW_START_MS - 1_000);
  t.notMatch(h.deployment('stuck', 'Crashy').message, /has been starting/, 'not named before SLOW_START_MS');
  await h.runFor(2_000);
  const d = h.deployment('stuck', 'Crashy');
  t.equal(d.replicas[0].state, 'STARTING');
  t.match(d.replicas[0].reason, /starting for \d+ s: its constructor or init\(\) has not finished/);
  t.match(d.message, /replica stuck\/Crashy#0 has been starting for \d+ s/);
  t.equal(stuck.done, false, 'its deploy still waits');
  t.equal(h.deployment('serving', 'Crashy').status, 'HEALTHY', 'the other application is untouched');
  h.actions.held('start')[0].resolve();
  await h.settle(stuck.promise);
  t.equal(h.deployment('stuck', 'Crashy').message, '', 'nothing named once it is ready');
});
