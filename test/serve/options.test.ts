import os from 'node:os';
import t from 'tap';
import { deployment } from '../../src/serve/deployment.ts';
import { DeploymentOptionError } from '../../src/serve/errors.ts';
import { resolveOptions, type AutoscalingConfig, type DeploymentOptions } from '../../src/serve/options.ts';

const cores = os.availableParallelism();
function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}
const messageOf = (fn: () => unknown) => (caught(fn) as Error).message;
const autoscale = (config: AutoscalingConfig, extra: DeploymentOptions = {}) => resolveOptions('Model', { autoscalingConfig: config, ...extra });

t.test('defaults: fixed replicas, health checks and shutdown', async t => {
  const r = resolveOptions('Model');
  t.same(r, {
    name: 'Model',
    numReplicas: 1,
    maxOngoingRequests: 5,
    maxQueuedRequests: 4096,
    actorOptions: { numCpus: 1, numGpus: 0, memory: undefined },
    userConfig: undefined,
    healthCheckPeriodMs: 10_000,
    healthCheckTimeoutMs: 30_000,
    healthCheckFailureThreshold: 3,
    gracefulShutdownTimeoutMs: 20_000,
  });
  t.notOk('autoscaling' in r, 'no autoscaling without autoscalingConfig or numReplicas: auto');
  const set = resolveOptions('Model', { numReplicas: 3, healthCheckPeriodMs: 500, healthCheckTimeoutMs: 250, healthCheckFailureThreshold: 1, gracefulShutdownTimeoutMs: 0 });
  t.equal(set.numReplicas, 3);
  t.equal(set.healthCheckPeriodMs, 500);
  t.equal(set.healthCheckTimeoutMs, 250);
  t.equal(set.healthCheckFailureThreshold, 1);
  t.equal(set.gracefulShutdownTimeoutMs, 0, 'zero grace: stop at once');
});

t.test('defaults: autoscalingConfig given', async t => {
  const r = autoscale({});
  t.same(r.autoscaling, {
    minReplicas: 1,
    maxReplicas: 1,
    initialReplicas: 1,
    targetOngoingRequests: 2,
    upscaleDelayMs: 30_000,
    downscaleDelayMs: 600_000,
    downscaleToZeroDelayMs: 600_000,
    upscalingFactor: 1,
    downscalingFactor: 1,
    lookBackPeriodMs: 1_000,
    metricsIntervalMs: 100,
  });
  t.notOk('policy' in r.autoscaling!, 'no policy key unless one is given');
  const s = autoscale({ minReplicas: 2, maxReplicas: 8, downscaleDelayMs: 5_000 });
  t.equal(s.autoscaling!.initialReplicas, 2, 'initialReplicas defaults to minReplicas');
  t.equal(s.numReplicas, 2, 'numReplicas is the starting target');
  t.equal(s.autoscaling!.downscaleToZeroDelayMs, 5_000, 'downscaleToZeroDelayMs defaults to downscaleDelayMs');
  const i = autoscale({ minReplicas: 0, maxReplicas: 8, initialReplicas: 4 });
  t.equal(i.numReplicas, 4);
  t.equal(i.autoscaling!.minReplicas, 0, 'scale to zero is allowed');
  const policy = () => 3;
  t.equal(autoscale({ policy }).autoscaling!.policy, policy, 'a custom policy is kept');
});

t.test("numReplicas: 'auto' uses Ray's auto defaults bounded by this machine's cores", async t => {
  const r = resolveOptions('Model', { numReplicas: 'auto' });
  t.ok(r.autoscaling);
  t.equal(r.autoscaling!.minReplicas, 1);
  t.equal(r.autoscaling!.targetOngoingRequests, 2);
  t.equal(r.autoscaling!.maxReplicas, Math.max(1, cores), 'one CPU a replica: as many as the cores');
  t.equal(r.numReplicas, 1);
  t.equal(resolveOptions('Model', { numReplicas: 'auto', actorOptions: { numCpus: cores * 2 } }).autoscaling!.maxReplicas, 1, 'never below one');
  t.equal(resolveOptions('Model', { numReplicas: 'auto', actorOptions: { numCpus: 0.5 } }).autoscaling!.maxReplicas, cores * 2);
  t.equal(resolveOptions('Model', { numReplicas: 'auto', actorOptions: { numCpus: 0 } }).autoscaling!.maxReplicas, cores, 'no CPU asked: a thread each');

  const merged = resolveOptions('Model', { numReplicas: 'auto', autoscalingConfig: { targetOngoingRequests: 7, minReplicas: 0 } });
  t.equal(merged.autoscaling!.targetOngoingRequests, 7, 'given fields win');
  t.equal(merged.autoscaling!.minReplicas, 0);
  t.equal(merged.autoscaling!.maxReplicas, cores, 'the rest stay auto');
  t.equal(resolveOptions('Model', { numReplicas: 'auto', autoscalingConfig: { maxReplicas: cores + 5 } }).autoscaling!.maxReplicas, cores + 5);
  t.equal(
    resolveOptions('Model', { numReplicas: 'auto', autoscalingConfig: { minReplicas: cores + 3 } }).autoscaling!.maxReplicas,
    cores + 3,
    'the core bound gives way to an explicit minReplicas, so a definition loads on a smaller machine',
  );
});

