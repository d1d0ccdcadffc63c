// From a config to applications: import paths (applications and builder functions), per-deployment overrides
// by name with the config over the code over the defaults, and every way that fails, placed in the file.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import {
  applyOverrides, buildApplications, ConfigError, deploymentsOf, formatIssue, importApplication, parseConfig, writeConfig,
} from '../../src/config/index.ts';
import { Application } from '../../src/index.ts';
import { app, pair, shared } from '../fixtures/config/apps.ts';

const fixtures = fileURLToPath(new URL('../fixtures/config/', import.meta.url));
const machine = { cpus: 2, gpus: [], memoryMb: 4096 };

/** The issues building `text` (relative to the fixtures folder) runs into. */
async function buildProblems(text: string): Promise<string[]> {
  try {
    await buildApplications(parseConfig(text, 'config.yaml'), { baseDir: fixtures, capacity: machine });
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(formatIssue);
    throw err;
  }
  throw new Error('the config was built');
}

const resolvedOf = (a: Application) => Object.fromEntries([...deploymentsOf(a)].map(([name, node]) => [name, node.resolved()]));

t.test('an import path names an application, or a builder function that gets args', async t => {
  t.equal(await importApplication('apps.ts:app', { baseDir: fixtures }), app, 'the exported application itself');
  t.equal(await importApplication('./apps:app', { baseDir: fixtures }), app, 'the extension may be left out');
  t.equal(await importApplication(path.join(fixtures, 'apps.ts'), { defaultExport: 'app' }), app, 'a bare module means its default export name');
  const built = await importApplication('apps.ts:withGreeting', { baseDir: fixtures, args: { greeting: 'ahoy' } });
  t.ok(built instanceof Application);
  t.same(resolvedOf(built).Greeter!.userConfig, { greeting: 'ahoy' }, 'the builder saw args');
});

t.test('an import path that does not give an application says what to fix', async t => {
  const cases: [string, Record<string, unknown> | undefined, RegExp][] = [
    ['nope.ts:app', undefined, /^cannot import nope\.ts: no such file/],
    ['no-such-package:app', undefined, /^cannot import no-such-package: /],
    ['apps.ts:missing', undefined, /^apps\.ts has no export "missing" that is an application \(Cls\.bind\(\.\.\.\)\) or a builder function; it exports: .*\bapp\b/],
    ['apps.ts:notAnApp', undefined, /"notAnApp" is number 42/],
    ['apps.ts:Greeter', undefined, /apps\.ts:Greeter is a deployment class, not an application: export Greeter\.bind\(\.\.\.\)/],
    ['apps.ts:throwingBuilder', undefined, /^builder apps\.ts:throwingBuilder threw: the model file is missing$/],
    ['apps.ts:wrongBuilder', undefined, /^builder apps\.ts:wrongBuilder returned an object, not an application/],
    ['apps.ts:app', { size: 1 }, /apps\.ts:app is an application, so it takes no args/],
    ['apps.ts', undefined, /is not an import path: write module:export/],
  ];
  for (const [importPath, args, message] of cases) {
    await t.rejects(importApplication(importPath, { baseDir: fixtures, args }), { code: 'TROUPE_ERR_IMPORT_PATH', message }, importPath);
  }
});

t.test('deployments are named as the controller names them', async t => {
  t.same([...deploymentsOf(app).keys()], ['Front', 'Greeter']);
  t.same([...deploymentsOf(pair).keys()], ['Pair', 'Tuned', 'Tuned_1', 'Scaled'], 'a second node of a class gets _1');
  t.same([...deploymentsOf(shared).keys()], ['Pair', 'Tuned', 'Scaled'], 'a node passed twice is one deployment; nodes inside plain objects count');
});

t.test('precedence: config over code over defaults; actorOptions, userConfig, autoscalingConfig replace whole', async t => {
  const before = resolvedOf(pair);
  t.same(before.Tuned!.actorOptions, { numCpus: 0.5, numGpus: 0, memory: 300 }, 'code');
  const after = resolvedOf(
    applyOverrides('x', pair, [
      { name: 'Tuned', actorOptions: { numGpus: 0 }, userConfig: { b: 3 }, maxOngoingRequests: 11 },
      { name: 'Tuned_1', autoscalingConfig: { minReplicas: 1, maxReplicas: 2 } },
      { name: 'Scaled', numReplicas: 3 },
    ]),
  );
  t.same(after.Tuned!.actorOptions, { numCpus: 1, numGpus: 0, memory: undefined }, 'actorOptions replaced whole: numCpus and memory back to their defaults');
  t.same(after.Tuned!.userConfig, { b: 3 }, 'userConfig replaced whole');
  t.equal(after.Tuned!.maxOngoingRequests, 11, 'config over code');
  t.equal(after.Tuned!.maxQueuedRequests, 9, 'what the config leaves out stays the code\'s');
  t.equal(after.Tuned!.numReplicas, 2);
  t.equal(after.Tuned_1!.autoscaling?.maxReplicas, 2, 'autoscalingConfig given in the config: the code\'s numReplicas 2 no longer applies');
  t.equal(after.Tuned_1!.autoscaling?.upscaleDelayMs, 30_000, 'a field the config\'s autoscalingConfig leaves out takes its default');
  t.equal(after.Scaled!.autoscaling, undefined, 'a fixed numReplicas in the config turns the code\'s autoscaling off');
  t.equal(after.Scaled!.numReplicas, 3);
  const scaledAgain = resolvedOf(applyOverrides('x', pair, [{ name: 'Scaled', autoscalingConfig: { maxReplicas: 5 } }])).Scaled!;
  t.equal(scaledAgain.autoscaling?.upscaleDelayMs, 30_000, 'replaced whole: the code\'s upscaleDelayMs is gone');
  t.type(scaledAgain.autoscaling?.policy, 'function', 'the code\'s policy function stays: a config cannot hold one');
  t.same(resolvedOf(pair), before, 'the original graph is untouched');

  const rebuilt = applyOverrides('x', shared, [{ name: 'Tuned', numReplicas: 4 }]);
  t.same([...deploymentsOf(rebuilt).keys()], ['Pair', 'Tuned', 'Scaled'], 'a shared node stays one deployment once rebuilt');
  t.equal(applyOverrides('x', app, []), app, 'no overrides: the same graph');
});

