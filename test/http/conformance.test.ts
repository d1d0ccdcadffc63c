// HTTP/1.1 conformance over raw sockets: pipelining, request framing, header limits and smuggling variants.
// Each case asserts the status (or the documented close), that the connection is closed where it must be, that
// no ambiguous body reaches a route, and that the next good request on a new connection is served.
import t, { type Test } from 'tap';
import net from 'node:net';
import { get, post, type RouteInput } from '../../src/http/index.ts';
import { mountApp } from '../fixtures/http/in-process-target.ts';
import { startProxy } from '../fixtures/http/harness.ts';

class Echo {
  bodies: string[] = [];

  @get('/hello')
  hello() {
    return { hello: 'world' };
  }

  @post('/echo', { accepts: ['text/*', 'application/octet-stream'] })
  echo({ body }: RouteInput<string | Uint8Array>) {
    const text = typeof body === 'string' ? body : Buffer.from(body ?? new Uint8Array(0)).toString('latin1');
    this.bodies.push(text);
    return `body[${text}]`;
  }
}

/** Writes `raw` on a new connection; resolves with what came back and whether the server closed the connection
 *  (false: still open after `ms`, the client then closes it). */
function exchange(port: number, raw: string, ms = 2000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('error', () => {});
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, ms);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    socket.write(raw);
  });
}

const statuses = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));

async function setup(t: Test) {
  const echo = new Echo();
  const { port, base } = await startProxy(t, [mountApp(Echo, echo)]);
  const served = async () => {
    const res = await fetch(`${base}/hello`);
    t.equal(res.status, 200, 'the next good request on a new connection is served');
    await res.arrayBuffer();
  };
  return { echo, port, served };
}

t.test('pipelined requests the proxy answers itself are all answered in order', async (t) => {
  const { port, served } = await setup(t);
  const health = 'GET /-/healthz HTTP/1.1\r\nHost: x\r\n\r\n';
  let r = await exchange(port, health + health, 500);
  t.same(statuses(r.text), [200, 200], 'two pipelined health checks get two answers');
  t.notOk(r.closed, 'and the connection stays open');
  r = await exchange(port, 'GET /nope HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(3), 500);
  t.same(statuses(r.text), [404, 404, 404], 'pipelined 404s too');
  await served();
});

t.test('a pipelined request behind one a replica answers: closed, and the route is not called (uWS limit)', async (t) => {
  const { echo, port, served } = await setup(t);
  const r = await exchange(port, 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabcGET /hello HTTP/1.1\r\nHost: x\r\n\r\n');
  t.ok(r.closed, 'closed at once');
  t.same(echo.bodies, [], 'nothing reached the route: no work is done for an answer the client cannot get');
  await served();
});

t.test('conflicting or doubled lengths and codings are refused with a status and a close', async (t) => {
  const { echo, port, served } = await setup(t);
  const cases: [string, string, number | 'closed'][] = [
    ['two different content-lengths', 'Content-Length: 4\r\nContent-Length: 10\r\n\r\n0123456789', 400],
    ['two equal content-lengths', 'Content-Length: 4\r\nContent-Length: 4\r\n\r\nabcd', 400],
    // uWS closes these itself right after the handler, before the answer leaves (a documented limit).
    ['content-length that is not a number', 'Content-Length: 4x\r\n\r\nabcd', 'closed'],
    ['negative content-length', 'Content-Length: -1\r\n\r\n', 'closed'],
    ['content-length and transfer-encoding', 'Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n', 'closed'],
    ['transfer-encoding and content-length', 'Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n3\r\nabc\r\n0\r\n\r\n', 'closed'],
    ['a coding other than chunked', 'Transfer-Encoding: gzip\r\n\r\nabcd', 501],
    ['two transfer-encoding headers', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n', 400],
    ['a space before the colon', 'Transfer-Encoding : chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n', 'closed'],
  ];
  for (const [name, rest, expected] of cases) {
    const r = await exchange(port, `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n${rest}`, 12_000);
    if (expected === 'closed') {
      t.same(statuses(r.text).filter((s) => s < 400), [], `${name}: no success answer`);
    } else {
      t.same(statuses(r.text), [expected], `${name}: ${expected}`);
      t.match(r.text, /TROUPE_ERR_BAD_REQUEST_FRAMING/, `${name}: a catalogued code`);
    }
    t.ok(r.closed, `${name}: the connection is closed`);
    await served();
  }
  t.same(echo.bodies, [], 'no ambiguous body reached the route');
});

t.test('headers past the limits get 431 and a close', async (t) => {
  const { port, served } = await setup(t);
  let r = await exchange(port, `GET /hello HTTP/1.1\r\nHost: x\r\nBig: ${'a'.repeat(70 * 1024)}\r\n\r\n`);
  t.same(statuses(r.text), [431], 'a 70 KiB header');
  t.ok(r.closed);
  await served();
  // Far past uWS's own count of headers (about 47) it closes the connection without a status (a documented limit).
  r = await exchange(port, `GET /hello HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 10_000 }, (_, i) => `h${i}: v\r\n`).join('')}\r\n`);
  t.same(statuses(r.text), [], '10,000 headers: closed');
  t.ok(r.closed);
  await served();
});

t.test('a well-formed chunked body is still read', async (t) => {
  const { echo, port } = await setup(t);
  const r = await exchange(port, 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n', 1000);
  t.same(statuses(r.text), [200]);
  t.match(r.text, /body\[abc\]/);
  t.same(echo.bodies, ['abc']);
});
