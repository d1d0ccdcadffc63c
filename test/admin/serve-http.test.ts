// End to end: applications deployed with serve.run, answered over real HTTP by the proxy serve starts.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { serve } from '../../src/index.ts';
import { routerFor } from '../../src/serve/index.ts';
import type { AccessLogEntry } from '../../src/http/index.ts';
import { Fragile, Gate, Greeter, Queued, Shop } from '../fixtures/admin/apps.ts';
import { rawRequest, tryConnect } from '../fixtures/http/sockets.ts';

const access: AccessLogEntry[] = [];
const errors: { message: string; fields: Record<string, unknown> }[] = [];
let base = '';
let port = 0;

t.before(async () => {
  await serve.start({
    http: {
      port: 0,
      maxBodyBytes: 64 * 1024,
      // Long enough for 500 concurrent requests on a loaded machine; the slowloris bodies wait this long for 408.
      requestTimeoutMs: 4000,
      logger: { access: (e) => access.push(e), error: (message, fields) => errors.push({ message, fields }) },
    },
  });
  await serve.run(Shop.bind(Greeter.bind(), Gate.bind(), Fragile.bind()), { name: 'shop', routePrefix: '/shop' });
  port = serve.address!.port;
  base = `http://127.0.0.1:${port}`;
});
t.teardown(() => serve.shutdown({ timeoutMs: 2000 }));

const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const state = async () =>
  (await (await fetch(`${base}/shop/state`)).json()) as { cancelledCalls: number; streamsStarted: number; streamsFinished: number; yielded: number; waitsStarted: number };
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(`gave up waiting until ${what}`);
}

t.test('a composed @ingress deployment: path and query params, JSON bodies, request ids, access log', async (t) => {
  let res = await fetch(`${base}/shop/greet/ada?times=3`, { headers: { 'x-request-id': 'e2e-1' } });
  t.equal(res.status, 200);
  t.equal(res.headers.get('x-request-id'), 'e2e-1');
  t.same(await res.json(), { text: 'hello, ada', times: 3, timesType: 'number' }, 'answered through the bound Greeter, query coerced');
  res = await fetch(`${base}/shop/greet/bob`);
  t.same(await res.json(), { text: 'hello, bob', times: 1, timesType: 'number' }, 'query default applied');
  t.ok(res.headers.get('x-request-id'), 'a generated request id');

  res = await fetch(`${base}/shop/items`, json({ name: 'pen', price: 2 }));
  t.equal(res.status, 201);
  t.equal(res.headers.get('location'), '/items/pen');
  t.same(await res.json(), { created: 'pen' });

  const line = access.find((e) => e.requestId === 'e2e-1');
  t.match(line, { app: 'shop', method: 'GET', path: '/shop/greet/ada', status: 200 }, 'one access-log line for the request');
  t.type(line?.latencyMs, 'number');
  t.match(line?.replica, /\S/, 'the access-log line names the replica that served it');
});