t.test('a deployment the application does not have, or options that do not resolve, are placed in the file', async t => {
  t.same(
    await buildProblems(`applications:
  - importPath: apps.ts:app
    deployments:
      - name: Greter
        numReplicas: 2
`),
    ['config.yaml:4:15: applications[0].deployments[0].name: application "default" has no deployment "Greter"; did you mean Greeter? (its deployments: Front, Greeter)'],
  );
  t.same(
    await buildProblems(`applications:
  - importPath: apps.ts:app
    deployments:
      - name: Greeter
        autoscalingConfig:
          minReplicas: 3
          maxReplicas: 2
`),
    ['config.yaml:7:24: applications[0].deployments[0].autoscalingConfig.maxReplicas: (2) must be >= minReplicas (3)'],
  );
});

t.test('every application is built before any is deployed: each failure is reported, placed at its import path', async t => {
  const problems = await buildProblems(`applications:
  - name: a
    importPath: apps.ts:app
    routePrefix: /a
  - name: b
    importPath: apps.ts:throwingBuilder
    routePrefix: /b
  - name: c
    importPath: missing.ts:app
    routePrefix: /c
  - name: d
    importPath: apps.ts:app
    routePrefix: /d
    args: { x: 1 }
`);
  t.same(problems, [
    'config.yaml:6:17: applications[1].importPath: builder apps.ts:throwingBuilder threw: the model file is missing',
    'config.yaml:9:17: applications[2].importPath: cannot import missing.ts: no such file (looked for test/fixtures/config/missing.ts)',
    'config.yaml:14:11: applications[3].args: apps.ts:app is an application, so it takes no args: remove args, or export a builder function (args) => application',
  ]);
});

t.test('resources the machine does not have are refused before anything starts', async t => {
  const problems = await buildProblems('applications:\n  - importPath: apps.ts:hungry\n');
  t.match(problems, [/^config\.yaml:2:17: applications\[0\]\.importPath: deployment default\/Hungry: a replica needs actorOptions\.numGpus 64 but only 0 of 0 GPUs are free; this machine has no GPU/]);
  const memory = await buildProblems(`applications:
  - importPath: apps.ts:app
    deployments:
      - name: Greeter
        actorOptions: { memory: 5000 }
`);
  t.match(memory, [/^config\.yaml:5:\d+: applications\[0\]\.deployments\[0\]\.actorOptions\.memory: deployment default\/Greeter: a replica needs actorOptions\.memory 5000 but only 4096 of 4096 MiB of memory are free/]);
  const together = await buildProblems(`applications:
  - name: a
    importPath: apps.ts:app
    routePrefix: /a
    deployments: [{ name: Greeter, actorOptions: { memory: 3000 } }]
  - name: b
    importPath: apps.ts:app
    routePrefix: /b
    deployments: [{ name: Greeter, actorOptions: { memory: 3000 } }]
`);
  t.match(together, [/applications\[1\]\.deployments\[0\]\.actorOptions\.memory: deployment b\/Greeter: a replica needs actorOptions\.memory 3000 but only 1096 of 4096/], 'all applications of the config together');
});

t.test('troupe build writes every deployment with its options; building that file gives the same application', async t => {
  const text = await writeConfig(['apps.ts:pair'], { baseDir: fixtures, command: 'troupe build apps.ts:pair' });
  t.match(text, /^# troupe config, written by `troupe build apps\.ts:pair`/);
  const loaded = parseConfig(text, 'built.yaml');
  t.same(loaded.config.applications.map(a => [a.name, a.routePrefix, a.importPath]), [['default', '/', './apps.ts:pair']], 'module relative to the file');
  t.same(
    loaded.config.applications[0]!.deployments!.map(d => d.name),
    ['Pair', 'Tuned', 'Tuned_1', 'Scaled'],
  );
  t.match(loaded.config.applications[0]!.deployments![1], { name: 'Tuned', numReplicas: 2, maxQueuedRequests: 9, userConfig: { a: 1, b: 2 }, actorOptions: { numCpus: 0.5, numGpus: 0, memory: 300 } });
  t.match(text, /# autoscalingConfig\.policy is a function in the code: it stays/, 'a policy function is noted, not lost');
  const [built] = await buildApplications(loaded, { baseDir: fixtures, capacity: machine });
  const strip = (r: Record<string, any>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, { ...v, autoscaling: v.autoscaling && { ...v.autoscaling, policy: typeof v.autoscaling.policy } }]));
  t.same(strip(resolvedOf(built!.app)), strip(resolvedOf(pair)), 'every deployment resolves to the options it had');

  const two = parseConfig(await writeConfig(['apps.ts:app', 'apps.ts:withGreeting'], { baseDir: fixtures }), 'two.yaml').config;
  t.same(two.applications.map(a => [a.name, a.routePrefix]), [['app', '/app'], ['withGreeting', '/withGreeting']], 'several: named after their exports');
  const elsewhere = parseConfig(await writeConfig(['apps.ts:app'], { baseDir: fixtures, outDir: path.join(fixtures, 'sub') }), 'x.yaml').config;
  t.equal(elsewhere.applications[0]!.importPath, '../apps.ts:app', 'relative to where the file goes');
});
