// /metrics on the admin port, end to end: real replicas in worker threads, requests through the HTTP proxy,
// values checked after a known load; a scrape while a replica dies and restarts; user metrics whose names clash.
import t from 'tap';
import { AdminServer, Deployer, serve } from '../../src/admin/index.ts';
import { silentLogger } from '../../src/http/index.ts';
import { Counter, Gauge, MetricDefinitionError, MetricNameClashError } from '../../src/index.ts';
import { nativeAvailable } from '../../src/native/index.ts';
import { ClashA, ClashB, Doubler, Fragile, Front, Holder, Sickly, Slotted, Summer } from './metrics-apps.ts';

interface Line {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Line[] {
  const out: Line[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the one series of `name` whose labels include `labels`; undefined when there is none. */
function value(lines: Line[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = lines.filter(l => l.name === name && Object.entries(labels).every(([k, v]) => l.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} series of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

let admin: AdminServer;
let adminBase = '';
let base = '';

t.before(async () => {
  await serve.start({ http: { port: 0, logger: silentLogger } });
  base = `http://127.0.0.1:${serve.address!.port}`;
  admin = new AdminServer({ port: 0, deployer: new Deployer(serve, { capacity: { cpus: 4, gpus: [], memoryMb: 8192 } }) });
  adminBase = `http://127.0.0.1:${(await admin.listen()).port}`;
});
t.teardown(async () => {
  await admin.close();
  await serve.shutdown({ timeoutMs: 2000 });
});

async function scrape(): Promise<{ status: number; type: string | null; text: string; lines: Line[] }> {
  const res = await fetch(`${adminBase}/metrics`);
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), text, lines: res.status === 200 ? parse(text) : [] };
}

t.test('after a known load, /metrics counts every request once, across two replicas in worker threads', async t => {
  await serve.run(Front.bind(Doubler.bind(), Summer.bind()), { name: 'm', routePrefix: '/m' });
  const N = 10;
  for (let i = 0; i < N; i++) {
    const res = await fetch(`${base}/m/double/${i}`);
    t.same(await res.json(), { value: 2 * i });
  }
  // 8 concurrent calls into a maxBatchSize 4 batcher that never times out: exactly two batches of 4.
  const sums = await Promise.all(Array.from({ length: 8 }, (_, i) => fetch(`${base}/m/add/${i}`).then(r => r.json() as Promise<{ value: number }>)));
  t.same(sums.map(s => s.value), [1, 2, 3, 4, 5, 6, 7, 8]);
  await (await fetch(`${base}/-/healthz`)).text();
  const missing = await fetch(`${base}/m/nothing/here`);
  t.equal(missing.status, 404);
  await missing.text();

  const { status, type, lines } = await scrape();
  t.equal(status, 200);
  t.match(type, /^text\/plain; version=0\.0\.4/);
  const http = { application: 'm', route: '/double/:n', method: 'GET' };
  t.equal(value(lines, 'troupe_http_requests_total', { ...http, status: '200' }), N, 'proxy: N requests');
  t.equal(value(lines, 'troupe_http_request_duration_seconds_count', { application: 'm', route: '/double/:n' }), N, 'proxy histogram: N observations');
  t.equal(value(lines, 'troupe_http_request_duration_seconds_bucket', { application: 'm', route: '/double/:n', le: '+Inf' }), N);
  t.equal(value(lines, 'troupe_http_requests_total', { application: 'm', route: '/add/:n', status: '200' }), 8);
  t.equal(value(lines, 'troupe_http_requests_total', { application: 'm', route: '_unmatched', status: '404' }), 1, 'an unmatched path counts under one label');
  t.equal(value(lines, 'troupe_http_requests_total', { application: '', route: '/-/healthz', status: '200' }), 1, 'the health probe under its own path');

  const doubler = { application: 'm', deployment: 'Doubler', method: 'double' };
  t.equal(value(lines, 'troupe_replica_requests_total', { ...doubler, outcome: 'ok' }), N, 'both Doubler replicas together: N calls');
  t.equal(value(lines, 'troupe_replica_processing_duration_seconds_count', doubler), N);
  t.equal(value(lines, 'troupe_replica_requests_total', { application: 'm', deployment: 'Front', method: 'double', outcome: 'ok' }), N, 'the ingress replica ran each route call');
  const threads = lines.filter(l => l.name === 'troupe_heap_used_bytes' && l.labels.thread?.startsWith('m/Doubler#'));
  t.equal(threads.length, 2, 'each Doubler replica thread reports its heap');
  t.ok(threads.every(l => l.value > 0));
  t.ok((value(lines, 'troupe_heap_used_bytes', { thread: 'main' }) ?? 0) > 0, 'and so does the main thread');
  t.type(value(lines, 'troupe_event_loop_lag_seconds', { thread: 'main' }), 'number');
  t.ok((value(lines, 'process_resident_memory_bytes') ?? 0) > 0, 'prom-client\'s process metrics come along');

  const summer = { application: 'm', deployment: 'Summer', method: 'add' };
  t.equal(value(lines, 'troupe_batch_size_count', summer), 2, 'two batches');
  t.equal(value(lines, 'troupe_batch_size_sum', summer), 8, 'of 8 calls');
  t.equal(value(lines, 'troupe_batch_size_bucket', { ...summer, le: '2' }), 0);
  t.equal(value(lines, 'troupe_batch_size_bucket', { ...summer, le: '4' }), 2, 'each of 4');
  t.equal(value(lines, 'troupe_batch_wait_seconds_count', summer), 2);

  t.equal(value(lines, 'troupe_replicas', { application: 'm', deployment: 'Doubler', state: 'RUNNING' }), 2);
  t.equal(value(lines, 'troupe_replicas', { application: 'm', deployment: 'Doubler', state: 'STARTING' }), 0);
  t.equal(value(lines, 'troupe_autoscaling_target_replicas', { application: 'm', deployment: 'Doubler' }), 2);
  t.equal(value(lines, 'troupe_replica_starts_total', { application: 'm', deployment: 'Doubler' }), 2);
  t.equal(value(lines, 'troupe_replica_health_check_failures_total', { application: 'm', deployment: 'Doubler' }), 0);
  t.equal(value(lines, 'troupe_deployment_ongoing_requests', { application: 'm', deployment: 'Doubler' }), 0, 'nothing in flight after the load');
  t.equal(value(lines, 'troupe_deployment_queued_requests', { application: 'm', deployment: 'Doubler' }), 0);
  t.equal(lines.filter(l => l.name === 'troupe_replica_ongoing_requests' && l.labels.deployment === 'Doubler').length, 2);
  t.ok((value(lines, 'troupe_object_store_capacity_bytes') ?? 0) > 0, 'the object store reports its size');
  t.type(value(lines, 'troupe_object_store_bytes_used'), 'number');
  t.type(value(lines, 'troupe_object_store_objects'), 'number');
  t.equal(value(lines, 'troupe_object_store_failed_puts_total'), 0);

  // A second load adds to the same series: the counters are cumulative.
  for (let i = 0; i < 3; i++) await (await fetch(`${base}/m/double/${i}`)).text();
  const again = (await scrape()).lines;
  t.equal(value(again, 'troupe_http_requests_total', { ...http, status: '200' }), N + 3);
  t.equal(value(again, 'troupe_replica_requests_total', { ...doubler, outcome: 'ok' }), N + 3);
  await serve.delete('m');
});

t.test('a scrape while a replica dies and restarts answers; its counts stay in the totals, its gauges go', async t => {
  const handle = await serve.run(Fragile.bind(), { name: 'f', routePrefix: '/f' });
  for (let i = 0; i < 3; i++) t.equal(await handle.ok(), 'ok');
  let lines = (await scrape()).lines;
  const calls = { application: 'f', deployment: 'Fragile', method: 'ok', outcome: 'ok' };
  t.equal(value(lines, 'troupe_replica_requests_total', calls), 3);
  t.equal(value(lines, 'test_fragile_calls_total', { application: 'f', deployment: 'Fragile', kind: 'ok' }), 3, 'a user counter from the replica, with its deployment');
  t.type(value(lines, 'troupe_heap_used_bytes', { thread: 'f/Fragile#0' }), 'number');

  // Scrapes run while the replica dies, is noticed and restarts: every one answers in full.
  const dying = handle.crash().catch(err => err as Error);
  const during = await Promise.all(Array.from({ length: 5 }, () => scrape()));
  t.ok(during.every(s => s.status === 200 && s.text.includes('troupe_replicas')), 'every scrape answered');
  t.match((await dying).message, /died|crash/);
  for (let i = 0; ; i++) {
    const st = serve.status().applications.f?.deployments.Fragile;
    if (st?.replicas.length === 1 && st.replicas[0]!.state === 'RUNNING' && st.replicas[0]!.name !== 'f/Fragile#0') break;
    if (i > 500) throw new Error(`the replica did not restart: ${JSON.stringify(st)}`);
    await scrape(); // scraping all along
  }
  for (let i = 0; i < 2; i++) t.equal(await handle.ok(), 'ok');
  lines = (await scrape()).lines;
  t.equal(value(lines, 'troupe_replica_requests_total', calls), 5, 'the dead replica\'s 3 calls stay in the total: the counter never goes down');
  t.equal(value(lines, 'test_fragile_calls_total', { application: 'f', deployment: 'Fragile', kind: 'ok' }), 5);
  t.equal(value(lines, 'troupe_heap_used_bytes', { thread: 'f/Fragile#0' }), undefined, 'the dead replica\'s gauges are gone');
  t.equal(lines.filter(l => l.name === 'troupe_replica_ongoing_requests' && l.labels.deployment === 'Fragile').length, 1);
  t.equal(value(lines, 'troupe_replica_starts_total', { application: 'f', deployment: 'Fragile' }), 2, 'the first start and the restart');
  await serve.delete('f');
});

t.test('a metric name that clashes gets a clear error; the scrape still answers', async t => {
  t.throws(() => new Counter({ name: 'troupe_http_requests_total', help: 'mine' }), { code: 'TROUPE_ERR_METRIC_NAME_CLASH', message: /troupe's own metrics/ });
  t.ok(new Counter({ name: 'test_main_total', help: 'counted here' }), 'a new name is fine');
  t.ok(new Counter({ name: 'test_main_total', help: 'counted here' }), 'and the same definition again returns the metric');
  const err = t.throws(() => new Gauge({ name: 'test_main_total', help: 'now a gauge' })) as Error;
  t.ok(err instanceof MetricNameClashError);
  t.match(err.message, /already defined as a counter.*choose another name/);
  t.throws(() => new Counter({ name: '9 bad name', help: 'x' }), MetricDefinitionError);
  t.throws(() => new Counter({ name: 'test_labels', help: 'x', labelNames: ['deployment'] }), { code: 'TROUPE_ERR_METRIC_DEFINITION', message: /added by troupe/ });
  t.throws(() => new Counter({ name: 'test_no_help', help: '' }), { message: /needs a help text/ });

  // Two replicas define one name differently: each thread accepts its own, the scrape keeps the first and says why.
  const a = await serve.run(ClashA.bind(), { name: 'ca', routePrefix: '/ca' });
  const b = await serve.run(ClashB.bind(), { name: 'cb', routePrefix: '/cb' });
  t.equal(await a.touch(), 1);
  t.equal(await b.touch(), 2);
  const { status, text, lines } = await scrape();
  t.equal(status, 200);
  t.equal(lines.filter(l => l.name === 'test_clash_metric').length, 1, 'one definition kept');
  t.match(text, /# troupe: metric test_clash_metric is already defined as a/, 'the other is named in a comment');
  t.equal(await a.touch(), 1, 'the replicas keep serving');
  await serve.delete('ca');
  await serve.delete('cb');
});

t.test('with an admin token, /metrics needs it like every admin call', async t => {
  const guarded = new AdminServer({ port: 0, token: 'scrape-secret', deployer: new Deployer(serve, { capacity: { cpus: 4, gpus: [], memoryMb: 8192 } }) });
  const { port } = await guarded.listen();
  t.teardown(() => guarded.close());
  const refused = await fetch(`http://127.0.0.1:${port}/metrics`);
  t.equal(refused.status, 401);
  await refused.text();
  const ok = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: 'Bearer scrape-secret' } });
  t.equal(ok.status, 200);
  t.match(await ok.text(), /# TYPE troupe_heap_used_bytes gauge/);
});

t.test('slots a replica holds are shown per replica, and go with it', { skip: nativeAvailable() ? false : 'the native addon is not built (npm run build:native)' }, async t => {
  const handle = await serve.run(Slotted.bind(), { name: 's', routePrefix: '/s' });
  t.equal(await handle.bytes(), 1 << 20);
  const { lines } = await scrape();
  t.equal(value(lines, 'troupe_gpu_slot_bytes', { application: 's', deployment: 'Slotted', replica: 's/Slotted#0' }), 1 << 20);
  await serve.delete('s');
  t.equal(value((await scrape()).lines, 'troupe_gpu_slot_bytes', { application: 's' }), undefined, 'gone with its replica');
});

t.test('failed health checks are counted, and the replacement\'s start', async t => {
  const handle = await serve.run(Sickly.bind(), { name: 'h', routePrefix: '/h' });
  const ad = { application: 'h', deployment: 'Sickly' };
  t.equal(value((await scrape()).lines, 'troupe_replica_health_check_failures_total', ad), 0);
  await handle.sicken();
  for (let i = 0; ; i++) {
    const st = serve.status().applications.h?.deployments.Sickly;
    if (st?.replicas.length === 1 && st.replicas[0]!.state === 'RUNNING' && st.replicas[0]!.name !== 'h/Sickly#0') break;
    if (i > 500) throw new Error(`the replica was not replaced: ${JSON.stringify(st)}`);
    await new Promise(r => setTimeout(r, 20));
  }
  const { lines } = await scrape();
  t.equal(value(lines, 'troupe_replica_health_check_failures_total', ad), 2, 'healthCheckFailureThreshold failures, then the replica was replaced');
  t.equal(value(lines, 'troupe_replica_starts_total', ad), 2);
  await serve.delete('h');
});

t.test('ongoing and queued calls: one running on the replica, two waiting in the router', async t => {
  const handle = await serve.run(Holder.bind(), { name: 'q', routePrefix: '/q' });
  const ad = { application: 'q', deployment: 'Holder' };
  const calls = [handle.hold(), handle.hold(), handle.hold()];
  const settled = Promise.allSettled(calls);
  let lines: Line[] = [];
  for (let i = 0; ; i++) {
    lines = (await scrape()).lines;
    if (value(lines, 'troupe_deployment_queued_requests', ad) === 2 && value(lines, 'troupe_deployment_ongoing_requests', ad) === 1) break;
    if (i > 200) throw new Error('the calls never showed as 1 running and 2 queued');
  }
  t.equal(value(lines, 'troupe_replica_ongoing_requests', { ...ad, replica: 'q/Holder#0' }), 1);
  for (const c of calls) c.cancel();
  await settled;
  // The replica hears of the cancellation on its own link: wait for its report to say so.
  const cancelled = { ...ad, method: 'hold', outcome: 'cancelled' };
  for (let i = 0; value(lines, 'troupe_replica_requests_total', cancelled) !== 1; i++) {
    if (i > 200) throw new Error('the cancelled call was never counted');
    lines = (await scrape()).lines;
  }
  t.equal(value(lines, 'troupe_deployment_queued_requests', ad), 0);
  t.equal(value(lines, 'troupe_deployment_ongoing_requests', ad), 0);
  t.equal(value(lines, 'troupe_replica_requests_total', { ...ad, method: 'hold', outcome: 'ok' }), 0, 'the running call was cancelled; the queued ones never ran');
  await serve.delete('q');
});
