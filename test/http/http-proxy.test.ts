import t from 'tap';
import { HttpProxy, routesOf } from '../../src/http/index.ts';
import { takesInput } from '../../src/http/compile-app.ts';
import { InputsApi, ItemsApi, RawApp } from '../fixtures/http/apps.ts';
import { InProcessTarget, mountApp } from '../fixtures/http/in-process-target.ts';
import { startProxy } from '../fixtures/http/harness.ts';

const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

t.test('routes, path params coerced by schema, JSON bodies, explicit responses', async (t) => {
  const app = mountApp(ItemsApi, new ItemsApi(), { name: 'items', replicaId: 'r-7' });
  const { base, log } = await startProxy(t, [app]);

  let res = await fetch(`${base}/hello`);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /application\/json/);
  t.ok(res.headers.get('x-request-id'), 'every response carries x-request-id');
  t.same(await res.json(), { hello: 'world' });

  res = await fetch(`${base}/items`, json({ name: 'pen', price: 1.5 }));
  t.equal(res.status, 201, 'httpResponse chooses the status');
  t.equal(res.headers.get('location'), '/items/1', 'and headers');
  t.same(await res.json(), { id: 1 });

  res = await fetch(`${base}/items/1`);
  t.same(await res.json(), { id: 1, name: 'pen', price: 1.5, idType: 'number' }, 'path param coerced to integer');

  res = await fetch(`${base}/items/2`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'cup', price: 3 }) });
  t.same(await res.json(), { ok: true });
  res = await fetch(`${base}/items/2`, { method: 'PATCH' });
  t.same(await res.json(), { patched: '2' });
  res = await fetch(`${base}/items/2`, { method: 'DELETE' });
  t.equal(res.status, 204, 'undefined → 204');
  res = await fetch(`${base}/items/2`);
  t.equal(res.status, 404, 'HttpError(404) from user code');
  t.match(await res.json(), { error: { code: 'TROUPE_ERR_HTTP', message: 'item 2 not found', details: { id: 2 } } });

  res = await fetch(`${base}/files/a/b%20c/d.txt`);
  t.same(await res.json(), { rest: 'a/b c/d.txt' }, 'wildcard');

  res = await fetch(`${base}/plain`);
  t.match(res.headers.get('content-type'), /^text\/plain/);
  t.equal(await res.text(), 'just text');

  res = await fetch(`${base}/bytes?n=300`);
  t.equal(res.headers.get('content-type'), 'application/octet-stream');
  const bytes = new Uint8Array(await res.arrayBuffer());
  t.equal(bytes.byteLength, 300);
  t.equal(bytes[299], 299 & 0xff);

  res = await fetch(`${base}/hello`, { headers: { 'x-request-id': 'client-id-42' } });
  t.equal(res.headers.get('x-request-id'), 'client-id-42', 'request id taken from the request');
  await res.arrayBuffer();

  const line = log.access.find((e) => e.requestId === 'client-id-42');
  t.match(line, { app: 'items', deployment: 'ItemsApi', replica: 'r-7', method: 'GET', path: '/hello', status: 200 }, 'access log line');
  t.type(line?.latencyMs, 'number');
  t.type(line?.time, 'string');
});

