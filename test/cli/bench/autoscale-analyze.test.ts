// The autoscale bench's pure parts: the step schedule it offers and the figures it reads from a run. Fed by
// hand, so a wrong window or an off-by-one in "first reply from a new replica" shows here, not in a summary.
import t from 'tap';
import { seededRandom } from '../../../src/cli/bench/arrivals.ts';
import { downscales, percentile, replicaEvents, rollingWindow, scaleDown, targetChanges, scaleUp, timeSeries, windowStats, type Sample, type VariantRun } from '../../../bench/autoscale/analyze.ts';
import { renderTimelineChart } from '../../../bench/autoscale/chart.ts';
import { arrivalSchedule, placePhases, runStepLoad, type StepLoadRecords } from '../../../bench/autoscale/step-load.ts';
import { startHttp } from '../../fixtures/bench/servers.ts';

const phases = placePhases([
  { name: 'low', rate: 10, durationMs: 1000 },
  { name: 'high', rate: 100, durationMs: 2000 },
  { name: 'low', rate: 10, durationMs: 1000 },
]);

t.test('the schedule offers exactly rate x duration arrivals inside each phase, in order', async (t) => {
  const due = arrivalSchedule(phases, seededRandom(1));
  t.equal(due.length, 10 + 200 + 10);
  for (let i = 1; i < due.length; i++) t.ok(due[i] >= due[i - 1], 'sorted');
  const inPhase = (p: (typeof phases)[number]) => Array.from(due).filter((d) => d >= p.startMs && d < p.endMs).length;
  t.same(phases.map(inPhase), [10, 200, 10]);
  t.same(Array.from(arrivalSchedule(phases, seededRandom(1))), Array.from(due), 'a seed replays the same schedule');
});

t.test('percentile is nearest-rank', async (t) => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  t.equal(percentile(xs, 99), 99);
  t.equal(percentile(xs, 50), 50);
  t.equal(percentile([7], 99), 7);
  t.ok(Number.isNaN(percentile([], 99)));
});

function records(reqs: Array<[due: number, latency: number, kind: string | null]>): StepLoadRecords {
  return {
    startedAt: 0,
    phases,
    due: Float64Array.from(reqs.map((r) => r[0])),
    done: Float64Array.from(reqs.map((r) => r[0] + r[1])),
    kind: reqs.map((r) => r[2]),
    maxLagMs: 0,
    queued: 0,
  };
}

const dep = (target: number, replicas: Array<[string, string]>) => ({
  status: 'HEALTHY',
  message: '',
  targetReplicas: target,
  replicas: replicas.map(([name, state]) => ({ name, state })),
});
const sample = (t: number, d: ReturnType<typeof dep>): Sample => ({ t, cpuMs: 10, deployment: d, served: {}, serverErrors: 0 });

t.test('a window counts the requests due in it, failures by kind, latency of the successes only', async (t) => {
  const r = records([
    [100, 5, null],
    [900, 50, null], // due in the first phase, ends in the second: counts in the first
    [1500, 10, null],
    [1600, 1, 'status:503'],
    [2500, 20, null],
  ]);
  const first = windowStats(r, 0, 1000);
  t.equal(first.count, 2);
  t.equal(first.p99, 50);
  const high = windowStats(r, 1000, 3000);
  t.equal(high.count, 3);
  t.equal(high.ok, 2);
  t.same(high.errors, { 'status:503': 1 });
  t.equal(high.p99, 20, 'the failure has no latency');
  t.equal(high.throughput, 1);
});

const run: VariantRun = {
  name: 'autoscale',
  records: records([
    [500, 4, null],
    [1200, 30, null],
    [1700, 8, null],
    [3500, 4, null],
  ]),
  samples: [
    sample(900, dep(1, [['a#0', 'RUNNING']])),
    sample(1000, dep(1, [['a#0', 'RUNNING']])),
    sample(1100, dep(1, [['a#0', 'RUNNING']])),
    sample(1300, dep(2, [['a#0', 'RUNNING'], ['a#1', 'STARTING']])),
    sample(1600, dep(2, [['a#0', 'RUNNING'], ['a#1', 'RUNNING']])),
    sample(3000, dep(2, [['a#0', 'RUNNING'], ['a#1', 'RUNNING']])),
    sample(3400, dep(1, [['a#0', 'STOPPING'], ['a#1', 'RUNNING']])),
    sample(3500, dep(1, [['a#1', 'RUNNING']])),
  ],
  firstServed: [
    { replica: 'a#0', t: 504 },
    { replica: 'a#1', t: 1708 },
  ],
  generatorCpuMs: 40,
};

t.test('scale-up is timed from the step to the decision, the new replica, RUNNING, and its first reply', async (t) => {
  const u = scaleUp(run, 1000);
  t.equal(u.targetUpAfterMs, 300);
  t.equal(u.newReplicaSeenAfterMs, 300);
  t.equal(u.runningUpAfterMs, 600);
  t.equal(u.firstServedAfterMs, 708);
  t.equal(u.newReplica, 'a#1');
  const none = scaleUp({ ...run, firstServed: [{ replica: 'a#0', t: 504 }] }, 1000);
  t.equal(none.firstServedAfterMs, null, 'a replica that served before the step is not the new one');
});

