// The reconciler with real worker threads: unhealthy replicas are replaced while calls go on, an update rolls
// without losing a call, lightweight changes reach live replicas, and autoscaling follows the load.
import t from 'tap';
import { serve } from '../../../src/index.ts';
import { Crunch, Elastic, Flaky, Hangs, Sleepy, Versioned } from '../../fixtures/serve/reconcile-apps.ts';

t.before(() => serve.start({ http: false }));
t.teardown(() => serve.shutdown());

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const deploymentOf = (app: string, name: string) => serve.status().applications[app]?.deployments[name];

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(serve.status())}`);
    await sleep(20);
  }
}

/** Calls `call` back to back from `workers` loops until stop() resolves; counts outcomes. */
function steadyLoad(workers: number, call: () => PromiseLike<unknown>) {
  let running = true;
  const results: unknown[] = [];
  const failures: unknown[] = [];
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      try {
        results.push(await call());
      } catch (err) {
        failures.push(err);
      }
    }
  });
  return {
    results,
    failures,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

t.test('a replica whose checkHealth starts failing is replaced while calls go on', async t => {
  const h = await serve.run(Flaky.bind(), { name: 'flaky' });
  await sleep(300);
  t.ok((await h.healthChecks()) > 0, 'checkHealth() is called');
  const load = steadyLoad(4, () => h.who(5));
  const sick = await h.fallIll();
  await until('the sick replica to be gone', () => !deploymentOf('flaky', 'Flaky')!.replicas.some(r => r.name === sick));
  await until('a replacement to run', () => deploymentOf('flaky', 'Flaky')!.replicas.filter(r => r.state === 'RUNNING').length === 2);
  await sleep(200);
  await load.stop();
  t.same(load.failures, [], 'no call failed: the unhealthy replica drained its calls before it stopped');
  t.ok(load.results.length > 20, `calls went on (${load.results.length})`);
  t.notOk(deploymentOf('flaky', 'Flaky')!.replicas.some(r => r.name === sick), 'the sick replica is not in the deployment');
  await serve.delete('flaky');
});

t.test('a checkHealth that hangs counts as a failure after healthCheckTimeoutMs, and the replica is replaced', async t => {
  const h = await serve.run(Hangs.bind(), { name: 'hangs' });
  const frozen = await h.freeze();
  await until('the frozen replica to be replaced', () => {
    const d = deploymentOf('hangs', 'Hangs')!;
    return !d.replicas.some(r => r.name === frozen) && d.replicas.some(r => r.state === 'RUNNING');
  });
  t.not(await h.who(), frozen, 'calls reach the replacement');
  await serve.delete('hangs');
});

t.test('an update with changed code rolls replicas under load without losing a call; a stream in flight ends on the old replica', async t => {
  const h = await serve.run(Versioned.bind('v1'), { name: 'versioned' });
  const load = steadyLoad(6, () => h.current());
  await sleep(200);
  const stream = (async () => {
    const items: string[] = [];
    for await (const item of h.count()) items.push(item);
    return items;
  })();
  await sleep(150);
  await serve.run(Versioned.bind('v2'), { name: 'versioned' });
  const items = await stream;
  await sleep(200);
  await load.stop();
  t.same(load.failures, [], 'no call failed during the roll');
  const versions = load.results.map(r => (r as { version: string }).version);
  t.ok(versions.includes('v1') && versions.includes('v2'), 'calls were served by both versions');
  t.equal(versions.at(-1), 'v2', 'the last calls reach the new version');
  t.same(items, Array.from({ length: 10 }, (_, i) => `v1:${i}\n`), 'the stream finished on the old replica');
  const d = deploymentOf('versioned', 'Versioned')!;
  t.equal(d.replicas.length, 2);
  t.equal(new Set(d.replicas.map(r => r.version)).size, 1, 'one version left');
  await serve.delete('versioned');
});

t.test('a changed userConfig calls reconfigure on live replicas; numReplicas scales without restarting them', async t => {
  const h = await serve.run(Versioned.bind('v1').options({ userConfig: { threshold: 1 } }), { name: 'light' });
  const before = deploymentOf('light', 'Versioned')!.replicas.map(r => r.name).sort();
  await serve.run(Versioned.bind('v1').options({ userConfig: { threshold: 2 } }), { name: 'light' });
  const states = new Map<string, { reconfigures: number; config: unknown }>();
  for (let i = 0; i < 50 && states.size < 2; i++) {
    const s = await h.state();
    states.set(s.replica, s);
  }
  t.same([...states.keys()].sort(), before, 'the same replicas serve');
  for (const s of states.values()) {
    t.same(s.config, { threshold: 2 }, 'with the new config');
    t.equal(s.reconfigures, 2, 'reconfigured once at start and once in place');
  }
  await serve.run(Versioned.bind('v1').options({ userConfig: { threshold: 2 }, numReplicas: 3 }), { name: 'light' });
  const after = deploymentOf('light', 'Versioned')!.replicas.map(r => r.name);
  t.equal(after.length, 3);
  t.ok(before.every(name => after.includes(name)), 'the first two replicas stayed');
  await serve.delete('light');
});

t.test('autoscaling follows the load: 1 → more replicas under load, and back down after', async t => {
  const h = await serve.run(Elastic.bind(), { name: 'elastic' });
  t.equal(deploymentOf('elastic', 'Elastic')!.replicas.length, 1, 'starts at minReplicas');
  const load = steadyLoad(12, () => h.work(30));
  await until('a scale-up', () => deploymentOf('elastic', 'Elastic')!.replicas.filter(r => r.state === 'RUNNING').length >= 3);
  const replicasSeen = new Set<string>();
  await sleep(500);
  const mark = load.results.length;
  await sleep(500);
  for (const r of load.results.slice(mark)) replicasSeen.add(r as string);
  t.ok(replicasSeen.size >= 3, `calls spread over the new replicas (${replicasSeen.size})`);
  t.match(deploymentOf('elastic', 'Elastic')!.autoscaling, { minReplicas: 1, maxReplicas: 4 });
  await load.stop();
  await until('the scale-down', () => deploymentOf('elastic', 'Elastic')!.replicas.length === 1, 15_000);
  t.same(load.failures, [], 'no call failed while replicas came and went');
  t.equal(await h.work(1), deploymentOf('elastic', 'Elastic')!.replicas[0].name, 'the last replica serves');
  await serve.delete('elastic');
});

t.test('scale to zero: the first call waits while a replica starts, and it goes back to zero when idle', async t => {
  const h = await serve.run(Sleepy.bind(), { name: 'sleepy' });
  t.equal(deploymentOf('sleepy', 'Sleepy')!.replicas.length, 0, 'no replica while idle');
  t.equal(await h.hello(), 'awake', 'a call wakes it');
  await until('back to zero', () => deploymentOf('sleepy', 'Sleepy')!.replicas.length === 0, 10_000);
  t.equal(await h.hello(), 'awake', 'and again');
  await serve.delete('sleepy');
});

t.test('a replica busy with synchronous work is seen as loaded (by its callers\' routers) and scaled out', async t => {
  const h = await serve.run(Crunch.bind(), { name: 'crunch' });
  const load = steadyLoad(4, () => h.spin(5));
  await until('the autoscaler to see the calls', () => (deploymentOf('crunch', 'Crunch')!.autoscaling?.ongoingRequests ?? 0) > 2);
  await until('a second replica', () => deploymentOf('crunch', 'Crunch')!.replicas.filter(r => r.state === 'RUNNING').length === 2);
  await load.stop();
  t.same(load.failures, []);
  t.pass('4 callers of a synchronous method read as ~4 ongoing, and the deployment scaled to 2');
  await serve.delete('crunch');
});
