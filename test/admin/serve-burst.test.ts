// Load shedding keeps 503 for real overload: a burst of 2,000 simultaneous requests to a cheap route of an
// application with default settings is queued and served, not refused.
import t from 'tap';
import { serve } from '../../src/index.ts';
import { burstApp } from '../fixtures/admin/burst-app.ts';

t.before(async () => {
  await serve.start({ http: { port: 0, requestTimeoutMs: 120_000, logger: { access() {}, error() {} } } });
  await serve.run(burstApp, { name: 'burst', routePrefix: '/' });
});
t.teardown(() => serve.shutdown({ timeoutMs: 2000 }));

t.test('2,000 simultaneous GETs with the default queue: all served, no 503', async (t) => {
  const base = `http://127.0.0.1:${serve.address!.port}`;
  const statuses = await Promise.all(Array.from({ length: 2000 }, () =>
    fetch(`${base}/wait`).then(async (r) => (await r.arrayBuffer(), r.status), () => 0)));
  const counts: Record<number, number> = {};
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
  t.same(counts, { 200: 2000 }, 'every request answered 200');
});