t.test('numReplicas with autoscalingConfig is rejected, as in Ray', async t => {
  t.throws(() => autoscale({ maxReplicas: 4 }, { numReplicas: 2 }), {
    name: 'DeploymentOptionError',
    message: /deployment Model: option numReplicas is 2 while autoscalingConfig is given: set numReplicas: 'auto' or leave it out when autoscalingConfig is given/,
  });
  t.ok(autoscale({ maxReplicas: 4 }, { numReplicas: 'auto' }).autoscaling);
  t.throws(() => resolveOptions('Model', { numReplicas: 'many' as any }), /option numReplicas must be an integer >= 1, got "many" \(or 'auto' to autoscale\)/);
  t.equal(resolveOptions('Model', { numReplicas: 2, autoscalingConfig: undefined }).numReplicas, 2, 'an undefined autoscalingConfig is no autoscalingConfig');
});

t.test('every bad value is named in the error', async t => {
  const bad: [DeploymentOptions, RegExp][] = [
    [{ autoscalingConfig: { minReplicas: -1 } }, /option autoscalingConfig\.minReplicas must be an integer >= 0, got -1/],
    [{ autoscalingConfig: { minReplicas: 1.5 } }, /autoscalingConfig\.minReplicas must be an integer >= 0, got 1\.5/],
    [{ autoscalingConfig: { maxReplicas: 0 } }, /autoscalingConfig\.maxReplicas must be an integer >= 1, got 0/],
    [{ autoscalingConfig: { maxReplicas: NaN } }, /autoscalingConfig\.maxReplicas must be an integer >= 1, got NaN/],
    [{ autoscalingConfig: { minReplicas: 5, maxReplicas: 3 } }, /autoscalingConfig\.maxReplicas \(3\) must be >= minReplicas \(5\)/],
    [{ autoscalingConfig: { minReplicas: 3 } }, /autoscalingConfig\.minReplicas \(3\) is above maxReplicas \(1, the default when autoscalingConfig is given\): set maxReplicas too/],
    [{ autoscalingConfig: { minReplicas: 2, maxReplicas: 4, initialReplicas: 1 } }, /autoscalingConfig\.initialReplicas \(1\) must be within \[minReplicas 2, maxReplicas 4\]/],
    [{ autoscalingConfig: { maxReplicas: 4, initialReplicas: 5 } }, /autoscalingConfig\.initialReplicas \(5\) must be within/],
    [{ autoscalingConfig: { targetOngoingRequests: 0 } }, /autoscalingConfig\.targetOngoingRequests must be a number > 0, got 0/],
    [{ autoscalingConfig: { targetOngoingRequests: -2 } }, /autoscalingConfig\.targetOngoingRequests must be a number > 0, got -2/],
    [{ autoscalingConfig: { targetOngoingRequests: Infinity } }, /autoscalingConfig\.targetOngoingRequests must be a number > 0, got Infinity/],
    [{ autoscalingConfig: { upscaleDelayMs: -1 } }, /autoscalingConfig\.upscaleDelayMs must be a number >= 0, got -1/],
    [{ autoscalingConfig: { downscaleDelayMs: NaN } }, /autoscalingConfig\.downscaleDelayMs must be a number >= 0, got NaN/],
    [{ autoscalingConfig: { downscaleToZeroDelayMs: Infinity } }, /autoscalingConfig\.downscaleToZeroDelayMs must be a number >= 0, got Infinity/],
    [{ autoscalingConfig: { upscalingFactor: 0 } }, /autoscalingConfig\.upscalingFactor must be a number > 0, got 0/],
    [{ autoscalingConfig: { downscalingFactor: '1' as any } }, /autoscalingConfig\.downscalingFactor must be a number > 0, got "1"/],
    [{ autoscalingConfig: { lookBackPeriodMs: 0 } }, /autoscalingConfig\.lookBackPeriodMs must be a number > 0, got 0/],
    [{ autoscalingConfig: { metricsIntervalMs: -5 } }, /autoscalingConfig\.metricsIntervalMs must be a number > 0, got -5/],
    [{ autoscalingConfig: { metricsIntervalMs: 2_000 } }, /autoscalingConfig\.metricsIntervalMs \(2000\) must be <= lookBackPeriodMs \(1000\)/],
    [{ autoscalingConfig: { policy: 'queue' as any } }, /autoscalingConfig\.policy must be a function \(context\) => desired replicas, got "queue"/],
    [{ autoscalingConfig: { policy: {} as any } }, /autoscalingConfig\.policy must be a function .*, got an object/],
    [{ autoscalingConfig: null as any }, /option autoscalingConfig must be an object, got null/],
    [{ autoscalingConfig: [] as any }, /option autoscalingConfig must be an object, got an array/],
    [{ healthCheckPeriodMs: 0 }, /option healthCheckPeriodMs must be a number > 0, got 0/],
    [{ healthCheckTimeoutMs: -1 }, /option healthCheckTimeoutMs must be a number > 0, got -1/],
    [{ healthCheckFailureThreshold: 0 }, /option healthCheckFailureThreshold must be an integer >= 1, got 0/],
    [{ healthCheckFailureThreshold: 2.5 }, /option healthCheckFailureThreshold must be an integer >= 1, got 2\.5/],
    [{ gracefulShutdownTimeoutMs: -1 }, /option gracefulShutdownTimeoutMs must be a number >= 0, got -1/],
    [{ gracefulShutdownTimeoutMs: Infinity }, /option gracefulShutdownTimeoutMs must be a number >= 0, got Infinity/],
  ];
  for (const [options, message] of bad) {
    t.throws(() => resolveOptions('Model', options), { name: 'DeploymentOptionError', code: 'TROUPE_ERR_DEPLOYMENT_OPTION', message }, message.source);
  }
  const err = caught(() => resolveOptions('Model', { autoscalingConfig: { targetOngoingRequests: 0 } }));
  t.ok(err instanceof DeploymentOptionError);
  t.same((err as DeploymentOptionError).details, { deployment: 'Model', option: 'autoscalingConfig.targetOngoingRequests' }, 'the option is in the details too');
});

