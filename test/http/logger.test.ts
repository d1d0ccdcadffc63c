import t from 'tap';
import { jsonLinesLogger } from '../../src/http/index.ts';

t.test('the default logger: one JSON line per request, buffered, flushed before an error line', async (t) => {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = process.stdout.write;
  const stderr = process.stderr.write;
  process.stdout.write = ((chunk: string) => out.push(chunk) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => err.push(chunk) > 0) as typeof process.stderr.write;
  t.teardown(() => {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  });
  const entry = { time: '2026-01-02T03:04:05.678Z', requestId: 'r-1', app: 'shop', deployment: 'shop/Shop', replica: undefined, method: 'GET', path: '/a "quoted"\\path', status: 200, latencyMs: 1.25 };
  jsonLinesLogger.access(entry);
  jsonLinesLogger.access({ ...entry, requestId: 'r-2', status: 404 });
  const writtenAtOnce = out.length;
  jsonLinesLogger.error('request failed', { requestId: 'r-3' });
  process.stdout.write = stdout;
  process.stderr.write = stderr;
  t.equal(writtenAtOnce, 0, 'not written per request');
  const lines = out.join('').trim().split('\n').map((l) => JSON.parse(l));
  t.same(lines[0], { level: 'info', msg: 'access', ...entry, replica: null });
  t.match(lines[1], { requestId: 'r-2', status: 404 });
  t.match(JSON.parse(err[0]), { level: 'error', msg: 'request failed', requestId: 'r-3' }, 'the access lines went out first');
});

t.test('access lines are the JSON of their entry, whatever the strings and numbers hold', async (t) => {
  const out: Uint8Array[] = [];
  const stdout = process.stdout.write;
  process.stdout.write = ((chunk: Uint8Array | string) => out.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk) > 0) as typeof process.stdout.write;
  t.teardown(() => {
    process.stdout.write = stdout;
  });
  const base = { time: '2026-01-02T03:04:05.678Z', requestId: 'r', app: 'a', deployment: 'd', replica: 'd#1', method: 'GET', path: '/', status: 200, latencyMs: 0.5 };
  const entries = [
    base,
    { ...base, path: '/caf\u00e9/\u{1f600}?q="x"\\y', requestId: 'tab\there\nnewline\u0001' },
    { ...base, app: undefined, deployment: undefined, replica: undefined },
    { ...base, status: 0, latencyMs: 0 },
    { ...base, status: 499, latencyMs: 123456789.123 },
    { ...base, latencyMs: 1e21 },
    { ...base, latencyMs: -3.5 },
    { ...base, latencyMs: 1.25 },
    { ...base, latencyMs: 0.001 },
    { ...base, latencyMs: 12.05 },
    { ...base, latencyMs: 999999999.999 },
    { ...base, latencyMs: Number.NaN },
    { ...base, path: '/' + 'x'.repeat(70_000) }, // longer than the log's whole buffer
    { ...base, path: '/\ud800-lone-surrogate' },
    { ...base, modelId: 'model-a' },
    { ...base, modelId: 'mod\u00e8le "b"' },
  ];
  for (const e of entries) jsonLinesLogger.access(e);
  const stderr = process.stderr.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  jsonLinesLogger.error("flush", {}); // flushes the access lines first
  process.stderr.write = stderr;
  process.stdout.write = stdout;
  const lines = Buffer.concat(out).toString('utf8').trimEnd().split('\n');
  t.equal(lines.length, entries.length, 'one line per entry');
  entries.forEach((e, i) => {
    const expected = JSON.parse(JSON.stringify({ level: 'info', msg: 'access', ...e }, (_k, v) => (v === undefined ? null : v)));
    t.same(JSON.parse(lines[i]!), expected, `entry ${i}`);
  });
});