t.test('scale-down is timed from the step down, and its window counts what was due after it', async (t) => {
  const d = scaleDown(run, 3000, 4000);
  t.equal(d.targetDownAfterMs, 400);
  t.equal(d.runningDownAfterMs, 400, 'a STOPPING replica no longer counts as RUNNING');
  t.equal(d.goneAfterMs, 500, 'gone once no more replicas are listed than the target');
  t.same([d.during.from, d.during.to], [2400, 4000], '1 s before the decision to 1 s after the replica was gone, within the run');
  t.equal(d.during.count, 1);
  t.equal(d.window.count, 1);
  t.equal(d.window.failed, 0);
});

t.test('every scale-down is found, with its window, and target changes are counted per window', async (t) => {
  const d = downscales(run, 4000);
  t.equal(d.count, 1);
  t.same(d.windows, [{ from: 2400, to: 4000 }]);
  t.equal(d.window.count, 1);
  t.equal(targetChanges(run.samples, 1000, 3000), 1, 'up once during the high phase');
  t.equal(targetChanges(run.samples, 0, 4000), 2);
});

t.test('a rolling update lasts until serve.run resolved and only new replicas run, plus 1 s', async (t) => {
  const rolling: VariantRun = {
    ...run,
    samples: [
      sample(900, dep(2, [['a#0', 'RUNNING'], ['a#1', 'RUNNING']])),
      sample(1100, dep(2, [['a#0', 'STOPPING'], ['a#1', 'RUNNING'], ['a#2', 'PENDING']])),
      sample(1500, dep(2, [['a#1', 'RUNNING'], ['a#2', 'RUNNING']])),
      sample(1900, dep(2, [['a#2', 'RUNNING'], ['a#3', 'STARTING']])),
      sample(2200, dep(2, [['a#2', 'RUNNING'], ['a#3', 'RUNNING']])),
    ],
    redeploy: { sentAt: 1000, startedAt: 1001, doneAt: 1800 },
  };
  t.same(rollingWindow(rolling, 4000), { from: 1000, to: 3200, allNewAfterMs: 1200 });
  t.equal(rollingWindow(run, 4000), null, 'no redeploy, no window');
});

t.test('the series and the event list follow the samples', async (t) => {
  const s = timeSeries(run);
  const at = (ms: number) => s.find((p) => Math.abs(p.t - ms) < 1)!;
  t.equal(at(1000).running, 1);
  t.equal(at(1300).starting, 1);
  t.equal(at(1700).running, 2);
  t.equal(at(1800).p99, 30, 'p99 of the replies that ended in the last second');
  t.equal(at(1800).offered, 100);
  t.equal(at(3000).p99, null, 'no reply in the last second');
  const events = replicaEvents(run.samples).map((e) => `${e.t} ${e.event}`);
  t.ok(events.includes('1300 target 1 → 2'));
  t.ok(events.includes('1300 a#1: new → STARTING'));
  t.ok(events.includes('3400 a#0: RUNNING → STOPPING'));
  t.ok(events.includes('3500 a#0: STOPPING → gone'));
  const svg = renderTimelineChart([{ label: 'autoscale <1-2>', points: s, showTarget: true }], { title: 'a & b', phases, markers: [{ t: 2000, label: 'redeploy' }] });
  t.match(svg, /^<svg [^>]+>/);
  t.match(svg, /autoscale &lt;1-2&gt;/, 'labels are escaped');
  t.notMatch(svg, /NaN/, 'no coordinate is NaN');
});

t.test('the step load sends the whole schedule to a real server and records every outcome', async (t) => {
  let n = 0;
  const server = await startHttp((_req, res) => {
    // Every fifth request fails, one in fifty never answers within the run's timeout.
    n++;
    if (n % 50 === 0) return;
    res.statusCode = n % 5 === 0 ? 503 : 200;
    res.end('ok');
  });
  t.teardown(() => server.close());
  const seconds: number[] = [];
  const r = await runStepLoad({
    target: { url: server.url },
    phases: [
      { name: 'low', rate: 50, durationMs: 300 },
      { name: 'high', rate: 300, durationMs: 500 },
    ],
    timeoutMs: 300,
    onSecond: (p) => seconds.push(p.sent),
  });
  t.equal(r.due.length, 15 + 150);
  t.equal(server.hits, r.due.length, 'every arrival was sent');
  const kinds = new Map<string, number>();
  for (const k of r.kind) kinds.set(String(k), (kinds.get(String(k)) ?? 0) + 1);
  t.equal(kinds.get('timeout'), 3, 'the requests never answered ended as timeouts');
  t.ok((kinds.get('status:503') ?? 0) >= 30, 'the 503s are failures by status');
  for (let i = 0; i < r.due.length; i++) t.ok(r.done[i] >= r.due[i], 'a reply ends after it was due');
  t.ok(seconds.length >= 1, 'progress once a second');
});
