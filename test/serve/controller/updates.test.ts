// Running an application again under its name, with fake replicas: changed code or constructor arguments roll
// replicas in waves without the published set dropping under the target; userConfig and maxOngoingRequests
// reach live replicas in place; numReplicas scales without restarts; an update that cannot start keeps the old
// version serving.
import t from 'tap';
import { deployment, deploymentAddressOf, DeploymentFailedError, surgeFor, type ApplicationInfo, type StartRequest } from '../../../src/serve/index.ts';
import { fakeController, watch } from '../../fixtures/serve/fake-controller.ts';

const Versioned = deployment(class Versioned {
  constructor(readonly version: string) {}
  reconfigure(_config: unknown): void {}
  current(): string {
    return this.version;
  }
}, { numReplicas: 4, gracefulShutdownTimeoutMs: 3_000 });

/** The constructor argument each started replica got, by name. */
function versions(starts: Array<{ name: string; arg?: unknown }>): Map<string, string> {
  return new Map(starts.map(c => [c.name, (c.arg as StartRequest).args[0] as string]));
}

t.test('a changed constructor argument rolls replicas in waves: surge at most, old ones stop only after new ones run, never under target', async t => {
  const h = fakeController(t);
  const id = 'roll/Versioned';
  const planned: ApplicationInfo[] = [];
  const first = await h.settle(h.controller.run(Versioned.bind('v1'), { name: 'roll', routePrefix: '/api' }, { planned: app => planned.push(app) }));
  t.equal(h.actions.liveOf(id).length, 4);
  const target = 4;
  const surge = surgeFor(target);
  t.equal(surge, 1);

  const version = () => versions(h.actions.callsOf('start'));
  const liveNew = () => h.actions.liveOf(id).filter(n => version().get(n) === 'v2');
  const violations: string[] = [];
  h.actions.onPublish = (deploymentId, set) => {
    if (deploymentId === id && set.replicas.length < target) violations.push(`published ${set.replicas.map(a => a.name)}`);
  };
  h.actions.decide('stop', name => {
    const stopsOfOld = h.actions.callsOf('stop').filter(c => version().get(c.name) === 'v1').length;
    if (version().get(name) === 'v1' && stopsOfOld > liveNew().length) violations.push(`${name} stopped with only ${liveNew().length} new replicas running`);
    return 'ok';
  });
  h.actions.decide('start', 'hold');

  const update = watch(h.controller.run(Versioned.bind('v2'), { name: 'roll', routePrefix: '/api' }, { planned: app => planned.push(app) }));
  let waves = 0;
  while (!update.done && waves < 20) {
    await h.step(10);
    const held = h.actions.held('start');
    const starting = held.length;
    const active = h.actions.liveOf(id).length + starting;
    if (starting > surge || active > target + surge) violations.push(`${starting} starting, ${active} live or starting`);
    if (held[0]) {
      waves++;
      held[0].resolve();
    }
  }
  t.ok(update.done, 'the update finished');
  t.same(violations, [], 'no wave broke the rules');
  t.equal(waves, 4, 'four waves of one replica (surge 1)');
  t.equal(liveNew().length, 4, 'every live replica runs v2');
  t.equal(h.actions.liveOf(id).length, 4);
  t.same(h.actions.callsOf('stop').map(c => c.arg), [3_000, 3_000, 3_000, 3_000], 'the old ones stopped gracefully');
  t.same(h.actions.publishedNames(id), liveNew().sort());

  t.equal(deploymentAddressOf(update.value!).deploymentId, deploymentAddressOf(first).deploymentId, 'the handle reaches the same deployment');
  t.same(planned.map(p => [p.ingressId, p.routePrefix]), [[id, '/api'], [id, '/api']], 'the same route and ingress id');
  t.equal(h.controller.status().applications.roll.status, 'RUNNING');
});

