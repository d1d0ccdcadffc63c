// Autoscaling through the controller with fake time: the load replicas report (and calls waiting in routers)
// drives the replica count, with the delays measured on the controller's clock.
import t from 'tap';
import { deployment, DeploymentOptionError, type DeploymentOptions } from '../../../src/serve/index.ts';
import { fakeController, START, type FakeController } from '../../fixtures/serve/fake-controller.ts';

type Autoscaling = NonNullable<DeploymentOptions['autoscalingConfig']>;
const base: Autoscaling = {
  minReplicas: 1,
  maxReplicas: 5,
  targetOngoingRequests: 2,
  upscaleDelayMs: 3_000,
  downscaleDelayMs: 10_000,
  metricsIntervalMs: 100,
  lookBackPeriodMs: 300,
};

function model(autoscalingConfig: Autoscaling, name = 'Model') {
  return deployment(class Model {
    constructor(readonly tag = '') {}
    infer(): string {
      return 'ok';
    }
  }, { name, autoscalingConfig, gracefulShutdownTimeoutMs: 1_234 });
}

/** Steps 100 ms at a time until `done`, noting the first step at which the status's load average passed `crossed`. */
async function stepUntil(h: FakeController, app: string, name: string, crossed: (avg: number) => boolean, done: () => boolean, maxMs = 60_000) {
  let at: number | undefined;
  const deadline = h.now() + maxMs;
  while (!done()) {
    if (h.now() > deadline) throw new Error(`not done after ${maxMs} ms: ${JSON.stringify(h.controller.status())}`);
    await h.step(100);
    const avg = h.deployment(app, name).autoscaling?.ongoingRequests;
    if (at === undefined && avg !== undefined && crossed(avg)) at = h.now();
  }
  return at;
}

t.test('load above target starts more replicas once upscaleDelayMs has passed, not before; idle stops them after downscaleDelayMs', async t => {
  const h = fakeController(t);
  const id = 'up/Model';
  await h.settle(h.controller.run(model(base).bind(), { name: 'up' }));
  t.equal(h.actions.startedNames(id).length, 1, 'initialReplicas: minReplicas');
  const [first] = h.actions.liveOf(id);

  h.actions.setLoad(first, 8); // four times the target on one replica
  // Wanted more as soon as the average passes 2 ongoing per replica.
  const over = await stepUntil(h, 'up', 'Model', avg => avg > 2, () => h.actions.startedNames(id).length > 1);
  t.ok(over !== undefined, 'the status showed the load');
  const waited = h.now() - over!;
  t.ok(waited >= 3_000 && waited < 3_100, `replicas started ${waited} ms after more were wanted (upscaleDelayMs 3000)`);
  t.equal(h.actions.startedNames(id).length, 4, 'to what the policy wants: ceil(8 / 2)');
  await h.step(100);
  t.equal(h.deployment('up', 'Model').targetReplicas, 4);
  t.equal(h.actions.publishedNames(id).length, 4, 'all four published once running');

  h.actions.setLoad(first, 0);
  // Fewer wanted once the average of 4 replicas' load falls to 6 (ceil(6 / 2) = 3).
  const under = await stepUntil(h, 'up', 'Model', avg => avg <= 6, () => h.actions.callsOf('stop').length > 0);
  const downWaited = h.now() - under!;
  t.ok(downWaited >= 10_000 && downWaited < 10_100, `stopped ${downWaited} ms after fewer were wanted (downscaleDelayMs 10000)`);
  const stops = h.actions.callsOf('stop');
  t.equal(stops.length, 3, 'down to minReplicas');
  t.ok(stops.every(s => s.arg === 1_234), 'each stop is graceful, with gracefulShutdownTimeoutMs');
  await h.flush();
  t.equal(h.actions.liveOf(id).length, 1);
  t.equal(h.actions.startedNames(id).length, 4, 'no replica started on the way down');
});

t.test('minReplicas 0: the last replica stops after downscaleToZeroDelayMs; waiting calls bring one back at once', async t => {
  const h = fakeController(t);
  const id = 'zero/Model';
  const Sleepy = model({ ...base, minReplicas: 0, initialReplicas: 1, downscaleDelayMs: 5_000, downscaleToZeroDelayMs: 20_000, upscaleDelayMs: 60_000 });
  await h.settle(h.controller.run(Sleepy.bind(), { name: 'zero' }));
  t.equal(h.actions.liveOf(id).length, 1, 'initialReplicas 1 starts one although minReplicas is 0');
  const idleSince = h.now(); // no load from the first sample on

  await h.runFor(19_800);
  t.equal(h.actions.callsOf('stop').length, 0, 'not before downscaleToZeroDelayMs (downscaleDelayMs is shorter)');
  await h.runFor(300);
  t.equal(h.actions.callsOf('stop').length, 1, `stopped by ${h.now() - idleSince} ms`);
  t.equal(h.actions.liveOf(id).length, 0);
  t.equal(h.deployment('zero', 'Model').targetReplicas, 0);
  t.same(h.actions.lastSet(id)?.replicas, [], 'an empty set published');
  t.notOk(h.actions.lastSet(id)?.gone, 'but not gone: calls wait for a replica');

  // A call waits in a router of the controller's thread: a replica starts within one sample, upscaleDelayMs aside.
  h.actions.queues[id] = 3;
  await h.step(100);
  t.equal(h.actions.startedNames(id).length, 2, 'started at once from zero');
  h.actions.queues = {};
});

