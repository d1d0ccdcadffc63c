// troupe's diagnostics channels fire with their documented payloads: request start and end (the proxy), replica
// state changes and autoscale decisions (the controller), batch flushes (@batch, in the replica's thread).
import diagnostics from 'node:diagnostics_channel';
import t from 'tap';
import { serve, CHANNEL_NAMES, channels, deployment, type DeploymentOptions } from '../../src/index.ts';
import type { AutoscaleDecisionMessage, ReplicaStateMessage, RequestEndMessage, RequestStartMessage } from '../../src/index.ts';
import { fakeController } from '../fixtures/serve/fake-controller.ts';
import { Doubler, Hello } from '../fixtures/observability/channel-apps.ts';

/** Collects what a channel publishes while the test runs. */
function listen<T>(t: { teardown(fn: () => void): void }, name: string): T[] {
  const seen: T[] = [];
  const fn = (message: unknown) => seen.push(message as T);
  diagnostics.subscribe(name, fn);
  t.teardown(() => {
    diagnostics.unsubscribe(name, fn);
  });
  return seen;
}

t.test('the table: one channel per event, under troupe: names', async t => {
  t.same(CHANNEL_NAMES, {
    requestStart: 'troupe:request:start', requestEnd: 'troupe:request:end', replicaState: 'troupe:replica:state',
    batchFlush: 'troupe:batch:flush', autoscaleDecision: 'troupe:autoscale:decision',
  });
  for (const [key, name] of Object.entries(CHANNEL_NAMES)) t.equal((channels as any)[key].name, name);
  t.notOk(channels.requestStart.hasSubscribers, 'nobody listens until someone subscribes');
});

t.test('request start and end, replica states, batch flushes: a real server', async t => {
  const starts = listen<RequestStartMessage>(t, CHANNEL_NAMES.requestStart);
  const ends = listen<RequestEndMessage>(t, CHANNEL_NAMES.requestEnd);
  const states = listen<ReplicaStateMessage>(t, CHANNEL_NAMES.replicaState);
  await serve.start({ http: { port: 0, logger: { access() {}, error() {} } } });
  t.teardown(() => serve.shutdown({ timeoutMs: 2000 }));
  await serve.run(Hello.bind(), { name: 'chan', routePrefix: '/chan' });
  t.match(states, [
    { application: 'chan', deployment: 'Hello', replica: 'chan/Hello#0', from: 'PENDING', to: 'STARTING' },
    { application: 'chan', deployment: 'Hello', replica: 'chan/Hello#0', from: 'STARTING', to: 'RUNNING' },
  ].map(s => ({ ...s, replica: /^chan\/Hello#\d+$/ })), 'PENDING → STARTING → RUNNING');

  const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
  const res = await fetch(`http://127.0.0.1:${serve.address!.port}/chan/hello`, { headers: { 'x-request-id': 'chan-1', traceparent: `00-${trace}-00f067aa0ba902b7-01` } });
  t.equal(await res.text(), 'hi');
  t.match(starts.find(s => s.requestId === 'chan-1'), { traceId: trace, method: 'GET', path: '/chan/hello', traceparent: new RegExp(`^00-${trace}-`) });
  const end = ends.find(e => e.requestId === 'chan-1');
  t.match(end, { traceId: trace, status: 200, application: 'chan', deployment: 'chan/Hello', replica: /^chan\/Hello#\d+$/ });
  t.type(end?.latencyMs, 'number');

  // @batch publishes in the replica's thread: the replica itself subscribed there.
  const h = await serve.run(Doubler.bind(), { name: 'chan-batch' });
  t.same(await Promise.all([1, 2, 3, 4].map(x => h.double(x))), [2, 4, 6, 8]);
  const flushes = await h.flushes();
  t.match(flushes, [{ method: 'Doubler.double', size: 4, reason: 'full' }], 'one full batch of 4');
  t.type(flushes[0]!.waitMs, 'number');

  await serve.delete('chan-batch');
  t.ok(states.some(s => s.deployment === 'Doubler' && s.from === 'RUNNING' && s.to === 'STOPPING'), 'RUNNING → STOPPING on delete');
});

t.test('autoscale decisions: from and to, with the load the policy saw', async t => {
  const decisions = listen<AutoscaleDecisionMessage>(t, CHANNEL_NAMES.autoscaleDecision);
  const h = fakeController(t);
  const options: DeploymentOptions = {
    name: 'Model',
    autoscalingConfig: { minReplicas: 1, maxReplicas: 4, targetOngoingRequests: 2, upscaleDelayMs: 0, downscaleDelayMs: 0, metricsIntervalMs: 100, lookBackPeriodMs: 300 },
  };
  const Model = deployment(class Model {
    infer(): string {
      return 'ok';
    }
  }, options);
  await h.settle(h.controller.run(Model.bind(), { name: 'scaled' }));
  const [first] = h.actions.liveOf('scaled/Model');
  h.actions.setLoad(first, 8);
  await h.until('a scale-up decision', () => decisions.length > 0);
  t.match(decisions[0], { application: 'scaled', deployment: 'Model', from: 1 });
  t.ok(decisions[0]!.to > 1, `up to ${decisions[0]!.to}`);
  t.ok(decisions[0]!.ongoingRequests! > 2, 'the load it acted on');
});
