// The admin API in-process, as troupe deploy/status/shutdown use it: a config deployed and updated in place
// (a changed numReplicas scales without restarting anything else; a changed userConfig reaches live replicas
// through reconfigure), every rejected config leaving the server exactly as it was, declarative deletes, tokens.
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { AdminServer, Deployer, serve, type AdminStatus } from '../../src/admin/index.ts';
import { formatIssue, type ConfigIssue } from '../../src/config/index.ts';
import { silentLogger } from '../../src/http/index.ts';

const fixtures = fileURLToPath(new URL('../fixtures/config/', import.meta.url));

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

function call(port: number, method: string, path: string, options: { body?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { 'x-troupe-config-dir': encodeURIComponent(fixtures), ...options.headers } }, res => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', c => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

let admin: AdminServer;
let port = 0;
let base = '';
let shutdowns = 0;
const deployer = new Deployer(serve, { capacity: { cpus: 2, gpus: [], memoryMb: 8192 } });

t.before(async () => {
  await serve.start({ http: { port: 0, logger: silentLogger } });
  base = `http://127.0.0.1:${serve.address!.port}`;
  admin = new AdminServer({ port: 0, deployer, onShutdown: () => shutdowns++, fixed: { http: { port: 0 } } });
  port = (await admin.listen()).port;
});
t.teardown(async () => {
  await admin.close();
  await serve.shutdown({ timeoutMs: 2000 });
});

const deploy = (body: string, headers: Record<string, string> = {}) => call(port, 'PUT', '/api/applications', { body, headers: { 'x-troupe-config-file': 'config.yaml', ...headers } });
const status = async () => (await call(port, 'GET', '/api/applications')).body as AdminStatus;
/** Application → deployment → its replicas (name, state, version): what a rejected deploy must leave alone. */
const replicas = async () =>
  Object.fromEntries(
    Object.entries((await status()).applications).map(([app, a]) => [
      app,
      Object.fromEntries(Object.entries(a.deployments).map(([d, info]) => [d, info.replicas.map(r => `${r.name} ${r.state} ${r.version}`)])),
    ]),
  );
const get = async (path: string): Promise<{ status: number; body: any }> => {
  const res = await fetch(base + path);
  return { status: res.status, body: res.status === 200 ? await res.json() : await res.text() };
};

const config = (greeterLines = '', extra = '') => `applications:
  - name: shop
    routePrefix: /shop
    importPath: apps.ts:app
    deployments:
      - name: Greeter
        actorOptions: { numCpus: 0.25 }
${greeterLines}${extra}`;

t.test('PUT deploys a config; GET shows its applications, replicas and resources', async t => {
  const res = await deploy(config());
  t.equal(res.status, 200, JSON.stringify(res.body));
  t.same(res.body.deleted, []);
  t.same(res.body.warnings, []);
  t.match(res.body.applications.shop, { status: 'RUNNING', routePrefix: '/shop', importPath: 'apps.ts:app', deployments: { Front: { status: 'HEALTHY' }, Greeter: { status: 'HEALTHY' } } });
  t.same(await get('/shop/hello'), { status: 200, body: { message: 'hello troupe' } });
  const s = await status();
  t.same(s.resources.cpus, { used: 0.5, total: 2 }, 'two replicas of 0.25 CPU');
  t.same(s.resources.memoryMb, { used: 0, total: 8192 }, 'actorOptions replaced whole: the code\'s memory: 256 is gone');
  const routes = await call(port, 'GET', '/api/routes');
  t.match(routes.body, [{ app: 'shop', routePrefix: '/shop', routes: [{ method: 'GET', path: '/shop/hello' }] }], 'GET /api/routes lists the routes');
});

t.test('a changed numReplicas scales that deployment; no other replica restarts', async t => {
  const before = await replicas();
  const res = await deploy(config('        numReplicas: 2\n'));
  t.equal(res.status, 200, JSON.stringify(res.body));
  const after = await replicas();
  t.same(after.shop!.Front, before.shop!.Front, 'the other deployment kept its replica');
  t.equal(after.shop!.Greeter!.length, 2);
  t.equal(after.shop!.Greeter![0], before.shop!.Greeter![0], 'the scaled deployment kept its first replica');
  t.match(after.shop!.Greeter![1], /^shop\/Greeter#1 RUNNING /);
});

t.test('a changed userConfig reaches live replicas through reconfigure(); nothing restarts', async t => {
  const before = await replicas();
  const seen = (await get('/shop/info')).body;
  t.equal(seen.greeting, 'hello');
  const res = await deploy(config('        numReplicas: 2\n        userConfig: { greeting: hey }\n'));
  t.equal(res.status, 200, JSON.stringify(res.body));
  t.same(await replicas(), before, 'the same replicas, same versions');
  for (let i = 0; i < 4; i++) t.same(await get('/shop/hello'), { status: 200, body: { message: 'hey troupe' } }, 'every replica has the new config');
  const info = (await get('/shop/info')).body;
  t.ok(info.reconfigures > seen.reconfigures, 'reconfigure() ran again in the replica');
});

t.test('a rejected config answers 400 with what to fix and leaves the server exactly as it was', async t => {
  const before = await replicas();
  const cases: [string, string, RegExp][] = [
    ['malformed YAML', 'applications:\n  - importPath: apps.ts:app\n   name: x\n', /^config\.yaml:3:\d+: not valid YAML/],
    ['unknown field', config('        numReplica: 3\n'), /^config\.yaml:8:9: applications\[0\]\.deployments\[0\]\.numReplica: unknown field; did you mean numReplicas\?$/],
    ['wrong type', config('        numReplicas: three\n'), /^config\.yaml:8:22: .*numReplicas: must be an integer >= 1 or "auto"$/],
    ['missing module', config().replace('apps.ts:app', 'gone.ts:app'), /^config\.yaml:4:17: applications\[0\]\.importPath: cannot import gone\.ts: no such file/],
    ['missing export', config().replace('apps.ts:app', 'apps.ts:nothing'), /has no export "nothing"/],
    ['builder throws', config().replace('apps.ts:app', 'apps.ts:throwingBuilder'), /builder apps\.ts:throwingBuilder threw: the model file is missing/],
    ['unknown deployment', config().replace('name: Greeter', 'name: greeter'), /has no deployment "greeter"; did you mean Greeter\? \(its deployments: Front, Greeter\)/],
    ['resources the machine lacks', config('        numReplicas: 3\n').replace('{ numCpus: 0.25 }', '{ numCpus: 0.25, numGpus: 1 }'), /a replica needs actorOptions\.numGpus 1 but only 0 of 0 GPUs are free/],
    [
      'one good application and one bad: neither applies',
      `${config('        numReplicas: 3\n')}  - name: other
    routePrefix: /other
    importPath: apps.ts:withGreeting
    deployments: [{ name: Greeter, maxOngoingRequests: 0 }]
`,
      /applications\[1\]\.deployments\[0\]\.maxOngoingRequests: must be >= 1/,
    ],
  ];
  for (const [what, body, message] of cases) {
    const res = await deploy(body);
    t.equal(res.status, 400, what);
    t.equal(res.body.error.code, 'TROUPE_ERR_CONFIG', what);
    t.match((res.body.error.issues as ConfigIssue[]).map(formatIssue).join('\n'), message, what);
    t.same(await replicas(), before, `${what}: nothing changed`);
  }
  t.same(await get('/shop/hello'), { status: 200, body: { message: 'hey troupe' } }, 'still serving');
  const big = await deploy('#'.repeat(1024 * 1024 + 10));
  t.equal(big.status, 413);
});

t.test('declarative: applications the config does not list are deleted; DELETE removes one', async t => {
  const both = `${config('        numReplicas: 2\n        userConfig: { greeting: hey }\n')}  - name: other
    routePrefix: /other
    importPath: apps.ts:withGreeting
    args: { greeting: ahoy }
    deployments: [{ name: Greeter, actorOptions: { numCpus: 0.1 } }, { name: Front, actorOptions: { numCpus: 0.1 } }]
`;
  const before = await replicas();
  let res = await deploy(both);
  t.equal(res.status, 200, JSON.stringify(res.body));
  t.same((await replicas()).shop, before.shop, 'the application that did not change kept every replica');
  t.same(await get('/other/hello'), { status: 200, body: { message: 'ahoy troupe' } }, 'the builder got its args');
  res = await deploy(`applications:
  - name: other
    routePrefix: /other
    importPath: apps.ts:withGreeting
    args: { greeting: ahoy }
    deployments: [{ name: Greeter, actorOptions: { numCpus: 0.1 } }, { name: Front, actorOptions: { numCpus: 0.1 } }]
`);
  t.equal(res.status, 200);
  t.same(res.body.deleted, ['shop']);
  t.same(Object.keys(res.body.applications), ['other']);
  t.equal((await get('/shop/hello')).status, 404, 'its routes are gone');

  res = await call(port, 'DELETE', '/api/applications/other');
  t.equal(res.status, 200);
  t.same(res.body.applications, {});
  res = await call(port, 'DELETE', '/api/applications/other');
  t.equal(res.status, 404);
  t.equal(res.body.error.code, 'TROUPE_ERR_APP_NOT_FOUND');
});

t.test('a deploy that fails while it runs puts back the applications it had changed', async t => {
  const small = `    deployments:
      - name: Front
        actorOptions: { numCpus: 0.1 }
      - name: Greeter
        actorOptions: { numCpus: 0.1 }
`;
  let res = await deploy(`applications:\n  - name: a\n    routePrefix: /a\n    importPath: apps.ts:app\n${small}`);
  t.equal(res.status, 200, JSON.stringify(res.body));
  const before = await replicas();
  res = await deploy(`applications:
  - name: a
    routePrefix: /a
    importPath: apps.ts:app
${small}        numReplicas: 2
        userConfig: { greeting: changed }
  - name: b
    routePrefix: /b
    importPath: apps.ts:broken
`);
  t.equal(res.status, 500);
  t.equal(res.body.error.code, 'TROUPE_ERR_DEPLOY_FAILED');
  t.match(res.body.error.message, /^deploying application "b" failed: .*cannot load the model.* The applications it had changed are back as they were/);
  const after = await replicas();
  t.same(Object.keys(after), ['a'], 'the new application is gone');
  t.same(after.a!.Front, before.a!.Front, 'untouched replicas kept');
  const version = before.a!.Greeter![0]!.split(' ')[2];
  const serving = after.a!.Greeter!.filter(r => !r.includes('STOPPING'));
  t.equal(serving.length, 1, 'scaled back to one replica');
  t.match(serving[0], new RegExp(`^a/Greeter#\\d RUNNING ${version}$`), 'of the same version');
  t.same(await get('/a/hello'), { status: 200, body: { message: 'hello troupe' } }, 'its userConfig is back too');
  t.equal((await call(port, 'DELETE', '/api/applications/a')).status, 200);
});

t.test('routes, methods, a deploy that cannot change http settings', async t => {
  let res = await call(port, 'GET', '/api/nothing');
  t.equal(res.status, 404);
  t.match(res.body.error.message, /no admin route GET \/api\/nothing/);
  res = await call(port, 'POST', '/api/applications');
  t.equal(res.status, 405);
  t.equal(res.headers.allow, 'GET, PUT');
  res = await deploy('http: { port: 9999 }\napplications: []\n');
  t.equal(res.status, 200);
  t.match(res.body.warnings, [/http differs from the running server's: it is read when the server starts/]);
});

t.test('without a token: loopback only, and no requests from web pages', async t => {
  t.throws(() => new AdminServer({ host: '0.0.0.0', port: 0, deployer }), { code: 'TROUPE_ERR_ADMIN_EXPOSED', message: /only with a token/ });
  let res = await call(port, 'GET', '/api/applications', { headers: { host: 'evil.example:8265' } });
  t.equal(res.status, 403, 'a Host that is not loopback (DNS rebinding)');
  res = await call(port, 'PUT', '/api/applications', { body: 'applications: []\n', headers: { origin: 'http://evil.example' } });
  t.equal(res.status, 403, 'a request from a web page');
  res = await call(port, 'GET', '/api/applications', { headers: { origin: 'http://localhost:3000' } });
  t.equal(res.status, 403, 'another local origin too');
  res = await call(port, 'GET', '/api/applications', { headers: { host: `localhost:${port}`, origin: `http://localhost:${port}` } });
  t.equal(res.status, 200, 'its own origin');
});

t.test('with a token every call needs it', async t => {
  const secured = new AdminServer({ port: 0, token: 's3cret-token', deployer });
  const p = (await secured.listen()).port;
  t.teardown(() => secured.close());
  let res = await call(p, 'GET', '/api/applications');
  t.equal(res.status, 401);
  t.equal(res.headers['www-authenticate'], 'Bearer');
  t.match(res.body.error, { code: 'TROUPE_ERR_ADMIN_TOKEN', message: /needs a token/ });
  res = await call(p, 'PUT', '/api/applications', { body: 'applications: []\n', headers: { authorization: 'Bearer s3cret-tokem' } });
  t.equal(res.status, 401);
  t.match(res.body.error.message, /token is wrong/);
  res = await call(p, 'GET', '/api/applications', { headers: { authorization: 'Bearer s3cret-token', host: 'troupe.internal:8265' } });
  t.equal(res.status, 200, 'with the token any Host may call');
  t.doesNotThrow(() => new AdminServer({ host: '0.0.0.0', port: 0, token: 'x', deployer }), 'a token allows another host');
});

t.test('POST /api/shutdown answers 202 and asks the server to stop; a stopping server refuses changes', async t => {
  const res = await call(port, 'POST', '/api/shutdown');
  t.equal(res.status, 202);
  await new Promise(r => setImmediate(r));
  t.equal(shutdowns, 1);
  admin.stopping();
  t.equal((await deploy('applications: []\n')).status, 503);
  t.equal((await call(port, 'GET', '/api/applications')).status, 200, 'status still answers while it stops');
});
