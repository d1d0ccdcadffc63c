import t from 'tap';
import {
  averageOngoing, decideScale, defaultAutoscalingPolicy, type AutoscalingPolicy, type ScaleDecision, type ScaleState,
} from '../../src/serve/autoscaling-policy.ts';
import { resolveOptions, type AutoscalingConfig, type ResolvedAutoscaling } from '../../src/serve/options.ts';

/** A resolved config from the real option resolver, so defaults and checks are the ones users get. */
const config = (c: AutoscalingConfig): ResolvedAutoscaling => resolveOptions('Model', { autoscalingConfig: c }).autoscaling!;
const base: AutoscalingConfig = { minReplicas: 1, maxReplicas: 10, targetOngoingRequests: 2, upscaleDelayMs: 3_000, downscaleDelayMs: 10_000 };
const policy = (current: number, total: number, c: AutoscalingConfig = base) =>
  defaultAutoscalingPolicy({ currentReplicas: current, totalOngoingRequests: total, config: config(c), now: 0 });

/** Drives decideScale like the controller's tick: fake time, the replica count follows each target at once. */
function simulate(c: ResolvedAutoscaling, start: number, load: (now: number) => number | undefined, ticks: number, everyMs = 100, p?: AutoscalingPolicy) {
  let current = start;
  let state: ScaleState = {};
  const targets: number[] = [];
  const changes: { at: number; from: number; to: number }[] = [];
  for (let i = 1; i <= ticks; i++) {
    const now = i * everyMs;
    const d: ScaleDecision = decideScale({ config: c, currentReplicas: current, totalOngoingRequests: load(now), now, state, policy: p });
    state = d.state;
    if (d.target !== current) changes.push({ at: now, from: current, to: d.target });
    current = d.target;
    targets.push(current);
  }
  return { targets, changes, current };
}

t.test("default policy: Ray's queue length formula", async t => {
  t.equal(policy(2, 4), 2, 'at the target: stay');
  t.equal(policy(2, 8), 4, 'twice the target per replica: twice the replicas');
  t.equal(policy(2, 5), 3, 'ceil(2 * 1.25)');
  t.equal(policy(4, 4), 2, 'half the target: half the replicas');
  t.equal(policy(4, 0.1), 1, 'never below minReplicas');
  t.equal(policy(4, 1000), 10, 'never above maxReplicas');
  t.equal(policy(0, 0.1, { ...base, minReplicas: 0 }), 1, 'from zero, any load asks for a replica');
  t.equal(policy(0, 9, { ...base, minReplicas: 0 }), 5, 'from zero: ceil(total / target)');
  t.equal(policy(0, 0, { ...base, minReplicas: 0 }), 0, 'from zero with no load: zero');
  t.equal(policy(1, 0, { ...base, minReplicas: 0 }), 0, 'idle: zero when minReplicas allows');
});

t.test('default policy: smoothing factors', async t => {
  // ratio 3 at 2 replicas: 2 * (1 + 2 * f)
  t.equal(policy(2, 12, { ...base, upscalingFactor: 0.5 }), 4, 'half the upscale step');
  t.equal(policy(2, 12, { ...base, upscalingFactor: 2 }), 10, 'twice the step (clamped to max)');
  t.equal(policy(2, 12, { ...base, upscalingFactor: 0.5, downscalingFactor: 0.01 }), 4, 'the downscaling factor leaves an upscale alone');
  // ratio 0.25 at 8 replicas: 8 * (1 - 0.75 * f)
  t.equal(policy(8, 4), 2);
  t.equal(policy(8, 4, { ...base, downscalingFactor: 0.5 }), 5, 'ceil(8 * 0.625)');
  t.equal(policy(8, 4, { ...base, downscalingFactor: 0.01 }), 7, 'a step that rounds back to current still moves by one (Ray)');
  t.equal(policy(2, 3.9, { ...base, downscalingFactor: 0.01 }), 2, 'but not when the load needs every replica: ceil(3.9 / 2) = 2');
});

t.test('averageOngoing: the window is (now - lookBack, now]', async t => {
  const samples = [
    { at: 0, ongoing: 100 },
    { at: 100, ongoing: 2 },
    { at: 500, ongoing: 4 },
    { at: 1_000, ongoing: 6 },
    { at: 1_100, ongoing: 1_000 },
  ];
  t.equal(averageOngoing(samples, 1_000, 1_000), 4, 'excludes at = now - lookBack and samples after now');
  t.equal(averageOngoing(samples, 1_099, 1_000), 4);
  t.equal(averageOngoing(samples, 1_100, 1_000), (4 + 6 + 1_000) / 3, 'the sample at 100 falls out exactly at 1100');
  t.equal(averageOngoing(samples, 999, 1_000), (100 + 2 + 4) / 3, 'at 0 is inside (−1, 999]');
  t.equal(averageOngoing(samples, 5_000, 1_000), undefined, 'nothing recent');
  t.equal(averageOngoing([], 10, 1_000), undefined);
  t.equal(averageOngoing([{ at: 10, ongoing: 0 }], 10, 1), 0, 'an idle sample is a zero, not a missing one');
});