t.test('a route method without parameters gets no input, and its route is still checked', async (t) => {
  const target = new InProcessTarget(new InputsApi(), 'r-1');
  const seen: unknown[][] = [];
  const call = target.call.bind(target);
  target.call = (method, args, opts) => {
    seen.push(args);
    return call(method, args, opts);
  };
  const { base } = await startProxy(t, [{ name: 'inputs', routePrefix: '/', deploymentName: 'InputsApi', ingressClass: InputsApi, isReady: () => true, target }]);

  let res = await fetch(`${base}/bare`);
  t.equal(await res.text(), 'bare');
  t.same(seen.pop(), [], 'nothing built or sent for a method that cannot read it');

  res = await fetch(`${base}/checked?n=9`);
  t.equal(res.status, 400, 'the query schema still applies');
  t.match(await res.json(), { error: { code: 'TROUPE_ERR_VALIDATION' } });
  res = await fetch(`${base}/checked?n=2`);
  t.equal(await res.text(), 'checked');
  t.same(seen.pop(), []);

  res = await fetch(`${base}/json-only`, json({ name: '' }));
  t.equal(res.status, 400, 'and the body schema');
  await res.arrayBuffer();
  res = await fetch(`${base}/json-only`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
  t.equal(res.status, 415, 'and the content types it accepts');
  await res.arrayBuffer();
  res = await fetch(`${base}/json-only`, json({ name: 'pen', price: 1 }));
  t.equal(await res.text(), 'stored');

  res = await fetch(`${base}/rest`);
  t.same(await res.json(), { got: 1, path: '/rest' }, 'rest parameters get the input');
  res = await fetch(`${base}/arguments`);
  t.same(await res.json(), { got: 1 }, 'so does a method that reads arguments');
});

t.test('takesInput reads the parameter list', async (t) => {
  class C {
    none() {}
    async asyncNone() {}
    one(x: number) { return x; }
    defaulted(x = 1) { return x; }
    destructured({ body }: { body: unknown }) { return body; }
    spaced(  ) {}
    reads() { return arguments.length; }
  }
  const p = C.prototype as unknown as Record<string, unknown>;
  t.equal(takesInput(p.none), false);
  t.equal(takesInput(p.asyncNone), false);
  t.equal(takesInput(p.spaced), false);
  t.equal(takesInput(() => 1), false);
  for (const name of ['one', 'defaulted', 'destructured', 'reads']) t.equal(takesInput(p[name]), true, name);
  t.equal(takesInput(function (...a: unknown[]) { return a; }), true, 'rest');
  t.equal(takesInput(undefined), true, 'no function: assume it takes input');
  t.equal(takesInput(function () { return 1; }.bind(null)), true, 'bound: its source is not readable');
  const computed = { ['odd()'](...input: unknown[]) { return input; } } as Record<string, unknown>;
  t.equal(takesInput(computed['odd()']), true, 'parentheses in a computed name are not its parameter list');
});

t.test('query coercion, defaults and arrays', async (t) => {
  const { base } = await startProxy(t, [mountApp(ItemsApi, new ItemsApi())]);
  let res = await fetch(`${base}/search?q=lamp&limit=5&tag=a&tag=b`);
  t.same(await res.json(), { q: 'lamp', limit: 5, limitType: 'number', tag: ['a', 'b'] });
  res = await fetch(`${base}/search?q=lamp&tag=solo`);
  t.same(await res.json(), { q: 'lamp', limit: 10, limitType: 'number', tag: ['solo'] }, 'default applied, lone value wrapped');
  res = await fetch(`${base}/search?limit=500`);
  t.equal(res.status, 400);
  const body = (await res.json()) as { error: { code: string; details: { errors: { path: string }[] } } };
  t.equal(body.error.code, 'TROUPE_ERR_VALIDATION');
  t.same(body.error.details.errors.map((e) => e.path).sort(), ['query/limit', 'query/q'], 'every failing path listed');
});

t.test('400 malformed JSON and schema violations with paths', async (t) => {
  const { base } = await startProxy(t, [mountApp(ItemsApi, new ItemsApi())]);
  let res = await fetch(`${base}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name": "x",' });
  t.equal(res.status, 400);
  t.match(await res.json(), { error: { code: 'TROUPE_ERR_MALFORMED_BODY', requestId: /.+/ } });

  res = await fetch(`${base}/items`, json({ name: '', price: -1, tags: ['ok', 3], email: 'not-an-email' }));
  t.equal(res.status, 400);
  const body = (await res.json()) as { error: { details: { errors: { path: string; keyword: string }[] } } };
  t.same(
    body.error.details.errors.map((e) => e.path).sort(),
    ['body/email', 'body/name', 'body/price', 'body/tags/1'],
  );

  res = await fetch(`${base}/items`, json({ price: 2 }));
  t.match(await res.json(), { error: { details: { errors: [{ path: 'body/name', keyword: 'required' }] } } });

  res = await fetch(`${base}/items/0`);
  t.equal(res.status, 400, 'path params validated');
  t.match(await res.json(), { error: { details: { errors: [{ path: 'params/id' }] } } });
});

t.test('404, 405, 415, 500, 418, 503, 504', async (t) => {
  const app = mountApp(ItemsApi, new ItemsApi());
  const { base, log } = await startProxy(t, [app]);

  let res = await fetch(`${base}/nowhere`);
  t.equal(res.status, 404);
  t.match(await res.json(), { error: { code: 'TROUPE_ERR_ROUTE_NOT_FOUND' } });

  res = await fetch(`${base}/hello`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } });
  t.equal(res.status, 405);
  t.equal(res.headers.get('allow'), 'GET');
  t.match(await res.json(), { error: { code: 'TROUPE_ERR_METHOD_NOT_ALLOWED' } });

  res = await fetch(`${base}/items`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' });
  t.equal(res.status, 415);
  t.match(await res.json(), { error: { code: 'TROUPE_ERR_UNSUPPORTED_MEDIA_TYPE' } });

  res = await fetch(`${base}/boom`);
  t.equal(res.status, 500);
  const boom = (await res.json()) as { error: { code: string; message: string; requestId: string; details: object } };
  t.notMatch(boom.error.message, /kaboom/, 'the message of an unexpected error stays in the log');
  t.match(boom.error.message, /requestId/);
  t.equal(boom.error.requestId, res.headers.get('x-request-id'));
  t.notMatch(JSON.stringify(boom), /at .*apps\.ts/, 'no stack in the body');
  const logged = log.errors.find((e) => e.fields.requestId === boom.error.requestId);
  t.match((logged?.fields.error as { stack: string }).stack, /kaboom in user code/, 'the stack goes to the log');

  res = await fetch(`${base}/teapot`);
  t.equal(res.status, 418);
  t.match(await res.json(), { error: { message: 'short and stout', details: { hint: 'tip me over' } } });

  res = await fetch(`${base}/overloaded`);
  t.equal(res.status, 503);
  t.equal(res.headers.get('retry-after'), '2');
  t.match(await res.json(), { error: { code: 'TROUPE_ERR_BACKPRESSURE' } });

  res = await fetch(`${base}/no-replica`);
  t.equal(res.status, 503);
  t.equal(res.headers.get('retry-after'), null);
  await res.arrayBuffer();

  const before = app.target.aborted.length;
  res = await fetch(`${base}/slow`);
  t.equal(res.status, 504);
  t.match(await res.json(), { error: { code: 'TROUPE_ERR_REQUEST_TIMEOUT' } });
  t.equal(app.target.aborted.length, before + 1, 'the replica call was cancelled');
});

t.test('binary bodies, text and multipart uploads', async (t) => {
  const { base } = await startProxy(t, [mountApp(ItemsApi, new ItemsApi())]);
  const payload = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
  let res = await fetch(`${base}/echo-bytes`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: payload });
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-type'), 'image/png');
  t.same(new Uint8Array(await res.arrayBuffer()), payload, 'large binary body round-trips');

  res = await fetch(`${base}/echo-bytes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  t.equal(res.status, 415);
  await res.arrayBuffer();

  res = await fetch(`${base}/text`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'héllo' });
  t.equal(await res.text(), 'got 5 chars');

  const form = new FormData();
  form.set('title', 'report');
  form.set('file', new Blob([new Uint8Array([1, 2, 3, 250])], { type: 'application/pdf' }), 'r.pdf');
  res = await fetch(`${base}/upload`, { method: 'POST', body: form });
  t.equal(res.status, 200);
  t.same(await res.json(), { title: 'report', filename: 'r.pdf', contentType: 'application/pdf', size: 4, sum: 256 });

  const missing = new FormData();
  missing.set('title', 'no file');
  res = await fetch(`${base}/upload`, { method: 'POST', body: missing });
  t.equal(res.status, 400);
  t.match(await res.json(), { error: { details: { errors: [{ path: 'body/file' }] } } });
});

t.test('a class without @ingress gets __call__(request)', async (t) => {
  const { base } = await startProxy(t, [mountApp(RawApp, new RawApp(), { name: 'raw', routePrefix: '/raw' }), mountApp(ItemsApi, new ItemsApi(), { name: 'items' })]);
  let res = await fetch(`${base}/raw/json?a=1&a=2`, { method: 'PUT', body: 'abc', headers: { 'content-type': 'application/whatever' } });
  t.same(await res.json(), { method: 'PUT', query: { a: ['1', '2'] }, size: 3 });
  res = await fetch(`${base}/raw/other/thing`);
  t.equal(res.status, 202);
  t.equal(res.headers.get('content-type'), 'text/x-raw');
  t.equal(await res.text(), 'raw GET /other/thing');
  res = await fetch(`${base}/raw/fail`);
  t.equal(res.status, 422);
  await res.arrayBuffer();
  res = await fetch(`${base}/hello`);
  t.equal(res.status, 200, 'the root app still serves what is not under /raw');
  await res.arrayBuffer();
  res = await fetch(`${base}/rawish`);
  t.equal(res.status, 404, 'a prefix matches whole segments only');
  await res.arrayBuffer();
});

t.test('longest prefix wins; unmount; healthz; routes', async (t) => {
  let ready = true;
  const { proxy, base } = await startProxy(t, [
    mountApp(ItemsApi, new ItemsApi(), { name: 'root', routePrefix: '/' }),
    mountApp(RawApp, new RawApp(), { name: 'api', routePrefix: '/api/', ready: () => ready }),
    mountApp(RawApp, new RawApp(), { name: 'v2', routePrefix: '/api/v2' }),
  ], { publicRoutes: true });
  t.equal(await (await fetch(`${base}/api/v2/x`)).text(), 'raw GET /x');
  t.equal(await (await fetch(`${base}/api/v3/x`)).text(), 'raw GET /v3/x');

  let res = await fetch(`${base}/-/healthz`);
  t.equal(res.status, 200);
  t.same(await res.json(), { status: 'ok', apps: { root: true, api: true, v2: true } });
  ready = false;
  res = await fetch(`${base}/-/healthz`);
  t.equal(res.status, 503, 'not ready while an application is not running');
  await res.arrayBuffer();

  res = await fetch(`${base}/-/routes`);
  const routes = (await res.json()) as { app: string; routes: { method: string; path: string }[] }[];
  const root = routes.find((r) => r.app === 'root')!;
  t.ok(root.routes.some((r) => r.method === 'GET' && r.path === '/items/:id'));
  t.same(routes.find((r) => r.app === 'v2')!.routes, [{ method: '*', path: '/api/v2/*', handler: '__call__', streaming: false }]);

  proxy.unmount('v2');
  t.equal(await (await fetch(`${base}/api/v2/x`)).text(), 'raw GET /v2/x', 'after unmount the next prefix serves');
  t.throws(() => proxy.mount(mountApp(RawApp, new RawApp(), { name: 'again', routePrefix: '/api' })), { code: 'TROUPE_ERR_ROUTE_DEFINITION' });
});

t.test('OpenAPI 3.1 and docs from swagger-ui-dist', async (t) => {
  const { base } = await startProxy(t, [mountApp(ItemsApi, new ItemsApi(), { name: 'items', routePrefix: '/shop' })]);
  const spec = (await (await fetch(`${base}/shop/openapi.json`)).json()) as any;
  t.equal(spec.openapi, '3.1.0');
  t.same(spec.info, { title: 'Items API', version: '1.2.3', description: 'test app' });
  const getItem = spec.paths['/shop/items/{id}'].get;
  t.equal(getItem.summary, 'Get one item');
  t.same(getItem.parameters[0], { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } });
  const create = spec.paths['/shop/items'].post;
  t.same(create.requestBody.content['application/json'].schema.required, ['name', 'price']);
  t.ok(create.responses['400'], 'validation errors documented');
  const search = spec.paths['/shop/search'].get;
  t.same(search.parameters.map((p: any) => [p.name, p.required]), [['q', true], ['limit', true], ['tag', false]]);
  const upload = spec.paths['/shop/upload'].post.requestBody.content['multipart/form-data'].schema;
  t.same(upload.properties.file, { type: 'string', format: 'binary', required: ['filename', 'contentType', 'data'], description: 'the file' });
  t.ok(spec.paths['/shop/tokens'].get.responses['200'].content['text/event-stream'], 'streams documented');

  const html = await (await fetch(`${base}/shop/docs`)).text();
  t.match(html, /\/shop\/docs\/swagger-ui-bundle\.js/);
  t.match(html, /"\/shop\/openapi\.json"/);
  const bundle = await fetch(`${base}/shop/docs/swagger-ui-bundle.js`);
  t.equal(bundle.status, 200);
  t.match(bundle.headers.get('content-type'), /javascript/);
  const js = await bundle.text();
  t.ok(js.length > 500_000, 'the whole bundle arrives (tryEnd/onWritable for large bodies)');
  t.match(js, /SwaggerUIBundle/);
  const css = await fetch(`${base}/shop/docs/swagger-ui.css`);
  t.equal(css.status, 200);
  await css.arrayBuffer();
  const nope = await fetch(`${base}/shop/docs/../../etc/passwd`);
  t.equal(nope.status, 404);
  await nope.arrayBuffer();
});

