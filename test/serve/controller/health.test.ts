// Health checks with fake time: checkHealth every healthCheckPeriodMs, a replica that fails
// healthCheckFailureThreshold checks in a row leaves the published set at once and is replaced, a success resets
// the count, and a class without checkHealth is never checked.
import t from 'tap';
import { deployment } from '../../../src/serve/index.ts';
import { fakeController } from '../../fixtures/serve/fake-controller.ts';

const Checked = deployment(class Checked {
  checkHealth(): void {}
  run(): string {
    return 'ran';
  }
}, { numReplicas: 2, healthCheckPeriodMs: 1_000, healthCheckTimeoutMs: 400, healthCheckFailureThreshold: 3, gracefulShutdownTimeoutMs: 2_000 });

const Unchecked = deployment(class Unchecked {
  run(): string {
    return 'ran';
  }
}, { numReplicas: 1, healthCheckPeriodMs: 100 });

t.test('checkHealth runs every healthCheckPeriodMs on each replica, with healthCheckTimeoutMs', async t => {
  const h = fakeController(t);
  await h.settle(h.controller.run(Checked.bind(), { name: 'ok' }));
  const [a, b] = h.actions.liveOf('ok/Checked');
  await h.runFor(900);
  t.equal(h.actions.callsOf('checkHealth').length, 0, 'none before the first period');
  await h.runFor(100);
  t.same(h.actions.callsOf('checkHealth').map(c => c.name).sort(), [a, b], 'each replica once');
  t.ok(h.actions.callsOf('checkHealth').every(c => c.arg === 400), 'with healthCheckTimeoutMs');
  await h.runFor(4_000);
  t.equal(h.actions.callsOf('checkHealth', a).length, 5, 'one per period over 5 s');
  t.equal(h.actions.callsOf('checkHealth', b).length, 5);
});

t.test('a replica that fails healthCheckFailureThreshold checks in a row leaves the published set at once, is stopped and replaced', async t => {
  const h = fakeController(t);
  const id = 'sick/Checked';
  await h.settle(h.controller.run(Checked.bind(), { name: 'sick' }));
  const [sick, well] = h.actions.liveOf(id);
  h.actions.decide('checkHealth', name => (name === sick ? new Error('model weights corrupted') : 'ok'));

  await h.runFor(2_000);
  t.equal(h.actions.callsOf('checkHealth', sick).length, 2);
  t.same(h.actions.publishedNames(id), [sick, well].sort(), 'two failures: still published');
  t.equal(h.actions.callsOf('stop').length, 0);

  // The third failure: the health check's own callback republishes without it, before any other tick.
  const publishes = h.actions.published.length;
  await h.step(1_000);
  t.equal(h.actions.callsOf('checkHealth', sick).length, 3);
  const after = h.actions.published.slice(publishes).map(p => p.set.replicas.map(a => a.name));
  t.same(after[0], [well], 'the next publish leaves it out');
  t.same(h.actions.callsOf('stop').map(c => [c.name, c.arg]), [[sick, 2_000]], 'stopped gracefully');
  const d = h.deployment('sick', 'Checked');
  t.equal(d.status, 'UNHEALTHY', 'one replica short');
  t.match(d.message, new RegExp(`replica ${sick} is unhealthy \\(checkHealth failed 3 times in a row: model weights corrupted\\)`));

  await h.runFor(300); // the replacement waits the first restart back-off
  const started = h.actions.startedNames(id);
  t.equal(started.length, 3, 'a replacement started');
  await h.step(100);
  t.same(h.actions.publishedNames(id), [started[2], well].sort(), 'and serves in its place');
  t.equal(h.deployment('sick', 'Checked').status, 'HEALTHY');
});

t.test('a success between failures resets the count', async t => {
  const h = fakeController(t);
  const id = 'flap/Checked';
  await h.settle(h.controller.run(Checked.bind().options({ numReplicas: 1 }), { name: 'flap' }));
  const [replica] = h.actions.liveOf(id);
  const outcomes = ['fail', 'fail', 'ok', 'fail', 'fail', 'ok', 'fail', 'fail', 'fail'];
  let i = 0;
  h.actions.decide('checkHealth', () => (outcomes[i++] === 'ok' ? 'ok' : new Error('flaky')));
  await h.runFor(8_000);
  t.equal(i, 8);
  t.equal(h.actions.callsOf('stop').length, 0, 'never three failures in a row yet');
  t.same(h.actions.publishedNames(id), [replica]);
  await h.runFor(1_000);
  t.same(h.actions.callsOf('stop').map(c => c.name), [replica], 'the third failure in a row removes it');
});

t.test('a health check that has not answered is not started again; its failure counts when it comes', async t => {
  const h = fakeController(t);
  const id = 'slow/Checked';
  await h.settle(h.controller.run(Checked.bind().options({ numReplicas: 1, healthCheckFailureThreshold: 1 }), { name: 'slow' }));
  const [replica] = h.actions.liveOf(id);
  h.actions.decide('checkHealth', 'hold');
  await h.runFor(5_000);
  t.equal(h.actions.callsOf('checkHealth').length, 1, 'one check in flight at a time');
  h.actions.held('checkHealth')[0].reject(new Error('checkHealth() did not answer within healthCheckTimeoutMs (400 ms)'));
  await h.flush();
  t.same(h.actions.publishedNames(id), [], 'out of the set once it failed');
  t.same(h.actions.callsOf('stop').map(c => c.name), [replica]);
});

t.test('a class without checkHealth is never checked', async t => {
  const h = fakeController(t);
  await h.settle(h.controller.run(Unchecked.bind(), { name: 'plain' }));
  t.notOk(h.actions.live.values().next().value?.methods.includes('checkHealth'), 'its address lists no checkHealth');
  await h.runFor(10_000);
  t.equal(h.actions.callsOf('checkHealth').length, 0);
  t.equal(h.actions.liveOf('plain/Unchecked').length, 1, 'and it keeps running');
});