t.test('a changed userConfig calls reconfigure on live replicas, starts nothing, and the run waits for it', async t => {
  const h = fakeController(t);
  const id = 'light/Versioned';
  await h.settle(h.controller.run(Versioned.bind('v1').options({ numReplicas: 2, userConfig: { threshold: 1 } }), { name: 'light' }));
  const live = h.actions.liveOf(id);
  const starts = h.actions.callsOf('start').length;
  h.actions.decide('reconfigure', 'hold');

  const update = watch(h.controller.run(Versioned.bind('v1').options({ numReplicas: 2, userConfig: { threshold: 2 } }), { name: 'light' }));
  await h.runFor(500);
  t.same(h.actions.callsOf('reconfigure').map(c => [c.name, c.arg]).sort(), live.map(n => [n, { threshold: 2 }]).sort(), 'each live replica gets the new config');
  t.notOk(update.done, 'the run waits until the replicas have it');
  for (const held of h.actions.held('reconfigure')) held.resolve();
  await h.flush();
  t.ok(update.done, 'then it resolves');
  t.equal(h.actions.callsOf('start').length, starts, 'nothing started');
  t.equal(h.actions.callsOf('stop').length, 0, 'nothing stopped');
  await h.runFor(2_000);
  t.equal(h.actions.callsOf('reconfigure').length, 2, 'once each');

  // The same config again: nothing to do.
  await h.settle(h.controller.run(Versioned.bind('v1').options({ numReplicas: 2, userConfig: { threshold: 2 } }), { name: 'light' }));
  await h.runFor(1_000);
  t.equal(h.actions.callsOf('reconfigure').length, 2);
});

t.test('a reconfigure that throws replaces the replica, which starts with the new config', async t => {
  const h = fakeController(t);
  const id = 'badcfg/Versioned';
  await h.settle(h.controller.run(Versioned.bind('v1').options({ numReplicas: 1, userConfig: 1 }), { name: 'badcfg' }));
  const [old] = h.actions.liveOf(id);
  h.actions.decide('reconfigure', new Error('threshold must be odd'));
  await h.settle(h.controller.run(Versioned.bind('v1').options({ numReplicas: 1, userConfig: 2 }), { name: 'badcfg' }));
  await h.until('a replacement', () => h.actions.startedNames(id).length === 2);
  t.same(h.actions.callsOf('stop').map(c => c.name), [old]);
  const restart = h.actions.callsOf('start').at(-1)!.arg as StartRequest;
  t.equal(restart.options.userConfig, 2, 'the new replica gets the new config at start');
});

t.test('a changed maxOngoingRequests calls setMaxOngoing on live replicas and republishes the limit', async t => {
  const h = fakeController(t);
  const id = 'limit/Versioned';
  await h.settle(h.controller.run(Versioned.bind('v1').options({ numReplicas: 2, maxOngoingRequests: 5 }), { name: 'limit' }));
  t.equal(h.actions.lastSet(id)?.maxOngoingRequests, 5);
  const live = h.actions.liveOf(id);
  await h.settle(h.controller.run(Versioned.bind('v1').options({ numReplicas: 2, maxOngoingRequests: 12 }), { name: 'limit' }));
  await h.runFor(200);
  t.equal(h.actions.lastSet(id)?.maxOngoingRequests, 12, 'routers hear the new limit');
  t.same(h.actions.publishedNames(id), live.sort(), 'from the same replicas');
  t.same(h.actions.callsOf('setMaxOngoing').map(c => [c.name, c.arg]).sort(), live.map(n => [n, 12]).sort(), 'each replica runs with it');
  t.equal(h.actions.startedNames(id).length, 2, 'nothing restarted');
  t.equal(h.actions.callsOf('stop').length, 0);
});

t.test('a changed numReplicas scales without restarting anything', async t => {
  const h = fakeController(t);
  const id = 'scale/Versioned';
  await h.settle(h.controller.run(Versioned.bind('v1').options({ numReplicas: 2 }), { name: 'scale' }));
  const two = h.actions.liveOf(id);
  const stillPublished: string[] = [];
  h.actions.decide('stop', name => {
    if (h.actions.publishedNames(id).includes(name)) stillPublished.push(name);
    return 'ok';
  });
  await h.settle(h.controller.run(Versioned.bind('v1').options({ numReplicas: 4 }), { name: 'scale' }));
  t.equal(h.actions.liveOf(id).length, 4);
  t.ok(two.every(n => h.actions.live.has(n)), 'the first two stayed');
  t.equal(h.actions.callsOf('stop').length, 0);
  await h.settle(h.controller.run(Versioned.bind('v1').options({ numReplicas: 1 }), { name: 'scale' }));
  await h.flush();
  t.equal(h.actions.liveOf(id).length, 1);
  t.equal(h.actions.startedNames(id).length, 4, 'nothing started on the way down');
  t.same(h.actions.callsOf('stop').map(c => c.arg), [3_000, 3_000, 3_000], 'three stopped gracefully');
  t.same(stillPublished, [], 'each left the published set before its stop began');
});