t.test("from zero at once when another deployment's replica reports calls waiting in its thread's routers", async t => {
  const h = fakeController(t);
  const Backend = model({ ...base, minReplicas: 0, upscaleDelayMs: 60_000 }, 'Backend');
  const Front = deployment(class Front {
    constructor(readonly backend: unknown) {}
    call(): string {
      return 'front';
    }
  }, { numReplicas: 1 });
  await h.settle(h.controller.run(Front.bind(Backend.bind()), { name: 'pipe' }));
  t.equal(h.actions.startedNames('pipe/Backend').length, 0, 'Backend starts at zero');
  const [front] = h.actions.liveOf('pipe/Front');
  h.actions.setLoad(front, 1, { 'pipe/Backend': 2 });
  // Front's load is polled every second (it does not autoscale); the next sample counts its queue.
  await h.until('a Backend replica', () => h.actions.startedNames('pipe/Backend').length > 0, 100, 1_300);
  t.pass(`Backend started ${h.now() - START} ms in`);
  h.actions.setLoad(front, 0, {});
});

t.test('upscalingFactor and downscalingFactor scale each step', async t => {
  const h = fakeController(t);
  const id = 'smooth/Model';
  const Smooth = model({ ...base, upscalingFactor: 0.5, downscalingFactor: 0.5, downscaleDelayMs: 2_000 });
  await h.settle(h.controller.run(Smooth.bind(), { name: 'smooth' }));
  const [first] = h.actions.liveOf(id);
  h.actions.setLoad(first, 8);
  await stepUntil(h, 'smooth', 'Model', () => false, () => h.actions.startedNames(id).length > 1);
  t.equal(h.actions.startedNames(id).length, 3, 'first step: 1 * (1 + (4 - 1) * 0.5) = 2.5 → 3, where factor 1 gives 4');
  await stepUntil(h, 'smooth', 'Model', () => false, () => h.actions.startedNames(id).length > 3);
  t.equal(h.actions.startedNames(id).length, 4, 'next step, an upscaleDelayMs later: 3 * (1 + (8 / 6 - 1) * 0.5) = 3.5 → 4');

  h.actions.setLoad(first, 0);
  await stepUntil(h, 'smooth', 'Model', () => false, () => h.actions.callsOf('stop').length > 0);
  await h.flush();
  t.equal(h.actions.liveOf(id).length, 2, 'idle, first step: 4 * (1 - 1 * 0.5) = 2, where factor 1 gives 1');
  await stepUntil(h, 'smooth', 'Model', () => false, () => h.actions.callsOf('stop').length > 2);
  await h.flush();
  t.equal(h.actions.liveOf(id).length, 1, 'then 2 * 0.5 = 1');
});

t.test('a steady load holds the replica count over many ticks', async t => {
  const h = fakeController(t);
  const id = 'steady/Model';
  const Steady = model({ ...base, upscaleDelayMs: 1_000, downscaleDelayMs: 2_000, lookBackPeriodMs: 1_000 });
  await h.settle(h.controller.run(Steady.bind(), { name: 'steady' }));
  // 6 calls at all times, spread over the live replicas: three replicas at the target of 2 each.
  const spread = () => {
    const live = h.actions.liveOf(id);
    for (const name of live) h.actions.setLoad(name, 6 / live.length);
  };
  spread();
  await h.runFor(10_000, 100, spread);
  t.equal(h.actions.liveOf(id).length, 3, 'reached 3');
  const started = h.actions.startedNames(id).length;
  const counts = new Set<number>();
  await h.runFor(120_000, 100, () => {
    spread();
    counts.add(h.actions.liveOf(id).length);
  });
  t.same([...counts], [3], 'the count never moved in 1200 ticks');
  t.equal(h.actions.startedNames(id).length, started, 'nothing started');
  t.equal(h.actions.callsOf('stop').length, 0, 'nothing stopped');
});

