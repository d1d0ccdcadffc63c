import t from 'tap';
import { runClosedLoop, runOpenLoop, BenchOptionsError } from '../../../src/cli/bench/index.ts';
import { fixedCountArrivals, interArrival, seededRandom } from '../../../src/cli/bench/arrivals.ts';
import { refusedUrl, startHttp } from '../../fixtures/bench/servers.ts';

t.test('Poisson gaps average 1000/rate ms and replay with the same seed', async (t) => {
  const a = interArrival(500, 'poisson', seededRandom(7));
  const b = interArrival(500, 'poisson', seededRandom(7));
  let sum = 0;
  const n = 20_000;
  let same = true;
  let cv = 0;
  for (let i = 0; i < n; i++) {
    const g = a();
    if (g !== b()) same = false;
    sum += g;
    cv += (g - 2) ** 2;
  }
  t.ok(same, 'same seed, same schedule');
  t.ok(Math.abs(sum / n - 2) < 0.06, `mean gap ${sum / n} ms`);
  // An exponential distribution has its standard deviation equal to its mean.
  t.ok(Math.abs(Math.sqrt(cv / n) - 2) < 0.1, 'spread of an exponential');
  t.equal(interArrival(500, 'uniform', Math.random)(), 2);
});

t.test('open loop against HTTP: arrivals match the rate, not the server speed', async (t) => {
  const server = await startHttp((_req, res) => res.end('ok'));
  t.teardown(() => server.close());
  const r = await runOpenLoop({ target: { url: server.url }, rate: 400, durationMs: 1000, progress: false });
  t.equal(r.mode, 'open');
  t.equal(r.offeredRate, 400);
  t.equal(r.stoppedBy, 'duration');
  // Poisson count over 1 s at 400/s: sd 20; allow 5 sd.
  t.ok(r.requests > 300 && r.requests < 500, `${r.requests} arrivals`);
  t.equal(r.ok, server.hits);
  // Throughput depends on how busy the machine is; only its upper bound follows from the offered rate.
  t.ok(r.throughput > 0 && r.throughput < 550, `throughput ${r.throughput}`);
  const l = r.latencyMs;
  t.ok(l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max, 'percentiles ordered');
});

t.test('few requests at a low rate: throughput is over the whole window, not up to the last reply', async (t) => {
  // Uniform arrivals at 2/s for 2.5 s: due at 0, 0.5, 1, 1.5 and 2 s; the fifth reply comes about 0.5 s
  // before the window ends. 5 replies in 2.5 s is 2/s (dividing by the time to the last reply said 2.5/s).
  const r = await runOpenLoop({ target: async () => 'ok', rate: 2, arrival: 'uniform', durationMs: 2500, progress: false });
  t.equal(r.stoppedBy, 'duration');
  t.equal(r.ok, 5);
  t.ok(r.durationMs >= 2500, `window ${r.durationMs} ms covers the whole schedule`);
  t.ok(r.throughput <= 2, `throughput ${r.throughput}/s is not above the offered rate`);
  t.equal(r.throughput, Math.round((r.ok * 1000 * 10) / r.durationMs) / 10, 'throughput is replies over the window');
});

t.test('Poisson at a low rate over a short window: the offered number of requests, throughput not above the rate', async (t) => {
  // Exponential gaps from the default seed put 4 arrivals in the first 3 s at 0.2/s (the old report: 1.3/s).
  for (const [rate, durationMs, expected] of [
    [0.5, 4000, 2],
    [2, 3000, 6],
    [5, 1000, 5],
  ] as const) {
    const r = await runOpenLoop({ target: async () => 'ok', rate, durationMs, progress: false });
    t.equal(r.stoppedBy, 'duration', `${rate}/s: ended by its duration`);
    t.equal(r.requests, expected, `${rate}/s for ${durationMs} ms: ${expected} arrivals`);
    t.ok(r.throughput <= rate, `${rate}/s: throughput ${r.throughput}/s`);
  }
  const gaps = fixedCountArrivals(4, 1000, seededRandom(3));
  const times: number[] = [];
  for (let g = gaps(), at = 0; g !== Infinity; g = gaps()) times.push((at += g));
  t.equal(times.length, 3, 'the first arrival is at the start, three more at random times, then none');
  t.ok(times.every((x, i) => x >= 0 && x < 1000 && (i === 0 || x >= times[i - 1])), 'sorted, inside the window');
});