t.test('up after upscaleDelayMs of sustained demand, not before', async t => {
  const c = config(base);
  let state: ScaleState = {};
  const at = (now: number, total = 12) => {
    const d = decideScale({ config: c, currentReplicas: 2, totalOngoingRequests: total, now, state });
    state = d.state;
    return d.target;
  };
  t.equal(at(1_000), 2, 'demand starts: the timer starts');
  t.same(state, { upSince: 1_000 });
  t.equal(at(2_000), 2);
  t.equal(at(3_999), 2, '1 ms before the delay');
  t.equal(at(4_000), 6, 'at the delay: the policy’s desired count, not one more');
  t.same(state, {}, 'the up timer restarts after scaling');

  // The same delay measured in time whatever the tick rate.
  const slow = simulate(c, 2, () => 12, 10, 1_000);
  t.same(slow.changes, [{ at: 4_000, from: 2, to: 6 }], 'ticks every 1 s: up 3 s after the demand began at 1 s');
  const fast = simulate(c, 2, () => 12, 100, 50);
  t.same(fast.changes, [{ at: 3_050, from: 2, to: 6 }], 'ticks every 50 ms: up 3 s after 50 ms');
});

t.test('the up timer restarts when demand falls back to current or flips', async t => {
  const c = config(base);
  let state: ScaleState = {};
  const at = (now: number, total: number) => {
    const d = decideScale({ config: c, currentReplicas: 2, totalOngoingRequests: total, now, state });
    state = d.state;
    return d.target;
  };
  at(0, 12);
  at(2_000, 12);
  t.equal(at(2_500, 4), 2, 'back at the target');
  t.same(state, {});
  t.equal(at(3_000, 12), 2, 'demand again: a fresh timer');
  t.equal(at(5_999, 12), 2, 'the earlier 2 s do not count');
  t.equal(at(6_000, 12), 6);

  state = {};
  at(0, 12);
  t.equal(at(1_000, 0.5), 2, 'flip to downscale');
  t.same(state, { downSince: 1_000 }, 'the up timer is gone, the down timer starts');
  t.equal(at(3_000, 12), 2, 'up again is not counted from 0');
  t.same(state, { upSince: 3_000 });
});

t.test('down after downscaleDelayMs; the last replica after downscaleToZeroDelayMs', async t => {
  const c = config({ ...base, minReplicas: 0, downscaleToZeroDelayMs: 60_000 });
  const r = simulate(c, 4, () => 0, 1_000, 100);
  t.same(
    r.changes,
    [
      { at: 10_100, from: 4, to: 1, },
      { at: 70_200, from: 1, to: 0 },
    ],
    'down to one after downscaleDelayMs (never straight to zero from more than one), then to zero after its own delay',
  );
  const nine = simulate(c, 4, () => 0, 100, 100);
  t.same(nine.changes, [], 'nothing within the first 10 s');

  const d = config({ ...base, minReplicas: 0, downscaleDelayMs: 1_000, downscaleToZeroDelayMs: 5_000 });
  const partial = simulate(d, 6, () => 5, 20, 100);
  t.same(partial.changes, [{ at: 1_100, from: 6, to: 3 }], 'to ceil(5 / 2) = 3, in one step');
  const zero = simulate(d, 1, () => 0, 100, 100);
  t.same(zero.changes, [{ at: 5_100, from: 1, to: 0 }], 'downscaleToZeroDelayMs, not downscaleDelayMs, for 1 → 0');
});

t.test('from zero replicas: up at once, whatever the delay', async t => {
  const c = config({ ...base, minReplicas: 0, upscaleDelayMs: 30_000 });
  const d = decideScale({ config: c, currentReplicas: 0, totalOngoingRequests: 0.2, now: 5, state: {} });
  t.equal(d.target, 1, 'one waiting request: one replica now');
  t.same(d.state, {});
  t.equal(decideScale({ config: c, currentReplicas: 0, totalOngoingRequests: 7, now: 5, state: {} }).target, 4, 'enough for the load at once');
  t.equal(decideScale({ config: c, currentReplicas: 0, totalOngoingRequests: 0, now: 5, state: {} }).target, 0, 'no load: stay at zero');
  const withDelay = decideScale({ config: c, currentReplicas: 1, totalOngoingRequests: 7, now: 5, state: {} });
  t.equal(withDelay.target, 1, 'from one replica the delay applies again');
});