t.test('an autoscaled replica that dies is replaced after its restart back-off, not after upscaleDelayMs', async t => {
  const h = fakeController(t);
  const id = 'heal/Model';
  const Healing = model({ ...base, minReplicas: 1, initialReplicas: 3, upscaleDelayMs: 60_000, downscaleDelayMs: 60_000 });
  await h.settle(h.controller.run(Healing.bind(), { name: 'heal' }));
  for (const name of h.actions.liveOf(id)) h.actions.setLoad(name, 2); // at the target: 3 wanted
  await h.runFor(1_000);
  t.equal(h.actions.liveOf(id).length, 3, 'initialReplicas 3');
  h.actions.kill(h.actions.liveOf(id)[0]);
  await h.runFor(300); // the first restart waits 250 ms
  t.equal(h.deployment('heal', 'Model').targetReplicas, 3, 'the target stays');
  t.equal(h.actions.liveOf(id).length, 3, 'replaced');
  t.equal(h.actions.callsOf('stop').length, 0, 'no replica stopped as if the load had dropped');
});

t.test('an autoscaled deployment rolls a new version at its current size', async t => {
  const h = fakeController(t);
  const id = 'roll/Model';
  const Rolling = model({ ...base, minReplicas: 1, initialReplicas: 4, upscaleDelayMs: 60_000, downscaleDelayMs: 60_000 });
  await h.settle(h.controller.run(Rolling.bind('v1'), { name: 'roll' }));
  const load = () => {
    for (const name of h.actions.liveOf(id)) h.actions.setLoad(name, 2); // 2 per replica: 4 wanted
  };
  load();
  await h.runFor(1_000, 100, load);
  let fewest = Infinity;
  h.actions.onPublish = (deploymentId, set) => {
    if (deploymentId === id) fewest = Math.min(fewest, set.replicas.length);
  };
  await h.settle(h.controller.run(Rolling.bind('v2'), { name: 'roll' }), 100);
  t.equal(fewest, 4, 'never fewer than 4 published during the roll');
  t.equal(h.actions.liveOf(id).length, 4);
  t.equal(h.actions.startedNames(id).length, 8, 'four new replicas replaced four old ones');
  t.equal(h.deployment('roll', 'Model').targetReplicas, 4);
});

t.test('a policy that throws or returns NaN shows autoscaling.error in status and keeps the count', async t => {
  for (const [label, policy, error] of [
    ['throws', function broken(): number { throw new Error('no metrics'); }, /autoscaling policy "broken" threw Error: no metrics; keeping 2 replicas/],
    ['returns NaN', function nan(): number { return NaN; }, /autoscaling policy "nan" returned NaN, not a finite number of replicas; keeping 2 replicas/],
  ] as const) {
    await t.test(label, async t => {
      const h = fakeController(t);
      const id = 'bad/Model';
      const Bad = model({ ...base, minReplicas: 1, initialReplicas: 2, maxReplicas: 4, policy, upscaleDelayMs: 0, downscaleDelayMs: 0 });
      await h.settle(h.controller.run(Bad.bind(), { name: 'bad' }));
      for (const name of h.actions.liveOf(id)) h.actions.setLoad(name, 50);
      await h.runFor(5_000);
      const d = h.deployment('bad', 'Model');
      t.match(d.autoscaling?.error, error);
      t.match(d.message, /autoscaling policy: /, 'the deployment message says so too');
      t.equal(d.targetReplicas, 2);
      t.equal(h.actions.liveOf(id).length, 2, 'the count stays');
      t.equal(h.actions.startedNames(id).length, 2, 'nothing started or replaced');
      t.equal(h.actions.callsOf('stop').length, 0);
    });
  }
});

t.test('contradictory bounds fail when the application is built, before run() could start anything', async t => {
  const h = fakeController(t);
  const Model = model(base);
  t.throws(() => Model.bind().options({ autoscalingConfig: { minReplicas: 4, maxReplicas: 2 } }), DeploymentOptionError);
  t.throws(() => Model.bind().options({ autoscalingConfig: { minReplicas: 1, maxReplicas: 3, initialReplicas: 5 } }), DeploymentOptionError);
  t.throws(() => Model.bind().options({ numReplicas: 3 }), /numReplicas.*autoscalingConfig is given/);
  t.throws(() => deployment(class Bounds {}, { autoscalingConfig: { minReplicas: 3 } }), /above maxReplicas \(1, the default/);
  await t.rejects(async () => h.controller.run(Model.bind().options({ autoscalingConfig: { minReplicas: 4, maxReplicas: 2 } })), DeploymentOptionError);
  t.same(h.actions.calls, [], 'no replica was started, nothing published');
  t.same(h.controller.status().applications, {});
});
