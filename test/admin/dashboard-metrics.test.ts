// The dashboard's arithmetic (assets/dashboard/metrics.js, a plain browser script) run in node: Prometheus text
// parsed with escaped labels, +Inf and timestamps; sums over labels; counter rates; histogram quantiles.
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import t from 'tap';

const source = readFileSync(new URL('../../assets/dashboard/metrics.js', import.meta.url), 'utf8');
const context: { TroupeMetrics?: any } = {};
runInNewContext(source, context);
const M = context.TroupeMetrics;

const text = `# HELP troupe_http_requests_total Requests
# TYPE troupe_http_requests_total counter
troupe_http_requests_total{application="shop",route="/a",method="GET",status="200"} 7
troupe_http_requests_total{application="shop",route="/a",method="GET",status="503"} 2
troupe_http_requests_total{application="other",route="/q\\"x\\\\y,z}",method="POST",status="200"} 5 1700000000000
troupe_http_request_duration_seconds_bucket{application="shop",le="0.01"} 4
troupe_http_request_duration_seconds_bucket{application="shop",le="0.1"} 8
troupe_http_request_duration_seconds_bucket{application="shop",le="+Inf"} 10
troupe_http_request_duration_seconds_bucket{application="other",le="0.01"} 0
troupe_http_request_duration_seconds_bucket{application="other",le="0.1"} 0
troupe_http_request_duration_seconds_bucket{application="other",le="+Inf"} 0
troupe_heap_used_bytes 1.5e7
not a sample line {
troupe_broken{a="unterminated} 3
`;

t.test('parses samples, escaped label values and timestamps; skips what it cannot read', async t => {
  const samples = M.parse(text);
  t.equal(samples.length, 10);
  t.same(samples[2].labels, { application: 'other', route: '/q"x\\y,z}', method: 'POST', status: '200' });
  t.equal(samples[2].value, 5, 'the timestamp is not the value');
  t.equal(samples[5].labels.le, '+Inf');
  t.equal(samples[9].value, 1.5e7);
});

t.test('sums over labels, with a filter and a predicate', async t => {
  const samples = M.parse(text);
  t.equal(M.sum(samples, 'troupe_http_requests_total'), 14);
  t.equal(M.sum(samples, 'troupe_http_requests_total', { application: 'shop' }), 9);
  t.equal(M.sum(samples, 'troupe_http_requests_total', { application: '' }), 14, 'an empty filter value matches all');
  t.equal(M.sum(samples, 'troupe_http_requests_total', {}, (l: any) => Number(l.status) >= 500), 2);
  t.equal(M.sum(samples, 'troupe_absent'), undefined, 'an absent metric is undefined, not 0');
  t.same(M.sumBy(samples, 'troupe_http_requests_total', ['application']), { shop: 9, other: 5 });
});

t.test('counter rates; a counter that went down (a restart) is not a negative rate', async t => {
  t.equal(M.rate(10, 40, 2), 15);
  t.equal(M.rate(40, 3, 2), 0);
  t.equal(M.rate(undefined, 3, 2), undefined);
  t.equal(M.rate(1, 3, 0), undefined);
});

t.test('quantiles from cumulative buckets, as histogram_quantile', async t => {
  const b = M.buckets(M.parse(text), 'troupe_http_request_duration_seconds');
  t.same(b, [[0.01, 4], [0.1, 8], [Infinity, 10]], 'summed over series, sorted by le');
  t.equal(M.quantile(0.2, b), 0.005, 'inside the first bucket, from 0');
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-12;
  t.ok(near(M.quantile(0.6, b), 0.055), 'interpolated in (0.01, 0.1]: 0.01 + 0.09 * 2/4');
  t.equal(M.quantile(0.99, b), 0.1, 'in +Inf: the highest finite bound');
  t.equal(M.quantile(0.5, [[0.1, 0], [Infinity, 0]]), undefined, 'no observations: no quantile');
  const before = [[0.01, 4], [0.1, 4], [Infinity, 4]];
  const delta = M.bucketDelta(before, b);
  t.same(delta, [[0.01, 0], [0.1, 4], [Infinity, 6]], 'what was observed between two scrapes');
  t.ok(near(M.quantile(0.5, delta), 0.0775), 'the first bucket is empty: the median is in the second, 0.01 + 0.09 * 3/4');
});

t.test('a series stays at its length however long the page is open; a name gone for the whole window goes', async t => {
  const s = new M.Series(50);
  for (let i = 0; i < 10_000; i++) s.push(i, i < 20 ? { a: i, old: 1 } : { a: i, [`d${i % 3}`]: i });
  const data = s.data();
  t.equal(data[0].length, 50);
  t.ok(data.every((col: unknown[]) => col.length === 50), 'every column as long as the time axis');
  t.same(s.names(), ['a', 'd2', 'd0', 'd1'], 'the name last seen 9,980 points ago is dropped');
  t.equal(s.max('a'), 9999);
  t.equal(data[0][0], 9950, 'the oldest points went first');
  s.push(10_000, { late: 1 });
  t.same(s.data()[s.names().indexOf('late') + 1].slice(-2), [null, 1], 'a new name is padded with gaps before it');
});
