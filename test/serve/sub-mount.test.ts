// A deployment of an application that serves its own routes under a sub-prefix (the routePrefix deployment
// option): the proxy calls its replicas directly, and the paths it has no route for fall back to the ingress.
import t from 'tap';
import { serve } from '../../src/index.ts';
import type { AccessLogEntry } from '../../src/http/index.ts';
import { Inner, Outer, Plain } from '../fixtures/serve/sub-mount-apps.ts';

const access: AccessLogEntry[] = [];
let base = '';
let n = 0;

t.before(async () => {
  await serve.start({ http: { port: 0, logger: { access: (e) => access.push(e), error() {} } } });
  base = `http://127.0.0.1:${serve.address!.port}`;
});
t.teardown(() => serve.shutdown({ timeoutMs: 2000 }));

/** The reply and the access-log line of one request. */
async function call(path: string, init: RequestInit = {}) {
  const id = `sub-${++n}`;
  const res = await fetch(base + path, { ...init, headers: { ...(init.headers as Record<string, string>), 'x-request-id': id } });
  return { status: res.status, body: (await res.json()) as any, log: access.find((e) => e.requestId === id) };
}
const mounted = () => (serve.routes() as { app: string; routePrefix: string }[]).map((r) => `${r.app} ${r.routePrefix}`).sort();
const app = (routePrefix: string) => Outer.bind(Inner.bind().options({ routePrefix }));

t.test('requests under the sub-prefix reach the deployment directly; the others fall back to the ingress', async (t) => {
  await serve.run(app('/inner'), { name: 'subs', routePrefix: '/app' });
  t.same(mounted(), ['subs /app', 'subs#Inner /app/inner']);

  const hello = await call('/app/inner/hello');
  t.same(hello.body, { from: 'subs/Inner' }, 'answered by the Inner replica');
  t.match(hello.log, { app: 'subs#Inner', deployment: 'subs/Inner', status: 200 });
  t.match(hello.log?.replica, /Inner/, 'the access log names the Inner replica');
  const echo = await call('/app/inner/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":1}' });
  t.same(echo.body, { from: 'subs/Inner', body: { x: 1 } });

  const info = await call('/app/inner/info');
  t.same(info.body, { from: 'subs/Outer', inner: 'subs/Inner' }, 'a path the sub-mount has no route for reaches the ingress');
  t.match(info.log, { app: 'subs', deployment: 'subs/Outer' });
  t.same((await call('/app/ping')).body, { from: 'subs/Outer' });
  const wrong = await call('/app/inner/echo');
  t.equal(wrong.status, 405, 'a route of the sub-mount with another method: 405, not the ingress');
  t.equal((await call('/app/inner/nothing')).status, 404, 'no route in either: 404');
});

t.test('an update keeps the sub-mounts mounted, moves or drops them; delete unmounts them', async (t) => {
  await serve.run(app('/inner'), { name: 'subs', routePrefix: '/app' });
  t.same((await call('/app/inner/hello')).body, { from: 'subs/Inner' }, 'the same application again');

  await serve.run(app('/inside/'), { name: 'subs', routePrefix: '/app' });
  t.same(mounted(), ['subs /app', 'subs#Inner /app/inside']);
  t.same((await call('/app/inside/hello')).body, { from: 'subs/Inner' }, 'the new sub-prefix');
  t.same((await call('/app/inner/hello')).body, { from: 'subs/Outer' }, 'the old one now reaches the ingress');

  await serve.run(Outer.bind(Inner.bind()), { name: 'subs', routePrefix: '/app' });
  t.same(mounted(), ['subs /app'], 'an update that drops the option unmounts its routes');
  t.equal((await call('/app/inside/hello')).status, 404);
  t.same((await call('/app/inner/hello')).body, { from: 'subs/Outer' });

  await serve.run(app('/inner'), { name: 'subs', routePrefix: '/app' });
  t.same(mounted(), ['subs /app', 'subs#Inner /app/inner']);
  await serve.delete('subs');
  t.same(mounted(), [], 'delete unmounts the application and its sub-mounts');
  t.equal((await call('/app/inner/hello')).status, 404);
});

t.test('routePrefix is checked: a path, only for a class with routes, not on the ingress', async (t) => {
  t.throws(() => Plain.bind().options({ routePrefix: '/plain' }), { code: 'TROUPE_ERR_DEPLOYMENT_OPTION', message: /routePrefix is for a class with routes, but class Plain declares none/ });
  t.throws(() => Inner.bind().options({ routePrefix: 'inner' }), { code: 'TROUPE_ERR_DEPLOYMENT_OPTION', message: /routePrefix must start with "\/"/ });
  t.throws(() => Inner.bind().options({ routePrefix: '/' }), { code: 'TROUPE_ERR_DEPLOYMENT_OPTION', message: /below the application's prefix/ });
  t.throws(() => Inner.bind().options({ routPrefix: '/inner' } as never), { code: 'TROUPE_ERR_DEPLOYMENT_OPTION', message: /did you mean routePrefix/ });

  await t.rejects(serve.run(Outer.bind(Inner.bind()).options({ routePrefix: '/outer' }), { name: 'bad' }), { code: 'TROUPE_ERR_SERVE_OPTION', message: /other than the ingress/ });
  t.same(mounted(), [], 'nothing of it stays mounted');
  t.notOk('bad' in serve.status().applications);
});

t.test('a first deploy that fails unmounts the sub-mounts it had mounted', async (t) => {
  await serve.run(Outer.bind(Inner.bind()), { name: 'first', routePrefix: '/taken' });
  t.teardown(() => serve.delete('first'));
  // Its sub-mount mounts, then its ingress finds /taken in use.
  await t.rejects(serve.run(app('/inner'), { name: 'second', routePrefix: '/taken' }), { code: 'TROUPE_ERR_ROUTE_DEFINITION' });
  t.same(mounted(), ['first /taken']);
  t.same((await call('/taken/inner/hello')).body, { from: 'first/Outer' }, 'the first application answers there still');
});
