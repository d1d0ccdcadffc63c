// Deleting an application and shutting the controller down, with fake replicas: every replica gets a graceful
// stop with gracefulShutdownTimeoutMs, delete() resolves only once every stop has finished, and routers are
// told the deployment is gone. And what of the runtime the controller uses when its actions are fake.
import t from 'tap';
import { Runtime } from '../../../src/core/index.ts';
import { deployment, ServeController } from '../../../src/serve/index.ts';
import { FakeReplicaActions } from '../../fixtures/serve/fake-actions.ts';
import { fakeController, watch } from '../../fixtures/serve/fake-controller.ts';

const Inner = deployment(class Inner {
  work(): string {
    return 'inner';
  }
}, { numReplicas: 2, gracefulShutdownTimeoutMs: 7_500 });

const Outer = deployment(class Outer {
  constructor(readonly inner: unknown) {}
  call(): string {
    return 'outer';
  }
}, { numReplicas: 1, gracefulShutdownTimeoutMs: 2_500 });

t.test('delete() stops every replica gracefully and resolves only after every stop finished; the sets are marked gone', async t => {
  const h = fakeController(t);
  await h.settle(h.controller.run(Outer.bind(Inner.bind()), { name: 'app' }));
  const replicas = [...h.actions.live.keys()].sort();
  t.equal(replicas.length, 3);
  h.actions.decide('stop', 'hold');

  const deleting = watch(h.controller.delete('app'));
  await h.runFor(1_000);
  t.same(h.actions.callsOf('stop').map(c => c.name).sort(), replicas, 'each replica is being stopped');
  t.same(
    h.actions.callsOf('stop').map(c => [c.name.split('#')[0], c.arg]).sort(),
    [['app/Inner', 7_500], ['app/Inner', 7_500], ['app/Outer', 2_500]],
    "with its deployment's gracefulShutdownTimeoutMs",
  );
  t.equal(h.controller.status().applications.app.status, 'DELETING');
  t.same(h.actions.lastSet('app/Inner'), { replicas: [], maxOngoingRequests: 5, maxQueuedRequests: 4096, gone: true }, 'routers told at once');
  t.equal(h.actions.lastSet('app/Outer')?.gone, true);

  const held = h.actions.held('stop');
  held[0].resolve();
  held[1].resolve();
  await h.runFor(1_000);
  t.notOk(deleting.done, 'not while one replica still finishes its calls');
  held[2].resolve();
  await h.flush();
  t.ok(deleting.done, 'resolved once the last stop finished');
  t.notOk(deleting.error);
  t.same(h.controller.status().applications, {});
  t.equal(h.actions.callsOf('stop').length, 3, 'each stopped once');
  t.same([...h.actions.live.keys()], []);
});

t.test('a stop that fails still counts as stopped', async t => {
  const h = fakeController(t);
  await h.settle(h.controller.run(Inner.bind(), { name: 'app' }));
  h.actions.decide('stop', new Error('worker already gone'));
  await h.settle(h.controller.delete('app'));
  t.same(h.controller.status().applications, {});
});

t.test('shutdown() deletes every application', async t => {
  const h = fakeController(t);
  await h.settle(h.controller.run(Inner.bind(), { name: 'a' }));
  await h.settle(h.controller.run(Inner.bind(), { name: 'b' }));
  await h.settle(h.controller.shutdown());
  t.equal(h.actions.callsOf('stop').length, 4);
  t.ok(h.actions.callsOf('stop').every(c => c.arg === 7_500));
  t.equal(h.actions.lastSet('a/Inner')?.gone, true);
  t.equal(h.actions.lastSet('b/Inner')?.gone, true);
  t.same(h.controller.status().applications, {});
});

t.test('with fake actions the controller reads only runtime.id', async t => {
  const runtime = new Runtime({ objectStore: false });
  t.teardown(() => runtime.shutdown());
  const used = new Set<string | symbol>();
  const watched = new Proxy(runtime, {
    get(target, key) {
      used.add(key);
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const actions = new FakeReplicaActions();
  let now = 0;
  const controller = new ServeController(watched, { actions, now: () => now, tickMs: 0, capacity: { cpus: 8, gpus: [] } });
  const drive = async <T>(p: Promise<T>) => {
    const w = watch(p);
    for (let i = 0; i < 200 && !w.done; i++) {
      now += 50;
      controller.tick();
      await new Promise(r => setImmediate(r));
    }
    return p;
  };
  await drive(controller.run(Outer.bind(Inner.bind()), { name: 'app' }));
  controller.getHandle('app', 'Inner');
  await drive(controller.run(Outer.bind(Inner.bind().options({ numReplicas: 3 })), { name: 'app' }));
  actions.kill(actions.liveOf('app/Inner')[0]);
  await drive(new Promise(r => setTimeout(r, 10)));
  controller.status();
  await drive(controller.delete('app'));
  await drive(controller.shutdown());
  t.same([...used], ['id'], 'only the id, for handles');
  t.same(runtime.actors(), [], 'the runtime started nothing');
});
