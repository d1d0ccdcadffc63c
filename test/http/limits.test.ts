import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { ItemsApi } from '../fixtures/http/apps.ts';
import { mountApp } from '../fixtures/http/in-process-target.ts';
import { startProxy } from '../fixtures/http/harness.ts';
import { rawRequest, tryConnect } from '../fixtures/http/sockets.ts';

t.test('413: a body over maxBodyBytes stops reading early', async (t) => {
  const { base, port } = await startProxy(t, [mountApp(ItemsApi, new ItemsApi())], { maxBodyBytes: 1024 });
  let res = await fetch(`${base}/text`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(2000) });
  t.equal(res.status, 413);
  t.match(await res.json(), { error: { code: 'TROUPE_ERR_BODY_TOO_LARGE', details: { limit: 1024 } } });

  // Declared length is huge but only a little is sent: the answer comes at once, without waiting for the rest.
  const raw = rawRequest(port, 'POST /text HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 50000000\r\n\r\n', { body: Buffer.alloc(100) });
  const reply = await raw.done;
  t.match(reply, /^HTTP\/1\.1 413/);
  raw.socket.destroy();

  // Chunked (no content-length): reading stops when the running total passes the limit.
  let sent = 0;
  const stream = new ReadableStream({
    async pull(controller) {
      if (sent > 1_000_000) return controller.close();
      sent += 512;
      controller.enqueue(new Uint8Array(512));
      await sleep(1);
    },
  });
  res = await fetch(`${base}/text`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: stream, duplex: 'half' } as RequestInit);
  t.equal(res.status, 413);
  await res.arrayBuffer();
  t.ok(sent < 1_000_000, `the client was stopped early (${sent} bytes sent)`);

  res = await fetch(`${base}/text`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(1000) });
  t.equal(res.status, 200, 'under the limit is fine');
  await res.arrayBuffer();
});

t.test('a slowloris client that never finishes its body does not block others', async (t) => {
  const { base, port } = await startProxy(t, [mountApp(ItemsApi, new ItemsApi())], { requestTimeoutMs: 600 });
  const slow = Array.from({ length: 20 }, () =>
    rawRequest(port, 'POST /text HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nabc', { ms: 3000 }));
  await sleep(50);
  const results = await Promise.all(Array.from({ length: 20 }, () => fetch(`${base}/hello`).then((r) => r.json())));
  t.same(results[19], { hello: 'world' });
  t.ok(slow.every((s) => s.received() === ''), 'others were answered while the 20 bodies still hung');
  const replies = await Promise.all(slow.map((s) => s.done));
  for (const r of replies) t.match(r, /^HTTP\/1\.1 408 /, 'the hanging body times out with 408');
  t.match(replies[0], /TROUPE_ERR_BODY_TIMEOUT/);
  for (const s of slow) s.socket.destroy();
});

t.test('500 concurrent requests are answered correctly', async (t) => {
  const app = mountApp(ItemsApi, new ItemsApi());
  const { base, log } = await startProxy(t, [app]);
  const n = 500;
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) => fetch(`${base}/search?q=req${i}&limit=${i % 100}`).then(async (r) => ({ status: r.status, body: (await r.json()) as { q: string; limit: number } }))),
  );
  let good = 0;
  results.forEach((r, i) => {
    if (r.status === 200 && r.body.q === `req${i}` && r.body.limit === i % 100) good++;
  });
  t.equal(good, n, 'every request got its own answer');
  t.equal(log.access.filter((e) => e.path === '/search' && e.status === 200).length, n, 'one access-log line each');
  t.equal(new Set(log.access.map((e) => e.requestId)).size, log.access.length, 'request ids are unique');
});

t.test('graceful shutdown answers in-flight requests, refuses new ones', async (t) => {
  const { base, proxy, port } = await startProxy(t, [mountApp(ItemsApi, new ItemsApi())]);
  const inflight = fetch(`${base}/wait?ms=300`).then(async (r) => ({ status: r.status, body: await r.json() }));
  while (proxy.inflight === 0) await sleep(5); // the request has reached the proxy
  const closing = proxy.close({ timeoutMs: 3000 });
  t.equal(await tryConnect(port), 'ECONNREFUSED', 'no new connections once closing');
  const result = await inflight;
  t.same(result, { status: 200, body: { waited: 300 } }, 'the in-flight request was answered');
  await closing;
});

t.test('shutdown past its timeout cancels what is left with 503', async (t) => {
  const app = mountApp(ItemsApi, new ItemsApi());
  const { base, proxy } = await startProxy(t, [app]);
  const inflight = fetch(`${base}/wait?ms=5000`).then(async (r) => ({ status: r.status, body: (await r.json()) as { error: { code: string } } }));
  while (proxy.inflight === 0) await sleep(5);
  await proxy.close({ timeoutMs: 200 });
  const result = await inflight;
  t.equal(result.status, 503);
  t.equal(result.body.error.code, 'TROUPE_ERR_SHUTTING_DOWN');
  t.equal(app.target.aborted.length, 1, 'the replica call was cancelled');
});
