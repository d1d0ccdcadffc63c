// An idempotent request (GET/HEAD) whose replica dies under it is retried once on another replica; a POST is not.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { serve } from '../../src/index.ts';
import { diesOnceApp } from '../fixtures/admin/burst-app.ts';

let dir = '';
t.before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'troupe-retry-'));
  await serve.start({ http: { port: 0, logger: { access() {}, error() {} } } });
  await serve.run(diesOnceApp, { name: 'dies', routePrefix: '/' });
});
t.teardown(async () => {
  await serve.shutdown({ timeoutMs: 2000 });
  await rm(dir, { recursive: true, force: true });
});

t.test('GET on a replica that dies mid-request: answered by another replica', async (t) => {
  const base = `http://127.0.0.1:${serve.address!.port}`;
  const res = await fetch(`${base}/once?marker=${encodeURIComponent(path.join(dir, 'get'))}`);
  const body = await res.text();
  t.equal(res.status, 200, body);
  t.match(JSON.parse(body), { served: Number });
});

t.test('POST on a replica that dies mid-request: 503 REPLICA_DIED, not repeated', async (t) => {
  const base = `http://127.0.0.1:${serve.address!.port}`;
  const res = await fetch(`${base}/once?marker=${encodeURIComponent(path.join(dir, 'post'))}`, { method: 'POST' });
  t.equal(res.status, 503);
  t.match(await res.json(), { error: { code: 'TROUPE_ERR_REPLICA_DIED' } });
});