t.test('closed loop window still ends at the last reply after the deadline', async (t) => {
  const r = await runClosedLoop({ target: () => new Promise((resolve) => setTimeout(resolve, 30)), concurrency: 1, durationMs: 200, progress: false });
  t.equal(r.stoppedBy, 'duration');
  t.ok(r.durationMs >= 200, `window ${r.durationMs} ms`);
  t.ok(r.ok >= 1);
});

t.test('count limit with uniform arrivals', async (t) => {
  const server = await startHttp((_req, res) => res.end('ok'));
  t.teardown(() => server.close());
  const started = Date.now();
  const r = await runOpenLoop({ target: { url: server.url }, rate: 200, count: 50, arrival: 'uniform', progress: false });
  t.equal(r.stoppedBy, 'count');
  t.equal(r.requests, 50);
  const took = Date.now() - started;
  t.ok(took >= 200, `50 arrivals at 200/s take about 250 ms (${took})`);
});

t.test('latency counts from the intended send time (no coordinated omission)', async (t) => {
  // A service that takes 20 ms and handles one call at a time, offered 100/s: it can do 50/s, so a
  // queue grows and the open loop must show latency far above the 20 ms service time.
  const service = () => new Promise((r) => setTimeout(r, 20));
  const open = await runOpenLoop({ target: service, rate: 100, count: 40, maxInFlight: 1, arrival: 'uniform', progress: false });
  const closed = await runClosedLoop({ target: service, concurrency: 1, count: 20, progress: false });
  // Relative, not absolute: the machine is shared, so the service time itself varies.
  t.ok(open.latencyMs.max > 4 * closed.latencyMs.p50, `open loop sees the queue (${open.latencyMs.max} ms) far above the service time the closed loop sees (${closed.latencyMs.p50} ms)`);
  t.ok(open.queued! > 20, `${open.queued} arrivals waited for a slot`);
  t.equal(open.ok, 40);
});

t.test('open loop errors: refused connections are counted, the loop ends', async (t) => {
  const url = await refusedUrl();
  const r = await runOpenLoop({ target: { url }, rate: 200, count: 30, progress: false });
  t.same(r.errors, { 'connect:ECONNREFUSED': 30 });
});

t.test('a hard stop ends a run whose target never settles', async (t) => {
  const started = Date.now();
  const r = await runOpenLoop({
    target: () => new Promise(() => {}),
    rate: 100,
    count: 1000,
    maxInFlight: 2,
    timeoutMs: 60_000,
    maxDurationMs: 300,
    progress: false,
  });
  t.equal(r.stoppedBy, 'maxDuration', 'ended by the hard stop (its 1000 requests would never settle)');
  t.ok(Date.now() - started >= 300, 'not before the hard stop');
  t.equal(r.ok, 0);
  t.ok(r.errors.timeout > 0, `${r.errors.timeout} requests cut off as timeout`);
});

t.test('bad open-loop options', async (t) => {
  await t.rejects(async () => runOpenLoop({ target: async () => {}, rate: 0, count: 1 }), BenchOptionsError);
  // @ts-expect-error a wrong arrival kind from untyped callers
  await t.rejects(async () => runOpenLoop({ target: async () => {}, rate: 10, count: 1, arrival: 'bursty' }), BenchOptionsError);
  await t.rejects(async () => runOpenLoop({ target: async () => {}, rate: 10, count: 1, maxInFlight: 0.5 }), BenchOptionsError);
});