t.test('400 with schema paths, 404, 405, 415, 413 (stopping early)', async (t) => {
  let res = await fetch(`${base}/shop/items`, json({ name: '', price: -1 }));
  t.equal(res.status, 400);
  const bad = (await res.json()) as { error: { code: string; requestId: string; details: { errors: { path: string }[] } } };
  t.equal(bad.error.code, 'TROUPE_ERR_VALIDATION');
  t.same(bad.error.details.errors.map((e) => e.path).sort(), ['body/name', 'body/price']);
  t.equal(bad.error.requestId, res.headers.get('x-request-id'));

  res = await fetch(`${base}/shop/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' });
  t.equal(res.status, 400);
  t.match(await res.json(), { error: { code: 'TROUPE_ERR_MALFORMED_BODY' } });

  res = await fetch(`${base}/shop/greet/ada?times=9`);
  t.equal(res.status, 400);
  t.match(await res.json(), { error: { details: { errors: [{ path: 'query/times' }] } } });

  res = await fetch(`${base}/shop/nowhere`);
  t.equal(res.status, 404);
  t.match(await res.json(), { error: { code: 'TROUPE_ERR_ROUTE_NOT_FOUND' } });
  res = await fetch(`${base}/elsewhere`);
  t.equal(res.status, 404, 'outside every route prefix');
  await res.arrayBuffer();

  res = await fetch(`${base}/shop/items`);
  t.equal(res.status, 405);
  t.equal(res.headers.get('allow'), 'POST');
  await res.arrayBuffer();

  res = await fetch(`${base}/shop/items`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' });
  t.equal(res.status, 415);
  t.match(await res.json(), { error: { code: 'TROUPE_ERR_UNSUPPORTED_MEDIA_TYPE' } });

  res = await fetch(`${base}/shop/text`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(100_000) });
  t.equal(res.status, 413);
  t.match(await res.json(), { error: { code: 'TROUPE_ERR_BODY_TOO_LARGE', details: { limit: 64 * 1024 } } });
  // A declared 50 MB body of which only the head is sent: the answer comes without the rest.
  const raw = rawRequest(port, 'POST /shop/text HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 50000000\r\n\r\nabc');
  t.match(await raw.done, /^HTTP\/1\.1 413 /);
  raw.socket.destroy();
});

t.test('500 from user code: a generic message and the request id, its message and stack only in the log', async (t) => {
  const res = await fetch(`${base}/shop/boom`);
  t.equal(res.status, 500);
  const body = (await res.json()) as { error: { message: string; requestId: string } };
  t.match(body.error.message, /^internal server error/);
  t.equal(body.error.requestId, res.headers.get('x-request-id'));
  t.notMatch(JSON.stringify(body), /\.ts:\d+/, 'no stack in the body');
  const logged = errors.find((e) => e.fields.requestId === body.error.requestId);
  t.match((logged?.fields.error as { stack?: string })?.stack, /kaboom in user code/);
});

t.test('503 with Retry-After when a bound deployment is overloaded (BackPressureError)', async (t) => {
  const first = fetch(`${base}/shop/gate?ms=800`).then(async (r) => ({ status: r.status, body: await r.text() }));
  await sleep(100); // the first call holds the gate's only slot
  const res = await fetch(`${base}/shop/gate?ms=10`);
  t.equal(res.status, 503);
  t.equal(res.headers.get('retry-after'), '1');
  t.match(await res.json(), { error: { code: 'TROUPE_ERR_BACKPRESSURE', message: /overloaded/ } });
  t.same(await first, { status: 200, body: 'held' }, 'the call already accepted is answered');
});

t.test('503 when a replica dies under a call, and the app keeps serving', async (t) => {
  const res = await fetch(`${base}/shop/crash`);
  t.equal(res.status, 503);
  t.match(await res.json(), { error: { code: 'TROUPE_ERR_REPLICA_DIED' } });
  t.same(await (await fetch(`${base}/shop/greet/cy`)).json(), { text: 'hello, cy', times: 1, timesType: 'number' });
});

t.test('503 no replica: requests waiting in the router when their application is deleted', async (t) => {
  await serve.run(Queued.bind(), { name: 'queue', routePrefix: '/queue' });
  const router = routerFor(serve.runtime!.id, 'queue/Queued');
  const running = fetch(`${base}/queue/hold?ms=500`).then((r) => r.status);
  const waiting = fetch(`${base}/queue/hold`).then(async (r) => ({ status: r.status, body: (await r.json()) as { error: { code: string } } }));
  await until('the second request waits in the router', async () => router.queued === 1);
  await serve.delete('queue');
  const w = await waiting;
  t.equal(w.status, 503);
  t.equal(w.body.error.code, 'TROUPE_ERR_NO_REPLICA');
  t.equal(await running, 200, 'the call already running was let finish');
  const res = await fetch(`${base}/queue/hold`);
  t.equal(res.status, 404, 'the prefix is no longer served');
  await res.arrayBuffer();
});

t.test('504 past the route timeout, with the replica call cancelled', async (t) => {
  const before = (await state()).cancelledCalls;
  const res = await fetch(`${base}/shop/hang`);
  t.equal(res.status, 504);
  t.match(await res.json(), { error: { code: 'TROUPE_ERR_REQUEST_TIMEOUT' } });
  await until('the replica saw the cancellation', async () => (await state()).cancelledCalls === before + 1);
  t.pass('the signal reached the method on the replica');
});

t.test('/-/healthz, the route listing (admin API only), openapi.json and docs', async (t) => {
  let res = await fetch(`${base}/-/healthz`);
  t.equal(res.status, 200);
  t.same(await res.json(), { status: 'ok', apps: { shop: true } });
  res = await fetch(`${base}/-/routes`);
  t.equal(res.status, 404, 'handler and deployment names are not listed on the public port');
  await res.arrayBuffer();
  const routes = serve.routes() as { app: string; routePrefix: string; routes: { method: string; path: string }[]; websockets: { path: string }[] }[];
  t.equal(routes.length, 1);
  t.equal(routes[0].routePrefix, '/shop');
  t.ok(routes[0].routes.some((r) => r.method === 'GET' && r.path === '/shop/greet/:name'));
  t.same(routes[0].websockets.map((w) => w.path), ['/shop/ws/echo/:room']);

  const spec = (await (await fetch(`${base}/shop/openapi.json`)).json()) as any;
  t.equal(spec.openapi, '3.1.0');
  t.same(spec.info, { title: 'Shop', version: '2.0.0' });
  t.equal(spec.paths['/shop/greet/{name}'].get.summary, 'Greets, through another deployment');
  t.same(spec.paths['/shop/items'].post.requestBody.content['application/json'].schema.required, ['name', 'price']);
  const html = await (await fetch(`${base}/shop/docs`)).text();
  t.match(html, /\/shop\/docs\/swagger-ui-bundle\.js/);
  res = await fetch(`${base}/shop/docs/swagger-ui-bundle.js`);
  t.equal(res.status, 200);
  t.ok((await res.text()).length > 500_000, 'the docs assets are served whole');
});

t.test('large bodies reach the replica through the object store, intact, and give their memory back', async (t) => {
  const store = serve.runtime!.objectStore!;
  const before = store.stats().objects;
  const body = (seed: number, size: number) => Uint8Array.from({ length: size }, (_, i) => (i * 7 + seed * 13) & 0xff);
  const checksum = (b: Uint8Array) => b.reduce((s, x) => (s * 31 + x) % 1_000_003, 0);
  const send = (b: Uint8Array) => fetch(`${base}/shop/bytes`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: b });

  const large = body(1, 64 * 1024); // the inline threshold: read into the arena
  let res = await send(large);
  t.same(await res.json(), { size: large.byteLength, sum: checksum(large), byRef: true }, 'a 64 KiB body arrives by ref');
  const small = body(2, 1000);
  res = await send(small);
  t.same(await res.json(), { size: small.byteLength, sum: checksum(small), byRef: false }, 'a small body arrives inline');

  // Arena memory is reused as soon as a request is done: 100 concurrent bodies, each must come back as sent.
  const bodies = Array.from({ length: 100 }, (_, i) => body(i + 3, 64 * 1024 - (i % 3)));
  const answers = await Promise.all(bodies.map(async (b) => (await send(b)).json()));
  t.same(answers, bodies.map((b) => ({ size: b.byteLength, sum: checksum(b), byRef: b.byteLength >= 64 * 1024 })), 'no body saw another one');

  // A body cut short (the client goes away mid-upload) gives its place back too.
  const cut = rawRequest(port, 'POST /shop/bytes HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 65536\r\n\r\n' + 'x'.repeat(1000), { ms: 100 });
  await until('the cut body is being read', async () => store.stats().objects > before);
  cut.socket.destroy();
  await until('every body\'s place in the arena is free again', async () => store.stats().objects === before);
  t.equal(store.stats().objects, before);
});

t.test('multipart upload reaches the replica', async (t) => {
  const form = new FormData();
  form.set('title', 'scan');
  form.set('file', new Blob([new Uint8Array([1, 2, 3, 250])], { type: 'image/png' }), 'a.png');
  let res = await fetch(`${base}/shop/upload`, { method: 'POST', body: form });
  t.equal(res.status, 200);
  t.same(await res.json(), { title: 'scan', filename: 'a.png', size: 4, sum: 256 });
  const missing = new FormData();
  missing.set('title', 'no file');
  res = await fetch(`${base}/shop/upload`, { method: 'POST', body: missing });
  t.equal(res.status, 400);
  t.match(await res.json(), { error: { details: { errors: [{ path: 'body/file' }] } } });
});

t.test('streaming: chunked NDJSON and SSE from an async generator on the replica', async (t) => {
  let res = await fetch(`${base}/shop/tokens?n=3`);
  t.equal(res.headers.get('content-type'), 'application/x-ndjson');
  t.equal(res.headers.get('transfer-encoding'), 'chunked');
  t.same((await res.text()).trim().split('\n').map((l) => JSON.parse(l)), [{ token: 0 }, { token: 1 }, { token: 2 }]);
  res = await fetch(`${base}/shop/tokens?n=2`, { headers: { accept: 'text/event-stream' } });
  t.match(res.headers.get('content-type'), /^text\/event-stream/);
  t.equal(await res.text(), 'data: {"token":0}\n\ndata: {"token":1}\n\n');
});

for (const accept of ['application/x-ndjson', 'text/event-stream']) {
  t.test(`a client that disconnects stops the generator on the replica (${accept})`, async (t) => {
    const before = await state();
    const controller = new AbortController();
    const res = await fetch(`${base}/shop/tokens?n=100000&ms=5`, { headers: { accept }, signal: controller.signal });
    const reader = res.body!.getReader();
    t.ok((await reader.read()).value, 'the first chunk arrived');
    controller.abort();
    await reader.cancel().catch(() => {});
    await until('the generator finished', async () => (await state()).streamsFinished === before.streamsFinished + 1);
    const after = await state();
    t.equal(after.streamsStarted, before.streamsStarted + 1);
    await sleep(100);
    t.equal((await state()).yielded, after.yielded, 'and it yields no more');
  });
}

t.test('WebSocket echo through serve', async (t) => {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/shop/ws/echo/lobby`);
  const messages: (string | Buffer)[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    messages.push(isBinary ? data : data.toString('utf8'));
    waiters.shift()?.();
  });
  const next = async () => {
    if (messages.length === 0) await new Promise<void>((r) => waiters.push(r));
    return messages.shift()!;
  };
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  t.equal(await next(), 'welcome to lobby');
  ws.send('hi');
  t.equal(await next(), 'echo: hi');
  ws.send(Buffer.from([9, 8, 7]), { binary: true });
  t.same([...((await next()) as Buffer)], [9, 8, 7]);
  const closed = new Promise<number>((r) => ws.once('close', r));
  ws.close(1000);
  t.equal(await closed, 1000);
});

