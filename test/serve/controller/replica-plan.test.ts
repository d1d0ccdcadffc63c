// planReplicas, the pure half of the controller's tick: how many replicas to start and which to stop, given what
// a deployment has and should have. Scaling, rolling waves with their surge, and old replicas that never served.
import t from 'tap';
import { planReplicas, surgeFor, type PlannedReplica, type ReplicaState } from '../../../src/serve/controller/index.ts';

let n = 0;
const r = (version: string, state: ReplicaState, ongoing = 0): PlannedReplica => ({ name: `${version}-${state.toLowerCase()}-${n++}`, version, state, ongoing });
const many = (count: number, version: string, state: ReplicaState) => Array.from({ length: count }, () => r(version, state));

t.test('surge: a fifth of the target, at least one', async t => {
  t.same([1, 4, 5, 6, 10, 11, 100].map(surgeFor), [1, 1, 1, 2, 2, 3, 20]);
});

t.test('scale up: start what is missing; replicas starting or waiting count', async t => {
  t.same(planReplicas([], 3, 'v1'), { start: 3, stop: [] }, 'from nothing');
  t.same(planReplicas(many(2, 'v1', 'RUNNING'), 4, 'v1'), { start: 2, stop: [] });
  t.same(planReplicas([r('v1', 'RUNNING'), r('v1', 'STARTING'), r('v1', 'PENDING')], 4, 'v1'), { start: 1, stop: [] });
  t.same(planReplicas(many(4, 'v1', 'RUNNING'), 4, 'v1'), { start: 0, stop: [] }, 'at target: nothing');
});

t.test('stopping or unhealthy replicas do not count', async t => {
  t.same(planReplicas([...many(3, 'v1', 'RUNNING'), r('v1', 'STOPPING'), r('v1', 'UNHEALTHY')], 4, 'v1'), { start: 1, stop: [] });
});

t.test('scale down: those furthest from serving go first, then the least loaded', async t => {
  const pending = r('v1', 'PENDING');
  const starting = r('v1', 'STARTING');
  const busy = r('v1', 'RUNNING', 9);
  const idle = r('v1', 'RUNNING', 1);
  const medium = r('v1', 'RUNNING', 4);
  t.same(planReplicas([busy, idle, starting, medium, pending], 1, 'v1'), { start: 0, stop: [pending.name, starting.name, idle.name, medium.name] });
  t.same(planReplicas([busy, idle, medium], 0, 'v1'), { start: 0, stop: [idle.name, medium.name, busy.name] }, 'to zero');
});

t.test('a new version starts no more than the surge beyond the target while old replicas serve', async t => {
  t.same(planReplicas(many(4, 'v1', 'RUNNING'), 4, 'v2'), { start: 1, stop: [] }, 'target 4: one at a time');
  t.same(planReplicas(many(10, 'v1', 'RUNNING'), 10, 'v2'), { start: 2, stop: [] }, 'target 10: two at a time');
  t.same(planReplicas([...many(4, 'v1', 'RUNNING'), r('v2', 'STARTING')], 4, 'v2'), { start: 0, stop: [] }, 'the wave is full while it starts');
});

t.test('an old replica stops only once a new one serves in its place', async t => {
  const old = [r('v1', 'RUNNING', 3), r('v1', 'RUNNING', 0), r('v1', 'RUNNING', 7), r('v1', 'RUNNING', 5)];
  const fresh = r('v2', 'RUNNING');
  t.same(planReplicas([...old, fresh], 4, 'v2'), { start: 0, stop: [old[1].name] }, 'one new serving: the least loaded old one goes');
  t.same(planReplicas([old[0], old[2], old[3], fresh], 4, 'v2'), { start: 1, stop: [] }, 'then the next wave starts');
  t.same(planReplicas([...old, fresh, r('v2', 'RUNNING')], 4, 'v2'), { start: 0, stop: [old[1].name, old[0].name] });
});

t.test('old replicas that do not serve yet are stopped at once', async t => {
  const oldPending = r('v1', 'PENDING');
  const oldStarting = r('v1', 'STARTING');
  const plan = planReplicas([oldPending, oldStarting, ...many(2, 'v1', 'RUNNING')], 4, 'v2');
  t.same(plan.stop, [oldPending.name, oldStarting.name]);
  t.equal(plan.start, 3, 'room for the surge beyond the 2 old serving: 4 + 1 - 2');
  t.same(planReplicas([oldPending, oldStarting], 2, 'v2'), { start: 2, stop: [oldPending.name, oldStarting.name] }, 'nothing old serves: start all');
});

t.test('more current replicas than the target: the extra ones and every old one go', async t => {
  const old = many(2, 'v1', 'RUNNING');
  const current = [...many(4, 'v2', 'RUNNING'), r('v2', 'RUNNING', 3)];
  const plan = planReplicas([...old, ...current], 4, 'v2');
  t.equal(plan.start, 0);
  t.same(plan.stop.sort(), [current[0].name, ...old.map(o => o.name)].sort());
});

t.test('a roll driven to the end keeps the target serving and the surge in bounds, for any target', async t => {
  for (let target = 1; target <= 12; target++) {
    let replicas: PlannedReplica[] = many(target, 'v1', 'RUNNING');
    const surge = surgeFor(target);
    let steps = 0;
    let broken = '';
    while (replicas.some(x => x.version === 'v1') || replicas.filter(x => x.state === 'RUNNING').length < target) {
      if (++steps > 100) {
        broken = 'did not finish';
        break;
      }
      // A tick: what started last tick now runs; the plan acts.
      replicas = replicas.map(x => (x.state === 'STARTING' ? { ...x, state: 'RUNNING' } : x));
      const plan = planReplicas(replicas, target, 'v2');
      replicas = replicas.filter(x => !plan.stop.includes(x.name));
      replicas.push(...many(plan.start, 'v2', 'STARTING'));
      const serving = replicas.filter(x => x.state === 'RUNNING').length;
      if (serving < target) broken ||= `step ${steps}: ${serving} serving`;
      if (replicas.length > target + surge) broken ||= `step ${steps}: ${replicas.length} replicas`;
    }
    t.equal(broken, '', `target ${target}: ${steps} steps`);
  }
});