t.test('clamps: the target is an integer within [min, max]', async t => {
  const c = config({ ...base, minReplicas: 2, maxReplicas: 5, upscaleDelayMs: 0, downscaleDelayMs: 0 });
  const run = (current: number, p: AutoscalingPolicy, total: number | 'no samples' = 1) =>
    decideScale({ config: c, currentReplicas: current, totalOngoingRequests: total === 'no samples' ? undefined : total, now: 0, state: {}, policy: p });
  t.equal(run(3, () => 100).target, 5, 'above max');
  t.equal(run(3, () => -4).target, 2, 'below min');
  t.equal(run(3, () => 3.2).target, 4, 'fractional desired rounds up');
  t.equal(run(3, () => 4.0000000001).target, 4, 'float noise does not add a replica');
  t.equal(run(9, () => 9).target, 5, 'a count above max (after a config change) comes back into bounds');
  t.equal(run(0, () => 0).target, 2, 'a count below min goes up to min');
  t.equal(run(7, () => 7, 'no samples').target, 5, 'no samples yet: current, clamped');
  t.equal(run(3, () => 9, 'no samples').target, 3, 'no samples yet: the policy is not asked');
  const cfgPolicy = config({ ...base, policy: () => 7, upscaleDelayMs: 0 });
  t.equal(decideScale({ config: cfgPolicy, currentReplicas: 2, totalOngoingRequests: 1, now: 0, state: {} }).target, 7, 'the config’s policy is used');
  let seen: unknown;
  decideScale({
    config: cfgPolicy, currentReplicas: 3, totalOngoingRequests: 4.5, now: 42, state: {},
    policy: ctx => { seen = { current: ctx.currentReplicas, total: ctx.totalOngoingRequests, now: ctx.now, max: ctx.config.maxReplicas }; return 3; },
  });
  t.same(seen, { current: 3, total: 4.5, now: 42, max: 10 }, 'the policy sees the context');
});

t.test('a throwing or NaN policy keeps current and says why', async t => {
  const c = config({ ...base, upscaleDelayMs: 0 });
  const boom: AutoscalingPolicy = function boom() {
    throw new Error('no metrics');
  };
  const thrown = decideScale({ config: c, currentReplicas: 3, totalOngoingRequests: 40, now: 0, state: { upSince: 0 }, policy: boom });
  t.equal(thrown.target, 3);
  t.match(thrown.error, /autoscaling policy "boom" threw Error: no metrics; keeping 3 replicas\. Fix autoscalingConfig\.policy\./);
  for (const [value, shown] of [[NaN, 'NaN'], [Infinity, 'Infinity'], ['4', '"4"'], [undefined, 'undefined']] as const) {
    const d = decideScale({ config: c, currentReplicas: 3, totalOngoingRequests: 40, now: 0, state: {}, policy: (() => value) as any });
    t.equal(d.target, 3, `${shown}: keeps current`);
    t.match(d.error, new RegExp(`returned ${shown}, not a finite number of replicas; keeping 3 replicas`), shown);
  }
  t.equal(decideScale({ config: c, currentReplicas: 3, totalOngoingRequests: 40, now: 0, state: {} }).error, undefined, 'the default policy: no error');
});

t.test('no oscillation under a steady load near a threshold', async t => {
  const c = config({ ...base, minReplicas: 1, maxReplicas: 20, upscaleDelayMs: 3_000, downscaleDelayMs: 10_000 });
  // Loads just above and just below multiples of the target (2 per replica), and right on them.
  for (const load of [3.9, 4, 4.1, 5.99, 6, 6.01, 10.5, 19.999]) {
    for (const start of [1, 2, 3, 5, 12]) {
      const r = simulate(c, start, () => load, 1_000, 100);
      const ups = r.changes.filter(ch => ch.to > ch.from).length;
      const downs = r.changes.filter(ch => ch.to < ch.from).length;
      t.ok(ups === 0 || downs === 0, `load ${load} from ${start}: one direction only (${JSON.stringify(r.changes)})`);
      t.ok(r.changes.length <= 1, `load ${load} from ${start}: at most one move in 100 s`);
      t.equal(r.current, Math.max(1, Math.ceil(load / 2 - 1e-9)), `load ${load} from ${start}: settles on ceil(load / target)`);
    }
  }
  // A load wobbling around the threshold (every other tick above it) never holds the demand for the delay.
  const wobble = simulate(c, 2, now => (now % 200 === 0 ? 4.2 : 3.8), 1_000, 100);
  t.same(wobble.changes, [], 'a wobble around the threshold does not move the count');
});

t.test('load steps: up within the delay of a step, down after its delay', async t => {
  const c = config({ ...base, minReplicas: 1, maxReplicas: 8, upscaleDelayMs: 1_000, downscaleDelayMs: 5_000 });
  const load = (now: number) => (now <= 2_000 ? 1 : now <= 12_000 ? 12 : 1);
  const r = simulate(c, 1, load, 300, 100);
  t.same(r.changes, [
    { at: 3_100, from: 1, to: 6 },
    { at: 17_100, from: 6, to: 1 },
  ]);
});
