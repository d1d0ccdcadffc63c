// A config file is checked against the schema before anything happens, and every problem names the file, line,
// column and field, with the closest valid field for a typo.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ConfigError, configSchema, formatIssue, loadConfigFile, parseConfig } from '../../src/config/index.ts';

/** The issues parseConfig finds in `text`, formatted as the CLI prints them. */
function problems(text: string): string[] {
  try {
    parseConfig(text, 'config.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(formatIssue);
    throw err;
  }
  throw new Error('the config was accepted');
}

t.test('a valid config comes back as written, with no defaults added', async t => {
  const text = `
http: { host: 0.0.0.0, port: 0 }
admin: false
logging: { encoding: text, accessLog: false }
applications:
  - name: shop
    routePrefix: /shop
    importPath: app.ts:app
    args: { size: 3 }
    deployments:
      - name: Greeter
        numReplicas: auto
        autoscalingConfig: { minReplicas: 0, maxReplicas: 4 }
        userConfig: { greeting: hey, nested: [1, 2] }
        actorOptions: { numCpus: 0.5 }
`;
  const { config, file } = parseConfig(text, 'c.yaml');
  t.equal(file, 'c.yaml');
  t.same(config, {
    http: { host: '0.0.0.0', port: 0 },
    admin: false,
    logging: { encoding: 'text', accessLog: false },
    applications: [
      {
        name: 'shop',
        routePrefix: '/shop',
        importPath: 'app.ts:app',
        args: { size: 3 },
        deployments: [
          { name: 'Greeter', numReplicas: 'auto', autoscalingConfig: { minReplicas: 0, maxReplicas: 4 }, userConfig: { greeting: 'hey', nested: [1, 2] }, actorOptions: { numCpus: 0.5 } },
        ],
      },
    ],
  });
  t.same(parseConfig('{"applications": []}', 'c.json').config, { applications: [] }, 'JSON is YAML');
});

t.test('unknown fields: file:line:column and the closest valid field, also for Ray\'s snake_case names', async t => {
  t.same(
    problems(`http:
  prot: 9000
applications:
  - importPath: app.ts:app
    route_prefix: /a
    deployments:
      - name: Greeter
        numReplica: 2
        ray_actor_options: { num_cpus: 1 }
        actorOptions: { numCPUs: 1 }
`),
    [
      'config.yaml:2:3: http.prot: unknown field; did you mean port?',
      'config.yaml:5:5: applications[0].route_prefix: unknown field; did you mean routePrefix?',
      'config.yaml:8:9: applications[0].deployments[0].numReplica: unknown field; did you mean numReplicas?',
      'config.yaml:9:9: applications[0].deployments[0].ray_actor_options: unknown field; did you mean actorOptions?',
      'config.yaml:10:25: applications[0].deployments[0].actorOptions.numCPUs: unknown field; did you mean numCpus?',
    ],
  );
  t.same(problems('applications: []\nfoo: 1\n'), ['config.yaml:2:1: foo: unknown field (known here: http, admin, logging, applications)'], 'no close field: the known ones');
});

t.test('wrong types and values: one message per field, placed at the value', async t => {
  t.same(
    problems(`http: { port: 70000 }
logging: { encoding: xml }
applications:
  - importPath: app.ts
    routePrefix: shop
    deployments:
      - name: Greeter
        numReplicas: two
        maxOngoingRequests: 0
        healthCheckPeriodMs: -1
      - numReplicas: 1
`),
    [
      'config.yaml:1:15: http.port: must be <= 65535',
      'config.yaml:2:22: logging.encoding: must be one of "json", "text"',
      'config.yaml:4:17: applications[0].importPath: must be a string module:export, e.g. app.ts:app',
      'config.yaml:5:18: applications[0].routePrefix: must match pattern "^/"',
      'config.yaml:8:22: applications[0].deployments[0].numReplicas: must be an integer >= 1 or "auto"',
      'config.yaml:9:29: applications[0].deployments[0].maxOngoingRequests: must be >= 1',
      'config.yaml:10:30: applications[0].deployments[0].healthCheckPeriodMs: must be > 0',
      'config.yaml:11:9: applications[0].deployments[1].name: required field is missing',
    ],
  );
});

t.test('what the schema cannot say: names, prefixes and deployments that must be unique, numReplicas with autoscaling', async t => {
  t.same(
    problems(`applications:
  - importPath: a.ts:app
  - importPath: b.ts:app
    routePrefix: /b
  - name: c
    importPath: c.ts:app
    routePrefix: /b/
    deployments:
      - name: X
        numReplicas: 2
        autoscalingConfig: { maxReplicas: 3 }
      - name: X
`),
    [
      'config.yaml:3:5: applications[1]: application name "default" is also used by applications[0]; give each application its own name',
      'config.yaml:7:18: applications[2].routePrefix: route prefix "/b" is also used by applications[1]; give each application its own routePrefix',
      'config.yaml:10:9: applications[2].deployments[0].numReplicas: is set while autoscalingConfig is given: remove one (numReplicas: "auto" may go with autoscalingConfig)',
      'config.yaml:12:15: applications[2].deployments[1].name: deployment "X" is listed twice (also deployments[0]); merge the two',
    ],
  );
});

t.test('malformed YAML, an empty file, a missing file', async t => {
  t.match(problems('applications:\n  - importPath: a.ts:app\n   name: x\n'), [/^config\.yaml:3:\d+: not valid YAML: /]);
  t.match(problems('a: 1\na: 2\n'), ['config.yaml:2:1: not valid YAML: Map keys must be unique']);
  t.same(problems(''), ['config.yaml: the config is empty: it needs at least `applications:` (troupe build writes a starting point)']);
  t.same(problems('http: {}\n'), ['config.yaml:1:1: applications: required field is missing']);
  const dir = await mkdtemp(path.join(tmpdir(), 'troupe-config-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await t.rejects(loadConfigFile(path.join(dir, 'nope.yaml')), { code: 'TROUPE_ERR_CONFIG', message: /nope\.yaml: cannot read the config: no such file/ });
  await writeFile(path.join(dir, 'ok.yaml'), 'applications: []\n');
  t.same((await loadConfigFile(path.join(dir, 'ok.yaml'))).config, { applications: [] });
});

t.test('the published schema is JSON Schema for editors and names every deployment option', async t => {
  t.equal(configSchema.$schema, 'http://json-schema.org/draft-07/schema#');
  const app = (configSchema.properties as any).applications.items;
  const deployment = app.properties.deployments.items;
  t.same(Object.keys(deployment.properties).sort(), [
    'actorOptions', 'autoscalingConfig', 'gracefulShutdownTimeoutMs', 'healthCheckFailureThreshold', 'healthCheckPeriodMs',
    'healthCheckTimeoutMs', 'logLevel', 'maxOngoingRequests', 'maxQueuedRequests', 'name', 'numReplicas', 'routePrefix', 'userConfig',
  ]);
  t.ok(JSON.parse(JSON.stringify(configSchema)), 'serializable');
});