t.test('routesOf and decorator order', async (t) => {
  const meta = routesOf(ItemsApi);
  t.same(meta.ingress, { title: 'Items API', version: '1.2.3', description: 'test app' });
  t.ok(meta.routes.find((r) => r.methodName === 'tokens')?.streaming, 'async generators are streams');
  t.notOk(meta.routes.find((r) => r.methodName === 'hello')?.streaming);
  t.same(meta.websockets.map((w) => w.path), ['/ws/echo/:room', '/ws/flood']);
  t.same(routesOf(RawApp), { ingress: undefined, routes: [], websockets: [] });
  t.same(routesOf(undefined).routes, []);
});

t.test('listen errors and lifecycle', async (t) => {
  const a = new HttpProxy({ port: 0, logger: { access() {}, error() {} } });
  const { port } = await a.listen();
  const b = new HttpProxy({ port, logger: { access() {}, error() {} } });
  await t.rejects(b.listen(), { code: 'TROUPE_ERR_LISTEN' });
  await t.rejects(a.listen(), { code: 'TROUPE_ERR_PROXY_STATE' });
  t.throws(() => new HttpProxy({ maxBodyBytes: -1 }), { code: 'TROUPE_ERR_INVALID_ARGUMENT' });
  await a.close();
  await b.close();
});