t.test('500 concurrent requests are each answered with their own result', async (t) => {
  const n = 500;
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) => fetch(`${base}/shop/echo?i=${i}`).then(async (r) => ({ status: r.status, body: (await r.json()) as { i: string } }))),
  );
  const wrong = results.flatMap((r, i) => (r.status === 200 && r.body.i === String(i) ? [] : [{ i, ...r }]));
  t.same(wrong.slice(0, 3), [], 'none wrong');
  t.equal(results.length - wrong.length, n);
});

t.test('a slowloris client that never finishes its body does not block others', async (t) => {
  const slow = Array.from({ length: 20 }, () => rawRequest(port, 'POST /shop/text HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nabc', { ms: 10_000 }));
  await sleep(50);
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => fetch(`${base}/shop/echo?i=${i}`).then((r) => r.json())));
  t.same(answers[19], { i: '19' }, 'every other request was answered');
  t.ok(slow.every((s) => s.received() === ''), 'while the hanging bodies were still being waited for');
  const replies = await Promise.all(slow.map((s) => s.done));
  for (const r of replies) t.match(r, /^HTTP\/1\.1 408 /, 'a hanging body ends with 408 at the request timeout');
  for (const s of slow) s.socket.destroy();
});

// Last: it shuts serve down.
t.test('graceful shutdown answers the request in flight and then refuses connections', async (t) => {
  const before = (await state()).waitsStarted;
  const inflight = fetch(`${base}/shop/wait?ms=400`).then(async (r) => ({ status: r.status, body: await r.json() }));
  await until('the request runs on the replica', async () => (await state()).waitsStarted === before + 1);
  await serve.shutdown({ timeoutMs: 3000 });
  t.same(await inflight, { status: 200, body: { waited: 400 } }, 'answered before the proxy closed');
  t.equal(await tryConnect(port), 'ECONNREFUSED', 'no new connections after shutdown');
});
