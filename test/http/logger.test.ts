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
