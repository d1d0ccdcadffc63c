import t from 'tap';
import { runClosedLoop, BenchOptionsError, BenchTargetNotLocalError, type BenchResult } from '../../../src/cli/bench/index.ts';
import { TroupeError } from '../../../src/errors/index.ts';
import { refusedUrl, startHttp, startSilent } from '../../fixtures/bench/servers.ts';

function ordered(r: BenchResult): boolean {
  const l = r.latencyMs;
  return l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max;
}

t.test('count limit: every request answered, counted once, percentiles ordered', async (t) => {
  const server = await startHttp((_req, res) => res.end('hello'));
  t.teardown(() => server.close());
  const r = await runClosedLoop({ target: { url: server.url }, concurrency: 8, count: 500, progress: false });
  t.equal(r.stoppedBy, 'count');
  t.equal(r.requests, 500);
  t.equal(r.ok, 500);
  t.equal(server.hits, 500, 'the server saw exactly the requests sent');
  t.equal(r.errorCount, 0);
  t.equal(r.latencyMs.count, 500);
  t.ok(r.throughput > 0);
  t.match(r.histogram, /^[A-Za-z0-9+/=]+$/, 'histogram encoded');
  t.ok(ordered(r), 'percentiles ordered');
  t.ok(r.latencyMs.p50 > 0, 'latencies recorded');
});

t.test('duration limit: the loop stops by itself', async (t) => {
  const server = await startHttp((_req, res) => res.end('x'));
  t.teardown(() => server.close());
  const started = Date.now();
  const r = await runClosedLoop({ target: { url: server.url }, concurrency: 4, durationMs: 300, progress: false });
  const took = Date.now() - started;
  t.equal(r.stoppedBy, 'duration');
  t.ok(took >= 300, `ran its whole duration (${took} ms); stoppedBy above says it stopped by itself`);
  t.ok(r.ok > 0);
  t.equal(r.ok, server.hits);
});

t.test('POST body generator, headers, chunked and close-delimited replies', async (t) => {
  const server = await startHttp((req, res) => {
    if (req.url === '/chunked') {
      res.write('part one,');
      res.end('part two');
    } else if (req.url === '/close') {
      res.setHeader('Connection', 'close');
      res.end('bye');
    } else res.end('fine');
  });
  t.teardown(() => server.close());
  const seen: string[] = [];
  const echo = await startHttp((req, res, body) => {
    seen.push(`${req.method} ${req.headers['x-run']} ${req.headers['content-type']} ${body}`);
    res.end();
  });
  t.teardown(() => echo.close());
  const r1 = await runClosedLoop({
    target: { url: echo.url, method: 'post', headers: { 'x-run': 'abc', 'content-type': 'application/json' }, body: (i) => JSON.stringify({ i }) },
    concurrency: 2,
    count: 20,
    progress: false,
  });
  t.equal(r1.ok, 20);
  t.equal(seen.length, 20);
  t.ok(seen.every((s) => /^POST abc application\/json \{"i":\d+\}$/.test(s)), 'method, headers and generated body arrive');
  t.equal(new Set(seen).size, 20, 'each request got its own body');
  const r2 = await runClosedLoop({ target: { url: server.url + 'chunked' }, concurrency: 3, count: 60, progress: false });
  t.equal(r2.ok, 60, 'chunked replies framed');
  const r3 = await runClosedLoop({ target: { url: server.url + 'close' }, concurrency: 3, count: 30, progress: false });
  t.equal(r3.ok, 30, 'Connection: close handled by reconnecting');
});

t.test('errors by kind: HTTP status', async (t) => {
  let n = 0;
  const server = await startHttp((_req, res) => {
    res.statusCode = n++ % 2 === 0 ? 500 : 200;
    res.end('maybe');
  });
  t.teardown(() => server.close());
  const r = await runClosedLoop({ target: { url: server.url }, concurrency: 1, count: 100, progress: false });
  t.equal(r.requests, 100);
  t.equal(r.ok, 50);
  t.same(r.errors, { 'status:500': 50 });
  t.equal(r.latencyMs.count, 50, 'only successes in the latency histogram');
});

t.test('errors by kind: connection refused', async (t) => {
  const url = await refusedUrl();
  const r = await runClosedLoop({ target: { url }, concurrency: 4, count: 40, progress: false });
  t.equal(r.ok, 0);
  t.same(r.errors, { 'connect:ECONNREFUSED': 40 });
  t.equal(r.throughput, 0);
});

t.test('errors by kind: timeout, and the loop still ends', async (t) => {
  const server = await startSilent();
  t.teardown(() => server.close());
  const r = await runClosedLoop({ target: { url: server.url }, concurrency: 3, count: 6, timeoutMs: 100, progress: false });
  t.same(r.errors, { timeout: 6 });
});

t.test('function target: thrown codes classified, an instant function cannot starve the clock', async (t) => {
  let i = 0;
  const r = await runClosedLoop({
    target: async () => {
      i++;
      if (i % 4 === 0) throw Object.assign(new Error('busy'), { code: 'TROUPE_ERR_OVERLOADED' });
      if (i % 4 === 1) throw new TypeError('bad');
    },
    concurrency: 4,
    durationMs: 200,
    progress: false,
  });
  t.equal(r.stoppedBy, 'duration');
  t.ok(r.errors['code:TROUPE_ERR_OVERLOADED'] > 0);
  t.ok(r.errors['thrown:TypeError'] > 0);
  t.equal(r.ok + r.errorCount, r.requests);
});

t.test('warm-up requests are sent but not recorded', async (t) => {
  const server = await startHttp((_req, res) => res.end('x'));
  t.teardown(() => server.close());
  const r = await runClosedLoop({ target: { url: server.url }, concurrency: 2, count: 50, warmupMs: 150, progress: false });
  t.equal(r.ok, 50);
  t.ok(server.hits > 50, `warm-up sent ${server.hits - 50} more`);
});

t.test('bad options and non-local targets are refused with errors that say why', async (t) => {
  await t.rejects(async () => runClosedLoop({ target: { url: 'http://example.com/' }, concurrency: 1, count: 1 }), BenchTargetNotLocalError);
  await t.rejects(async () => runClosedLoop({ target: { url: 'http://10.0.0.1:80/' }, concurrency: 1, count: 1 }), BenchTargetNotLocalError);
  await t.rejects(async () => runClosedLoop({ target: { url: 'https://127.0.0.1/' }, concurrency: 1, count: 1 }), BenchOptionsError);
  await t.rejects(async () => runClosedLoop({ target: { url: 'not a url' }, concurrency: 1, count: 1 }), BenchOptionsError);
  await t.rejects(async () => runClosedLoop({ target: async () => {}, concurrency: 0, count: 1 }), BenchOptionsError);
  await t.rejects(async () => runClosedLoop({ target: async () => {}, concurrency: 1, count: -5 }), BenchOptionsError);
  await t.rejects(async () => runClosedLoop({ target: async () => {}, concurrency: 1, durationMs: Infinity }), BenchOptionsError);
  try {
    runClosedLoop({ target: { url: 'http://192.168.1.1/' }, concurrency: 1, count: 1 });
    t.fail('should throw');
  } catch (err) {
    t.ok(err instanceof TroupeError);
    t.equal((err as TroupeError).code, 'TROUPE_ERR_BENCH_TARGET_NOT_LOCAL');
  }
});
