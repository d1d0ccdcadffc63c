// Placement through the controller when the machine runs out: replicas past the CPUs wait PENDING (a deployment's
// first replica may share cores), they start when another application frees CPUs, and a first replica that
// cannot get a GPU fails the run before anything starts.
import t from 'tap';
import { deployment, InsufficientResourcesError } from '../../../src/serve/index.ts';
import { fakeController, watch } from '../../fixtures/serve/fake-controller.ts';

const Worker = deployment(class Worker {
  work(): string {
    return 'done';
  }
}, { numReplicas: 4, actorOptions: { numCpus: 1 } });

const Filler = deployment(class Filler {
  fill(): string {
    return 'full';
  }
}, { numReplicas: 2, actorOptions: { numCpus: 1 } });

const OnGpu = deployment(class OnGpu {
  infer(): string {
    return 'gpu';
  }
}, { numReplicas: 1, actorOptions: { numCpus: 1, numGpus: 1 } });

const states = (replicas: Array<{ state: string }>) => replicas.map(r => r.state).sort();

t.test('replicas past the CPUs wait PENDING with a reason naming numCpus; run() resolves; deleting another app starts them', async t => {
  const h = fakeController(t, { capacity: { cpus: 4, gpus: [] } });
  await h.settle(h.controller.run(Filler.bind(), { name: 'filler' }));
  t.equal(h.actions.liveOf('filler/Filler').length, 2, 'the other app holds 2 of 4 CPUs');

  await h.settle(h.controller.run(Worker.bind(), { name: 'work' }));
  t.pass('run() resolved with replicas still waiting for CPUs');
  const d = h.deployment('work', 'Worker');
  t.same(states(d.replicas), ['PENDING', 'PENDING', 'RUNNING', 'RUNNING']);
  for (const r of d.replicas.filter(r => r.state === 'PENDING')) {
    t.match(r.reason, /^waiting for resources: .*actorOptions\.numCpus 1 but only 0 of 4 CPUs are free/);
  }
  t.match(d.message, /2 replica\(s\) PENDING, waiting for resources/);
  t.equal(d.status, 'HEALTHY', 'it serves; waiting for CPUs is not a failure');
  t.equal(h.controller.status().applications.work.status, 'RUNNING');
  t.equal(h.actions.startedNames('work/Worker').length, 2, 'only two were started');
  t.equal(h.actions.publishedNames('work/Worker').length, 2);

  await h.runFor(5_000);
  t.equal(h.actions.startedNames('work/Worker').length, 2, 'the waiting ones do not start while the CPUs are taken');

  await h.settle(h.controller.delete('filler'));
  await h.until('4 Worker replicas running', () => states(h.deployment('work', 'Worker').replicas).join() === 'RUNNING,RUNNING,RUNNING,RUNNING');
  t.equal(h.actions.startedNames('work/Worker').length, 4, 'the two waiting replicas started once the CPUs were free');
  t.equal(h.actions.publishedNames('work/Worker').length, 4);
  t.equal(h.deployment('work', 'Worker').message, '', 'nothing waits any more');
});

t.test("a deployment's first replica may share cores with others; further ones wait", async t => {
  const h = fakeController(t, { capacity: { cpus: 2, gpus: [] } });
  await h.settle(h.controller.run(Filler.bind(), { name: 'filler' }));
  await h.settle(h.controller.run(Worker.bind(), { name: 'work' }));
  const d = h.deployment('work', 'Worker');
  t.same(states(d.replicas), ['PENDING', 'PENDING', 'PENDING', 'RUNNING'], 'one replica runs past the 2 CPUs, three wait');
  t.match(d.message, /replicas ask for 3 CPUs \(actorOptions\.numCpus\) and this machine has 2: they share cores/);

  await h.settle(h.controller.delete('filler'));
  await h.until('the freed CPUs taken', () => h.actions.startedNames('work/Worker').length === 2);
  await h.runFor(1_000);
  t.same(states(h.deployment('work', 'Worker').replicas), ['PENDING', 'PENDING', 'RUNNING', 'RUNNING'], 'one more: two on 2 CPUs, none past them');
  t.notMatch(h.deployment('work', 'Worker').message, /share cores/, 'no oversubscription left to report');
});

t.test("a first replica that can't get a GPU fails run() with InsufficientResourcesError and nothing starts", async t => {
  const h = fakeController(t, { capacity: { cpus: 8, gpus: [0] } });
  await h.settle(h.controller.run(OnGpu.bind(), { name: 'holder' }));
  t.equal(h.actions.liveOf('holder/OnGpu').length, 1, 'the only GPU is taken');
  const calls = h.actions.calls.length;

  const err = await h.controller.run(OnGpu.bind(), { name: 'second' }).catch(e => e);
  t.ok(err instanceof InsufficientResourcesError, `got ${err}`);
  t.match(err.message, /deployment second\/OnGpu: a replica needs actorOptions\.numGpus 1 but only 0 of 1 GPUs are free/);
  await h.runFor(1_000);
  t.same(h.actions.startedNames('second/OnGpu'), [], 'no replica started');
  t.same(h.actions.calls.slice(calls).filter(c => c.name.startsWith('second/')), [], 'nothing done for it at all');
  t.notOk(h.controller.status().applications.second, 'no half-deployed application left');

  const none = fakeController(t, { capacity: { cpus: 8, gpus: [] } });
  const noGpu = await none.controller.run(OnGpu.bind(), { name: 'g' }).catch(e => e);
  t.ok(noGpu instanceof InsufficientResourcesError);
  t.match(noGpu.message, /this machine has no GPU/);
  t.same(none.actions.calls, []);
});

