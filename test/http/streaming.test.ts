import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { ItemsApi, probe } from '../fixtures/http/apps.ts';
import { mountApp } from '../fixtures/http/in-process-target.ts';
import { startProxy } from '../fixtures/http/harness.ts';

t.test('an async generator streams chunked NDJSON', async (t) => {
  const { base } = await startProxy(t, [mountApp(ItemsApi, new ItemsApi())]);
  const res = await fetch(`${base}/tokens?n=4&ms=5`);
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-type'), 'application/x-ndjson');
  t.equal(res.headers.get('transfer-encoding'), 'chunked');
  const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
  t.same(lines, [{ token: 0 }, { token: 1 }, { token: 2 }, { token: 3 }]);
});

t.test('Server-Sent Events when the client asks for text/event-stream', async (t) => {
  const { base } = await startProxy(t, [mountApp(ItemsApi, new ItemsApi())]);
  const res = await fetch(`${base}/tokens?n=3`, { headers: { accept: 'text/event-stream' } });
  t.match(res.headers.get('content-type'), /^text\/event-stream/);
  t.equal(res.headers.get('cache-control'), 'no-cache');
  t.equal(await res.text(), 'data: {"token":0}\n\ndata: {"token":1}\n\ndata: {"token":2}\n\n');
});

for (const accept of ['application/x-ndjson', 'text/event-stream']) {
  t.test(`a client that disconnects cancels the generator on the replica (${accept})`, async (t) => {
    const app = mountApp(ItemsApi, new ItemsApi());
    const { base, proxy, log } = await startProxy(t, [app]);
    const started = probe.started;
    const finished = probe.finished;
    const controller = new AbortController();
    const res = await fetch(`${base}/tokens?n=1000&ms=10`, { headers: { accept }, signal: controller.signal });
    const reader = res.body!.getReader();
    const first = await reader.read();
    t.ok(first.value && first.value.byteLength > 0, 'got the first chunk');
    const yieldedAtAbort = probe.yielded;
    controller.abort();
    await reader.cancel().catch(() => {});
    for (let i = 0; i < 100 && probe.finished === finished; i++) await sleep(10);
    t.equal(probe.started, started + 1);
    t.equal(probe.finished, finished + 1, "the generator's finally ran: it was cancelled");
    const after = probe.yielded;
    await sleep(100);
    t.equal(probe.yielded, after, 'and it yields no more');
    t.ok(probe.yielded - yieldedAtAbort < 20, 'it stopped soon after the disconnect');
    t.equal(app.target.aborted.length, 1, 'the abort signal reached the target');
    for (let i = 0; i < 50 && proxy.inflight > 0; i++) await sleep(10);
    t.equal(proxy.inflight, 0, 'nothing left in flight');
    t.match(log.access.at(-1), { path: '/tokens', status: 200 });
  });
}

t.test('a generator that throws mid-stream', async (t) => {
  const { base, log } = await startProxy(t, [mountApp(ItemsApi, new ItemsApi())]);
  const res = await fetch(`${base}/stream-fail`);
  t.equal(res.status, 200, 'headers were already out');
  await t.rejects(res.text(), 'chunked: the connection is cut so the client sees an incomplete body');
  const sse = await fetch(`${base}/stream-fail`, { headers: { accept: 'text/event-stream' } });
  const text = await sse.text();
  t.match(text, /^data: first\ndata: \n\nevent: error\ndata: \{"error":\{"code":"TROUPE_ERR_INTERNAL","message":"internal server error/, 'SSE: an error event (generic message), then the end');
  t.ok(log.errors.some((e) => /generator broke/.test(String((e.fields.error as { stack?: string }).stack))), 'logged with the stack');
});

t.test('a large stream respects backpressure of a slow reader', async (t) => {
  const { base } = await startProxy(t, [mountApp(ItemsApi, new ItemsApi())]);
  const before = probe.yielded;
  const n = 400; // 64 KiB each: 25 MiB in all
  const res = await fetch(`${base}/big-stream?n=${n}`);
  t.equal(res.headers.get('content-type'), 'application/octet-stream');
  const reader = res.body!.getReader();
  await reader.read();
  await sleep(300);
  const produced = probe.yielded - before;
  t.ok(produced < n / 2, `the generator waits for the reader (${produced} of ${n} chunks produced while the reader slept)`);
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
  }
  t.ok(total > 20_000_000, 'then the rest arrives');
  t.equal(probe.yielded - before, n);
});
