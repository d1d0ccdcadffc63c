import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { ItemsApi, probe } from '../fixtures/http/apps.ts';
import { mountApp } from '../fixtures/http/in-process-target.ts';
import { startProxy } from '../fixtures/http/harness.ts';

function connect(url: string): Promise<{ ws: WebSocket; messages: (string | Buffer)[]; next: () => Promise<string | Buffer>; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const messages: (string | Buffer)[] = [];
    const waiters: ((m: string | Buffer) => void)[] = [];
    let resolveClosed!: (code: number) => void;
    const closed = new Promise<number>((r) => (resolveClosed = r));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const m = isBinary ? data : data.toString('utf8');
      const w = waiters.shift();
      if (w) w(m);
      else messages.push(m);
    });
    ws.on('close', (code) => resolveClosed(code));
    ws.on('error', reject);
    ws.on('unexpected-response', (_req, res) => reject(Object.assign(new Error('unexpected response'), { status: res.statusCode })));
    ws.on('open', () =>
      resolve({
        ws, messages, closed,
        next: () => (messages.length ? Promise.resolve(messages.shift()!) : new Promise((r) => waiters.push(r))),
      }),
    );
  });
}

t.test('WebSocket echo with path params, text and binary frames', async (t) => {
  const { port } = await startProxy(t, [mountApp(ItemsApi, new ItemsApi(), { routePrefix: '/app' })]);
  const c = await connect(`ws://127.0.0.1:${port}/app/ws/echo/lobby`);
  t.equal(await c.next(), 'welcome to lobby', 'open event answered');
  c.ws.send('hi');
  t.equal(await c.next(), 'echo: hi');
  c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
  const bin = await c.next();
  t.ok(Buffer.isBuffer(bin), 'binary frame back');
  t.same([...(bin as Buffer)], [1, 2, 3]);
  for (let i = 0; i < 20; i++) c.ws.send(`m${i}`);
  const got: unknown[] = [];
  for (let i = 0; i < 20; i++) got.push(await c.next());
  t.same(got, Array.from({ length: 20 }, (_, i) => `echo: m${i}`), 'in order');
  c.ws.close(1000);
  t.equal(await c.closed, 1000);
});

t.test('an unknown WebSocket path is refused with 404', async (t) => {
  const { port } = await startProxy(t, [mountApp(ItemsApi, new ItemsApi())]);
  const err = await connect(`ws://127.0.0.1:${port}/ws/nope`).then(() => undefined, (e: { status?: number }) => e);
  t.equal(err?.status, 404);
});

t.test('a slow WebSocket client cannot grow memory: the producer waits, then the client is closed', async (t) => {
  const { port } = await startProxy(t, [mountApp(ItemsApi, new ItemsApi())], { wsMaxBackpressure: 1024 * 1024, wsDrainTimeoutMs: 400 });
  const c = await connect(`ws://127.0.0.1:${port}/ws/flood`);
  const socket = (c.ws as unknown as { _socket: import('node:net').Socket })._socket;
  socket.pause(); // stop reading: the kernel buffers fill, then uWS's
  const before = probe.yielded;
  c.ws.send('go');
  await sleep(800);
  const produced = probe.yielded - before;
  // 10,000 chunks of 64 KiB were on offer (625 MiB); only what fits the socket buffers and 1 MiB was made.
  t.ok(produced > 0 && produced < 200, `the generator was paused by backpressure (${produced} of 10000 chunks produced)`);
  socket.resume();
  t.equal(await c.closed, 1008, 'closed as too slow (1008)');
  await sleep(50);
  t.equal(probe.yielded - before, produced, 'and the generator stopped');
});

t.test('too many messages waiting for the replica: 1013', async (t) => {
  const { port } = await startProxy(t, [mountApp(ItemsApi, new ItemsApi())], { wsMaxQueuedMessages: 4, wsDrainTimeoutMs: 5000 });
  const c = await connect(`ws://127.0.0.1:${port}/ws/flood`);
  const socket = (c.ws as unknown as { _socket: import('node:net').Socket })._socket;
  socket.pause();
  for (let i = 0; i < 50; i++) c.ws.send('go');
  await sleep(300);
  socket.resume();
  t.equal(await c.closed, 1013);
});

t.test('shutdown closes WebSockets with 1001 going away', async (t) => {
  const { port, proxy } = await startProxy(t, [mountApp(ItemsApi, new ItemsApi())]);
  const c = await connect(`ws://127.0.0.1:${port}/ws/echo/x`);
  await c.next();
  await proxy.close({ timeoutMs: 500 });
  t.equal(await c.closed, 1001);
});