t.test('two runs at once for the only GPU: the one whose first replica finds it taken fails, and nothing of it is left', async t => {
  const h = fakeController(t, { capacity: { cpus: 8, gpus: [0] } });
  // Both pass the check before either has placed a replica; the second finds the GPU taken when it places its own.
  const [a, b] = [watch(h.controller.run(OnGpu.bind(), { name: 'a' })), watch(h.controller.run(OnGpu.bind(), { name: 'b' }))];
  await h.until('both runs to settle', () => a.done && b.done);
  t.notOk(a.error, 'the first one runs');
  t.ok(b.error instanceof InsufficientResourcesError, `the second fails: ${b.error}`);
  t.same(h.actions.startedNames('b/OnGpu'), [], 'without starting anything');
  t.notOk(h.controller.status().applications.b);
  t.equal(h.actions.liveOf('a/OnGpu').length, 1);
});

t.test('a second replica that needs the GPU the first one holds waits PENDING, and the run resolves', async t => {
  const h = fakeController(t, { capacity: { cpus: 8, gpus: [0] } });
  await h.settle(h.controller.run(OnGpu.bind().options({ numReplicas: 2 }), { name: 'two' }));
  const d = h.deployment('two', 'OnGpu');
  t.same(states(d.replicas), ['PENDING', 'RUNNING']);
  t.match(d.replicas.find(r => r.state === 'PENDING')?.reason, /waiting for resources: .*numGpus 1 but only 0 of 1 GPUs are free/);
});

t.test('a rolling update may share cores while old replicas drain, so the roll never cuts serving replicas', async t => {
  const Versioned = deployment(class Versioned {
    constructor(readonly version: string) {}
    work(): string {
      return this.version;
    }
  }, { numReplicas: 2, actorOptions: { numCpus: 1 } });
  const h = fakeController(t, { capacity: { cpus: 2, gpus: [] } });
  await h.settle(h.controller.run(Versioned.bind('v1'), { name: 'roll' }));
  const old = h.actions.publishedNames('roll/Versioned');
  t.equal(old.length, 2, 'two replicas fill the 2 CPUs');
  let fewest = Infinity;
  h.actions.onPublish = (id, set) => {
    if (id === 'roll/Versioned') fewest = Math.min(fewest, set.replicas.length);
  };
  await h.settle(h.controller.run(Versioned.bind('v2'), { name: 'roll' }));
  await h.runFor(1_000);
  const now = h.actions.publishedNames('roll/Versioned');
  t.equal(h.actions.startedNames('roll/Versioned').length, 4, 'two new replicas started, the first past the CPUs');
  t.equal(now.length, 2);
  t.notOk(now.some(n => old.includes(n)), 'only new replicas serve after the roll');
  t.ok(fewest >= 2, `never fewer than 2 serving (fewest ${fewest})`);
  t.equal(h.deployment('roll', 'Versioned').message, '', 'no oversubscription is left once the old replicas are gone');
});

t.test('a roll whose new replicas need the GPUs old ones hold: old ones go first, and run() waits for every new one', async t => {
  const GpuModel = deployment(class GpuModel {
    constructor(readonly version: string) {}
    infer(): string {
      return this.version;
    }
  }, { numReplicas: 2, actorOptions: { numCpus: 1, numGpus: 1 } });
  const h = fakeController(t, { capacity: { cpus: 8, gpus: [0, 1] } });
  await h.settle(h.controller.run(GpuModel.bind('v1'), { name: 'gpu' }));
  const old = h.actions.publishedNames('gpu/GpuModel');
  let stops = 0;
  // The first old replica stops at once; the second one's stop is held, so its GPU stays taken.
  h.actions.decide('stop', () => (++stops === 2 ? 'hold' : 'ok'));
  const update = watch(h.controller.run(GpuModel.bind('v2'), { name: 'gpu' }));
  await h.until('the second old replica to be stopping', () => h.actions.held('stop').length === 1);
  await h.runFor(2_000);
  t.equal(update.done, false, 'run() does not resolve while a new replica waits for the GPU a stopping one frees');
  h.actions.held('stop')[0].resolve();
  await h.settle(update.promise);
  const now = h.actions.publishedNames('gpu/GpuModel');
  t.equal(now.length, 2, 'both new replicas serve once run() resolves');
  t.notOk(now.some(n => old.includes(n)));
});
