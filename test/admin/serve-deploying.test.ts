// While serve.run deploys an application: its routes exist, /-/healthz says it is not ready yet, and requests
// wait for its first replica; a deploy that fails takes its routes away again and answers what waited.
import t from 'tap';
import { serve } from '../../src/index.ts';
import { silentLogger } from '../../src/http/index.ts';
import { SlowStart } from '../fixtures/admin/apps.ts';

let base = '';

t.before(async () => {
  await serve.start({ http: { port: 0, logger: silentLogger } });
  base = `http://127.0.0.1:${serve.address!.port}`;
});
t.teardown(() => serve.shutdown({ timeoutMs: 2000 }));

const health = async () => {
  const res = await fetch(`${base}/-/healthz`);
  return { status: res.status, body: (await res.json()) as { status: string; apps: Record<string, boolean> } };
};
/** /-/healthz once it names `app` (run() mounts an application when it is planned, before its replicas start). */
async function healthOnceMounted(app: string) {
  let h = await health();
  for (let i = 0; i < 100 && !(app in h.body.apps); i++) h = await health();
  return h;
}

t.test('a deploying application is mounted but not ready, and its requests are answered once it is', async (t) => {
  const deploying = serve.run(SlowStart.bind().options({ userConfig: { startMs: 1500 } }), { name: 'slow', routePrefix: '/slow' });
  let h = await healthOnceMounted('slow');
  t.equal(h.status, 503, 'healthz is 503 while the application deploys');
  t.same(h.body, { status: 'unavailable', apps: { slow: false } });
  const routes = serve.routes() as { app: string; ready: boolean }[];
  t.match(routes, [{ app: 'slow', ready: false }], 'the route listing has it, not ready');

  const early = fetch(`${base}/slow/hello`);
  await deploying;
  const res = await early;
  t.equal(res.status, 200, 'a request sent while it deployed waited for the replica instead of finding no route');
  t.equal(await res.text(), 'hello');
  h = await health();
  t.equal(h.status, 200);
  t.same(h.body, { status: 'ok', apps: { slow: true } });
});

t.test('a deploy that fails answers its waiting requests with 503 and leaves no routes behind', async (t) => {
  const failing = serve.run(SlowStart.bind().options({ userConfig: { startMs: 300, fail: true } }), { name: 'broken', routePrefix: '/broken' });
  let h = await healthOnceMounted('broken');
  t.equal(h.status, 503, 'not ready while it deploys');
  const waiting = fetch(`${base}/broken/hello`);
  await t.rejects(failing, { code: 'TROUPE_ERR_DEPLOYMENT_FAILED' }, 'serve.run rejects');
  const res = await waiting;
  t.equal(res.status, 503, 'the request that waited for a replica is answered');
  t.match(await res.json(), { error: { code: 'TROUPE_ERR_NO_REPLICA' } });
  t.equal((await fetch(`${base}/broken/hello`)).status, 404, 'its routes are gone');
  h = await health();
  t.equal(h.status, 200, 'healthz is back to the applications that run');
  t.same(h.body.apps, { slow: true });
});

t.test('a route prefix already taken fails the run before any replica starts', async (t) => {
  await t.rejects(serve.run(SlowStart.bind().options({ userConfig: { startMs: 0 } }), { name: 'clash', routePrefix: '/slow' }), {
    code: 'TROUPE_ERR_ROUTE_DEFINITION',
  });
  t.notOk('clash' in serve.status().applications, 'the application is not left behind');
  t.equal((await fetch(`${base}/slow/hello`)).status, 200, 'the application that holds the prefix still answers');
});
