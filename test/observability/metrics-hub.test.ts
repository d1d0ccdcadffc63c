// The main thread's hub without threads: replicas' cumulative reports replace each other, a retired replica's
// counters stay in the totals while its gauges go, series are capped, a failing collector or a hanging refresher
// does not stop a scrape, and histograms render as Prometheus expects.
import t from 'tap';
import {
  LocalRegistry, MAX_SERIES, OVERFLOW_LABEL, type MetricDef, type MetricSnapshot,
} from '../../src/observability/metrics-local.ts';
import { METRICS, MetricsHub, recordHttpRequest, threadMetrics, type ThreadReport } from '../../src/observability/index.ts';

const labels = (replica: string) => ({ application: 'app', deployment: 'Dep', replica });

function report(calls: number, durations: number[]): ThreadReport {
  const reg = new LocalRegistry();
  const requests = reg.define(METRICS.replicaRequests, true);
  const duration = reg.define(METRICS.replicaDuration, true);
  requests.inc(['run', 'ok'], calls);
  for (const d of durations) duration.observe(['run'], d);
  return { metrics: reg.snapshot(), heapUsed: 1000, lag: 0.001, gauges: {} };
}

function line(text: string, prefix: string): number | undefined {
  const l = text.split('\n').find(x => x.startsWith(prefix + ' '));
  return l === undefined ? undefined : Number(l.slice(prefix.length + 1));
}

const REQ = 'troupe_replica_requests_total{application="app",deployment="Dep",method="run",outcome="ok"}';

t.test('cumulative reports replace each other; a retired replica keeps its counts in the totals, loses its gauges', async t => {
  const hub = new MetricsHub();
  hub.report('app/Dep#0', labels('app/Dep#0'), report(5, [0.002]));
  t.equal(line(await hub.render(), REQ), 5);
  hub.report('app/Dep#0', labels('app/Dep#0'), report(7, [0.002, 0.02]));
  let text = await hub.render();
  t.equal(line(text, REQ), 7, 'a later report replaces the earlier one (values are cumulative)');
  t.equal(line(text, 'troupe_heap_used_bytes{thread="app/Dep#0"}'), 1000);
  hub.report('app/Dep#1', labels('app/Dep#1'), report(1, [0.5]));
  t.equal(line(await hub.render(), REQ), 8, 'two replicas are summed');

  hub.retire('app/Dep#0');
  text = await hub.render();
  t.equal(line(text, REQ), 8, 'the counter does not go down when a replica goes');
  t.equal(line(text, 'troupe_replica_processing_duration_seconds_count{application="app",deployment="Dep",method="run"}'), 3);
  t.equal(line(text, 'troupe_heap_used_bytes{thread="app/Dep#0"}'), undefined, 'its gauges are gone');
  t.equal(line(text, 'troupe_heap_used_bytes{thread="app/Dep#1"}'), 1000);
  hub.retire('app/Dep#0');
  t.equal(line(await hub.render(), REQ), 8, 'retiring twice counts once');
  hub.report('app/Dep#2', labels('app/Dep#2'), report(4, []));
  t.equal(line(await hub.render(), REQ), 12, 'a replacement adds to the totals');
  hub.report('x', labels('x'), { not: 'a report' });
  t.equal(hub.sources, 2, 'something that is not a report is ignored');
});

t.test('histograms render cumulative buckets, sum and count', async t => {
  const hub = new MetricsHub();
  hub.report('h#0', labels('h#0'), report(0, [0.0005, 0.003, 0.003, 100]));
  const text = await hub.render();
  const l = (le: string) => line(text, `troupe_replica_processing_duration_seconds_bucket{le="${le}",application="app",deployment="Dep",method="run"}`)
    ?? line(text, `troupe_replica_processing_duration_seconds_bucket{application="app",deployment="Dep",method="run",le="${le}"}`);
  t.equal(l('0.001'), 1);
  t.equal(l('0.0025'), 1);
  t.equal(l('0.005'), 3);
  t.equal(l('60'), 3);
  t.equal(l('+Inf'), 4);
  t.equal(line(text, 'troupe_replica_processing_duration_seconds_sum{application="app",deployment="Dep",method="run"}'), 100.0065);
  t.match(text, /# TYPE troupe_replica_processing_duration_seconds histogram/);
});

t.test('series are capped: label sets past MAX_SERIES share one series', async t => {
  const reg = new LocalRegistry();
  const def: MetricDef = { name: 'test_capped_total', help: 'capped', type: 'counter', labelNames: ['k'] };
  const m = reg.define(def);
  for (let i = 0; i < MAX_SERIES + 50; i++) m.inc([`v${i}`]);
  t.equal(m.size, MAX_SERIES + 1);
  const snap = m.snapshot() as MetricSnapshot;
  t.equal(snap.series.find(s => s.l[0] === OVERFLOW_LABEL)?.v, 50);

  // The proxy's labels are bounded before the cap: made-up methods read OTHER, unmatched paths _unmatched.
  for (let i = 0; i < 2000; i++) recordHttpRequest(undefined, undefined, `M${i}`, 404, 0.001);
  const http = threadMetrics.get('troupe_http_requests_total')!.snapshot();
  t.same(http.series.map(s => s.l), [['', '_unmatched', 'OTHER', '404']]);
  t.equal(http.series[0]!.v, 2000);
});

t.test('a failing collector or a hanging refresher does not stop a scrape', async t => {
  const hub = new MetricsHub();
  hub.addCollector(() => {
    throw new Error('broken reader');
  });
  hub.addRefresher(() => new Promise(() => {}));
  const stop = hub.addCollector(() => [{ def: METRICS.targetReplicas, labels: ['a', 'b'], value: 3 }]);
  const text = await hub.render();
  t.equal(line(text, 'troupe_autoscaling_target_replicas{application="a",deployment="b"}'), 3);
  t.match(text, /# troupe: a metrics collector failed: broken reader/);
  stop();
  t.equal(line(await hub.render(), 'troupe_autoscaling_target_replicas{application="a",deployment="b"}'), undefined, 'a removed collector is not read');
});

t.test('bad definitions and values get clear errors', async t => {
  const reg = new LocalRegistry(name => (name.startsWith('troupe_') ? METRICS.httpRequests : undefined));
  t.throws(() => reg.define({ name: 'troupe_x', help: 'h', type: 'counter', labelNames: [] }), { code: 'TROUPE_ERR_METRIC_NAME_CLASH' });
  t.throws(() => reg.define({ name: 'h', help: 'h', type: 'histogram', labelNames: [], buckets: [2, 1] }), { code: 'TROUPE_ERR_METRIC_DEFINITION', message: /ascending/ });
  t.throws(() => reg.define({ name: 'h2', help: 'h', type: 'histogram', labelNames: ['le'], buckets: [1] }), { message: /le/ });
  const c = reg.define({ name: 'c', help: 'h', type: 'counter', labelNames: ['a'] });
  t.throws(() => c.inc(['x'], -1), { message: /only goes up/ });
  t.throws(() => c.inc([]), { message: /takes labels \[a\]/ });
});