t.test('an update whose new version fails to start rejects; the old replicas keep serving and status says so', async t => {
  const h = fakeController(t);
  const id = 'keep/Versioned';
  await h.settle(h.controller.run(Versioned.bind('v1').options({ numReplicas: 2 }), { name: 'keep' }));
  const old = h.actions.liveOf(id).sort();
  h.actions.decide('start', (_name, request) => ((request as StartRequest).args[0] === 'v2' ? new Error('v2 cannot load its model') : 'ok'));

  const update = watch(h.controller.run(Versioned.bind('v2').options({ numReplicas: 2 }), { name: 'keep' }));
  let shrank = false;
  h.actions.onPublish = (deploymentId, set) => {
    if (deploymentId === id && set.replicas.length < 2) shrank = true;
  };
  await h.until('the update to fail', () => update.done, 50, 60_000);
  t.ok(update.error instanceof DeploymentFailedError, `the run rejected: ${update.error}`);
  t.match(update.error?.message, /v2 cannot load its model/);
  t.same(h.actions.liveOf(id).sort(), old, 'the old replicas still run');
  t.same(h.actions.publishedNames(id), old, 'and are published');
  t.notOk(shrank, 'the published set never shrank');
  t.equal(h.actions.callsOf('stop').length, 0, 'no old replica was stopped');
  const app = h.controller.status().applications.keep;
  t.equal(app.status, 'RUNNING');
  t.match(app.message, /^update failed, still serving the previous version: .*v2 cannot load its model/);

  const attempts = h.actions.startedNames(id).length;
  await h.runFor(60_000, 500);
  t.equal(h.actions.startedNames(id).length, attempts, 'the failed version is not retried');
  t.same(h.actions.liveOf(id).sort(), old);
});

const Leaf = deployment(class Leaf {
  constructor(readonly tag: string = 'leaf') {}
}, { numReplicas: 2 });
const Root = deployment(class Root {
  constructor(readonly leaf: unknown, readonly version: string = 'v1') {}
}, { numReplicas: 1 });

t.test('an update that drops a deployment stops its replicas and resolves', async t => {
  const h = fakeController(t);
  await h.settle(h.controller.run(Root.bind(Leaf.bind().options({ name: 'A' })), { name: 'drop' }));
  t.equal(h.actions.liveOf('drop/A').length, 2);
  await h.settle(h.controller.run(Root.bind(Leaf.bind().options({ name: 'B' })), { name: 'drop' }), 50, 30_000);
  t.equal(h.actions.liveOf('drop/A').length, 0, 'the dropped deployment has no replica left');
  t.equal(h.actions.liveOf('drop/B').length, 2, 'the added one runs');
  t.same(Object.keys(h.controller.status().applications.drop!.deployments).sort(), ['B', 'Root']);
  t.equal(h.controller.status().applications.drop!.status, 'RUNNING');
});

t.test('an update that fails stops the deployment it added, and shutdown waits for it', async t => {
  const h = fakeController(t);
  await h.settle(h.controller.run(Root.bind(Leaf.bind().options({ name: 'A' })), { name: 'undo' }));
  h.actions.decide('start', (_name, request) => ((request as StartRequest).args[1] === 'v2' ? new Error('v2 cannot start') : 'ok'));
  const update = watch(h.controller.run(Root.bind(Leaf.bind('other').options({ name: 'C' }), 'v2'), { name: 'undo' }));
  await h.until('the update to fail', () => update.done, 50, 60_000);
  t.ok(update.error instanceof DeploymentFailedError, `the run rejected: ${update.error}`);
  await h.until('the added deployment to stop', () => h.actions.liveOf('undo/C').length === 0, 50, 30_000);
  t.equal(h.actions.liveOf('undo/A').length, 2, 'the old deployment still runs');
  t.same(Object.keys(h.controller.status().applications.undo!.deployments).sort(), ['A', 'Root']);
  await h.settle(h.controller.shutdown(), 50, 30_000);
  t.equal(h.actions.liveOf('undo/C').length + h.actions.liveOf('undo/A').length + h.actions.liveOf('undo/Root').length, 0, 'nothing left after shutdown');
});
