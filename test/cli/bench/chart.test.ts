import t from 'tap';
import { PassThrough } from 'node:stream';
import { renderLatencyChart, runSweep, ratesUpTo, runClosedLoop, formatResult, BenchOptionsError } from '../../../src/cli/bench/index.ts';
import { startHttp } from '../../fixtures/bench/servers.ts';

/** Checks that every tag is closed in order and attributes are quoted: enough to know a viewer will open it. */
function wellFormed(xml: string): string | null {
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(xml); m; m = tag.exec(xml)) {
    const between = xml.slice(last, m.index);
    if (/[<>]/.test(between)) return `stray bracket before offset ${m.index}`;
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(between)) return `bare & before offset ${m.index}`;
    last = m.index + m[0].length;
    const [, close, name, , self] = m;
    if (close) {
      if (stack.pop() !== name) return `</${name}> closes the wrong element`;
    } else if (!self) stack.push(name);
  }
  if (/[<>]/.test(xml.slice(last))) return 'stray bracket at the end';
  return stack.length ? `unclosed ${stack.join(', ')}` : null;
}

t.test('a sweep over rates renders a well-formed chart a person can open', async (t) => {
  const server = await startHttp((_req, res) => res.end('ok'));
  t.teardown(() => server.close());
  const steps: number[] = [];
  const sweep = await runSweep({
    target: { url: server.url },
    rates: ratesUpTo(300, 3),
    durationMs: 300,
    pauseMs: 0,
    label: 'node <http> & co',
    progress: false,
    onStep: (p) => steps.push(p.offeredRate!),
  });
  t.same(steps, [100, 200, 300]);
  t.equal(sweep.points.length, 3);
  const fn = await runSweep({ target: async () => {}, rates: [100, 200], durationMs: 200, pauseMs: 0, label: 'function', progress: false });
  const svg = renderLatencyChart([sweep, fn], { title: 'no-op "GET" <test>' });
  t.equal(wellFormed(svg), null);
  t.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  t.match(svg, /node &lt;http&gt; &amp; co/, 'labels escaped');
  t.equal((svg.match(/<polyline/g) ?? []).length, 10, 'four percentile lines and a throughput line per sweep');
  t.equal((svg.match(/<circle[^>]*><title>/g) ?? []).length, 5, 'one point with a tooltip per step');
  t.match(svg, /offered load/);
});

t.test('a sweep stops climbing once past saturation', async (t) => {
  const slow = () => new Promise((r) => setTimeout(r, 30));
  // Loose margins: the first step's p99 is ~30 ms even on a loaded machine; the second queues to ~500 ms.
  const sweep = await runSweep({ target: slow, rates: [10, 200, 400], count: 20, maxInFlight: 1, stopAtP99Ms: 300, pauseMs: 0, progress: false });
  t.equal(sweep.points.length, 2, 'the 200/s step was past the p99 limit; 400/s never ran');
  t.throws(() => ratesUpTo(0, 3), BenchOptionsError);
  await t.rejects(async () => runSweep({ target: slow, rates: [] }), BenchOptionsError);
});

t.test('the load axis ends one tick past the data, and a panel shows the throughput achieved', async (t) => {
  const point = (rate: number, throughput: number) => ({
    label: 's', mode: 'open' as const, target: 'function f', offeredRate: rate, startedAt: '', durationMs: 1000,
    stoppedBy: 'duration' as const, requests: throughput, ok: throughput, errorCount: 0, errors: {}, throughput, histogram: '',
    latencyMs: { count: throughput, min: 1, mean: 2, p50: 2, p90: 3, p99: 4, p999: 5, max: 6 },
  });
  const svg = renderLatencyChart([{ label: 's', target: 'function f', points: [point(1700, 1700), point(5100, 4000)] }]);
  t.equal(wellFormed(svg), null);
  const xTicks = [...svg.matchAll(/text-anchor="middle" fill="#444">([\d.]+)(k?)</g)].map((m) => Number(m[1]) * (m[2] ? 1000 : 1));
  const top = Math.max(...xTicks);
  t.ok(top >= 5100 && top <= 1.5 * 5100, `the offered-load axis ends at ${top} for data up to 5,100/s`);
  t.match(svg, /achieved \(requests\/s\)/, 'a throughput panel');
  t.match(svg, /achieved = offered/);
});

t.test('an empty chart is still well-formed', async (t) => {
  t.equal(wellFormed(renderLatencyChart([])), null);
});

t.test('progress: a plain line every interval when stderr is not a TTY', async (t) => {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c) => (text += c));
  const r = await runClosedLoop({
    target: () => new Promise((res) => setTimeout(res, 1)),
    concurrency: 2,
    durationMs: 400,
    label: 'progress-check',
    progress: { stream, intervalMs: 100 },
  });
  const lines = text.trim().split('\n');
  t.ok(lines.length >= 2, `${lines.length} progress lines`);
  t.match(lines[0], /^progress-check \[[#-]+\] \d+% [\d.]+s \d+ req\/s p99 [\d.]+ ms errors 0$/);
  t.notMatch(text, /\r/, 'no carriage returns off a TTY');
  t.match(formatResult(r), /^progress-check \[c=2\] \d+ req\/s {2}p50/);
});