t.test('unknown keys: did you mean, and the known ones', async t => {
  t.throws(() => autoscale({ min_replicas: 1 } as any), {
    message: /option autoscalingConfig\.min_replicas is not an autoscaling option; did you mean minReplicas\? \(known: minReplicas, maxReplicas, initialReplicas, targetOngoingRequests, .*policy\)/,
  });
  t.throws(() => autoscale({ maxReplica: 3 } as any), /autoscalingConfig\.maxReplica is not an autoscaling option; did you mean maxReplicas\?/);
  t.throws(() => autoscale({ upscale_delay_s: 3 } as any), /did you mean upscaleDelayMs\?/);
  t.throws(() => autoscale({ target_ongoing_requests: 3 } as any), /did you mean targetOngoingRequests\?/);
  t.throws(() => autoscale({ zzz: 3 } as any), { message: /autoscalingConfig\.zzz is not an autoscaling option \(known: minReplicas,/ });
  t.notMatch(messageOf(() => autoscale({ zzz: 3 } as any)), /did you mean/, 'no guess when nothing is close');

  t.throws(() => resolveOptions('Model', { autoscaling: {} } as any), /option autoscaling is not a deployment option; did you mean autoscalingConfig\? \(known: name, numReplicas, autoscalingConfig,/);
  t.throws(() => resolveOptions('Model', { num_replicas: 2 } as any), /num_replicas is not a deployment option; did you mean numReplicas\?/);
  t.throws(() => resolveOptions('Model', { healthCheckPeriodS: 2 } as any), /did you mean healthCheckPeriodMs\?/);
  t.throws(() => resolveOptions('Model', { actorOptions: { numCPUs: 2 } } as any), /actorOptions\.numCPUs is not an actor option; did you mean numCpus\?/);
});

t.test(".options() replaces a decorator's autoscalingConfig whole (Ray: replace, not merge)", async t => {
  const Scaled = deployment(class Scaled {}, { autoscalingConfig: { minReplicas: 2, maxReplicas: 6, targetOngoingRequests: 4 } });
  const base = (Scaled as any).bind();
  t.equal(base.resolved().autoscaling.targetOngoingRequests, 4);
  const over = base.options({ autoscalingConfig: { maxReplicas: 3 } });
  t.same(
    [over.resolved().autoscaling.minReplicas, over.resolved().autoscaling.maxReplicas, over.resolved().autoscaling.targetOngoingRequests],
    [1, 3, 2],
    'fields the override leaves out go back to their defaults, not to the decorator values',
  );
  t.equal(base.options({ autoscalingConfig: undefined, numReplicas: 3 }).resolved().autoscaling, undefined, 'autoscalingConfig: undefined turns autoscaling off');
  t.throws(() => base.options({ numReplicas: 3 }), /numReplicas is 3 while autoscalingConfig is given/, 'a fixed count needs the config removed');
  t.throws(() => deployment(class Typo {}, { autoscalingConfig: { maxReplicas: 2, minReplicas: 3 } }), /deployment Typo: option autoscalingConfig\.maxReplicas \(2\) must be >= minReplicas \(3\)/, 'checked at decoration time');
});
