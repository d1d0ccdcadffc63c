// First-use traps over real HTTP: __call__ reads its body like a Fetch Request (bad JSON is the client's 400),
// an @ingress without routes fails its deploy, and @ingress({ summary }) reaches OpenAPI.
import t from 'tap';
import { serve } from '../../src/index.ts';
import { Echo, NoRoutes, Summarized } from '../fixtures/first-use/apps.ts';

let base = '';
t.before(async () => {
  await serve.start({ http: { port: 0, logger: { access: () => {}, error: () => {} } } });
  await serve.run(Echo.bind(), { name: 'echo', routePrefix: '/echo' });
  await serve.run(Summarized.bind(), { name: 'summary', routePrefix: '/summary' });
  base = `http://127.0.0.1:${serve.address!.port}`;
});
t.teardown(() => serve.shutdown({ timeoutMs: 2000 }));

t.test('__call__ gets a request with json(), text() and bytes(); a body that is not JSON answers 400', async t => {
  let res = await fetch(`${base}/echo/?lang=en`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"ada"}' });
  t.equal(res.status, 200);
  t.same(await res.json(), { hello: 'ada', method: 'POST', query: { lang: 'en' } });

  res = await fetch(`${base}/echo/text`, { method: 'POST', body: 'plain words' });
  t.same(await res.json(), { text: 'plain words' });
  res = await fetch(`${base}/echo/bytes`, { method: 'POST', body: new Uint8Array(300) });
  t.same(await res.json(), { length: 300 });

  res = await fetch(`${base}/echo/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' });
  t.equal(res.status, 400, 'the client sent bad JSON: 400, not 500');
  t.match(await res.json(), { error: { code: 'TROUPE_ERR_REQUEST_JSON', message: /not JSON/ } });
  res = await fetch(`${base}/echo/`, { method: 'POST' });
  t.equal(res.status, 400, 'an empty body is no JSON either');

  res = await fetch(`${base}/echo/`, { method: 'POST', body: '{"name":"bob"}' });
  t.same(await res.json(), { hello: 'bob', method: 'POST', query: {} }, 'the replica keeps serving');
});

t.test('an @ingress with no routes fails at deploy time with a catalog error; other applications keep serving', async t => {
  await t.rejects(serve.run(NoRoutes.bind(), { name: 'no-routes', routePrefix: '/none' }), {
    code: 'TROUPE_ERR_ROUTE_DEFINITION',
    message: /@ingress class NoRoutes \(application no-routes\) declares no routes: decorate its methods with @get/,
  });
  t.notOk(serve.status().applications['no-routes']?.ready, 'the failed application does not serve');
  const res = await fetch(`${base}/summary/ping`);
  t.equal(await res.text(), 'pong');
});

t.test('@ingress({ summary }) is shown in OpenAPI', async t => {
  const doc = (await (await fetch(`${base}/summary/openapi.json`)).json()) as { info: Record<string, string> };
  t.match(doc.info, { title: 'Summary API', summary: 'one line about the API' });
});
