// The x-troupe-model-id header end to end: the proxy passes it to the ingress call as its model id, the router
// keeps a model's requests on the replica that holds it, the id reaches deployments the ingress calls, and the
// access log shows it.
import t from 'tap';
import { serve } from '../../src/index.ts';
import type { AccessLogEntry } from '../../src/http/index.ts';
import { ModelApi, Models } from '../fixtures/serve/multiplex-apps.ts';

const access: AccessLogEntry[] = [];
let base = '';

t.before(async () => {
  await serve.start({ http: { port: 0, logger: { access: e => access.push(e), error: () => {} } } });
  await serve.run(ModelApi.bind(Models.bind()), { name: 'mx-http', routePrefix: '/mx' });
  base = `http://127.0.0.1:${serve.address!.port}`;
});
t.teardown(() => serve.shutdown({ timeoutMs: 2000 }));

const get = async (path: string, modelId?: string, requestId?: string) => {
  const headers: Record<string, string> = {};
  if (modelId !== undefined) headers['x-troupe-model-id'] = modelId;
  if (requestId !== undefined) headers['x-request-id'] = requestId;
  const res = await fetch(`${base}${path}`, { headers });
  return { status: res.status, body: (await res.json()) as any };
};

t.test('the header is the call model id, in the ingress and in the deployments it calls', async t => {
  t.same((await get('/mx/which', 'alpha')).body, { own: 'alpha', downstream: 'alpha' });
  t.same((await get('/mx/which')).body, { own: '', downstream: '' }, "'' without the header");
  t.same((await get('/mx/which', '')).body, { own: '', downstream: '' }, "an empty header is none");
});

t.test('requests for a model stay on the replica that loaded it', async t => {
  const models = ['a', 'b', 'c', 'd'];
  const replies = await Promise.all(Array.from({ length: 60 }, (_, i) => get('/mx/predict', models[i % 4])));
  t.ok(replies.every(r => r.status === 200), 'all answered');
  for (const m of models) {
    const replicas = new Set(replies.filter(r => r.body.model === m).map(r => r.body.replica));
    t.equal(replicas.size, 1, `model ${m}: one replica`);
  }
  t.ok(replies.every(r => r.body.loadsHere === 1), 'each model loaded once');
});

t.test('a loader with no model id answers 400 naming the header; the access log carries the model id', async t => {
  const res = await get('/mx/predict', undefined, 'mx-none');
  t.equal(res.status, 400);
  t.equal(res.body.error.code, 'TROUPE_ERR_NO_MODEL_ID');
  t.match(res.body.error.message, /x-troupe-model-id/);
  await get('/mx/predict', 'a', 'mx-with');
  t.equal(access.find(e => e.requestId === 'mx-with')?.modelId, 'a', 'the access-log entry names the model');
  t.notOk('modelId' in access.find(e => e.requestId === 'mx-none')!, 'and has no modelId key without one');
});
