import t from 'tap';
import {
  serve,
  bind,
  BackPressureError,
  ReplicaDiedError,
  DeploymentFailedError,
  DeploymentOptionError,
  NotADeploymentError,
  UnknownMethodError,
  CancelledError,
  UnserializableError,
  deployment,
} from '../../src/index.ts';
import { Broken, Configurable, Embed, Generate, NotDecorated, Pipeline, Preprocess, Slow, Whoami } from '../fixtures/serve/apps.ts';

t.before(() => serve.start({ http: false }));
t.teardown(() => serve.shutdown());

t.test('two replicas share the load', async t => {
  const h = await serve.run(Whoami.bind(), { name: 'whoami' });
  const ids = await Promise.all(Array.from({ length: 40 }, () => h.who(5)));
  t.equal(new Set(ids).size, 2, 'both replicas served calls');
  const st = serve.status().applications.whoami;
  t.equal(st.status, 'RUNNING');
  t.equal(st.deployments.Whoami.replicas.length, 2);
  t.ok(st.deployments.Whoami.replicas.every(r => r.state === 'RUNNING'));
  await serve.delete('whoami');
  t.notOk(serve.status().applications.whoami);
});

t.test('a three-stage composition returns the right result, with chained responses and streams', async t => {
  const app = Pipeline.bind(Preprocess.bind(), Embed.bind(), Generate.bind('gen'));
  const h = await serve.run(app, { name: 'pipeline' });
  const expected = `gen:${[...'hello world'].map(c => c.charCodeAt(0) % 7).reduce((a, b) => a + b, 0)}`;
  t.equal(await h.run('  Hello World '), expected);
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => h.run(`Word${i}`)));
  results.forEach((r, i) => t.equal(r, `gen:${[...`word${i}`].map(c => c.charCodeAt(0) % 7).reduce((a, b) => a + b, 0)}`));
  const tokens: string[] = [];
  for await (const tok of h.tokens('A B C')) tokens.push(tok);
  t.same(tokens, ['a', 'b', 'c']);
  t.same(Object.keys(serve.status().applications.pipeline.deployments).sort(), ['Embed', 'Generate', 'Pipeline', 'Preprocess']);
  await serve.delete('pipeline');
});

t.test('an argument that cannot cross threads rejects that call only, naming deployment, method and argument', async t => {
  const h = await serve.run(Preprocess.bind(), { name: 'unserializable' });
  const bad = { text: 'x', callback: () => 1 };
  await t.rejects(async () => h.clean(bad as unknown as string), UnserializableError);
  await t.rejects(async () => h.clean(bad as unknown as string), /argument 1 of unserializable\/Preprocess\.clean\.callback is a function/);
  const g: Record<string, unknown> = {};
  const cyclic = { a: { b: { c: { d: { e: { f: { g } } } } } } };
  g.back = cyclic;
  g.fn = function named() {};
  await t.rejects(async () => h.clean(cyclic as unknown as string), /argument 1 of unserializable\/Preprocess\.clean\.a\.b\.c\.d\.e\.f\.g\.fn is a function/, 'a cycle deeper than the untracked levels is walked once, and the function in it named');
  t.equal(await h.clean('  Still Serving '), 'still serving', 'the deployment keeps serving');
  await serve.delete('unserializable');
});

t.test('backpressure rejects at once past the queue limit', async t => {
  const h = await serve.run(Slow.bind(), { name: 'slow' });
  const first = h.work(300); // running
  const queued = [h.work(10), h.work(10)]; // queued (limit 2)
  const err = await h.work(10).then(() => undefined, e => e);
  t.ok(err instanceof BackPressureError, 'the fourth call is refused');
  t.match(err.message, /slow\/Slow is overloaded/);
  t.same(await Promise.all([first, ...queued]), ['done', 'done', 'done'], 'nothing already accepted is lost');
  await serve.delete('slow');
});

t.test('cancel() reaches the replica', async t => {
  const h = await serve.run(Slow.bind().options({ maxQueuedRequests: 10 }), { name: 'cancel' });
  const response = h.waitForCancel();
  setTimeout(() => response.cancel(), 50);
  await t.rejects(Promise.resolve(response), CancelledError);
  let cancels = 0;
  for (let i = 0; i < 50 && cancels === 0; i++) {
    cancels = await h.cancels();
    if (!cancels) await new Promise(r => setTimeout(r, 10));
  }
  t.equal(cancels, 1);
  await serve.delete('cancel');
});

t.test('a replica that dies: its calls reject with ReplicaDiedError, later calls go on, and it is replaced', async t => {
  const h = await serve.run(Whoami.bind(), { name: 'dying' });
  const ids = new Set(await Promise.all(Array.from({ length: 20 }, () => h.who(2))));
  t.equal(ids.size, 2);
  const inFlight = Array.from({ length: 6 }, () => h.who(300));
  await new Promise(r => setTimeout(r, 50));
  await h.crash();
  const settled = await Promise.allSettled(inFlight);
  const died = settled.filter(s => s.status === 'rejected');
  t.ok(died.length >= 1, 'calls on the dead replica were rejected');
  t.ok(died.every(s => (s as PromiseRejectedResult).reason instanceof ReplicaDiedError), 'as ReplicaDiedError');
  const after = await Promise.all(Array.from({ length: 20 }, () => h.who()));
  t.equal(after.length, 20, 'later calls are served');
  for (let i = 0; i < 100; i++) {
    const replicas = serve.status().applications.dying.deployments.Whoami.replicas;
    if (replicas.length === 2 && replicas.every(r => r.state === 'RUNNING')) break;
    await new Promise(r => setTimeout(r, 50));
  }
  t.equal(serve.status().applications.dying.deployments.Whoami.replicas.filter(r => r.state === 'RUNNING').length, 2, 'a replacement replica started');
  await serve.delete('dying');
});

t.test('userConfig reaches reconfigure() before traffic', async t => {
  const h = await serve.run(Configurable.bind(), { name: 'config' });
  t.equal(await h.get(), 0.5);
  await serve.delete('config');
});

t.test('bad input gets clear errors naming the deployment and option', async t => {
  const failed = await serve.run(Broken.bind(), { name: 'broken' }).then(() => undefined, e => e);
  t.ok(failed instanceof DeploymentFailedError);
  t.match(failed.message, /broken\/Broken failed to start a replica after 3 attempts: model file missing/);
  t.notOk(serve.status().applications.broken, 'a failed application is removed');

  t.throws(() => bind(NotDecorated as any), NotADeploymentError);
  await t.rejects(serve.run(Whoami as any), NotADeploymentError);
  t.throws(() => Whoami.bind().options({ numReplicas: -1 }), DeploymentOptionError);
  t.throws(() => Whoami.bind().options({ numReplicas: -1 }), /Whoami: option numReplicas must be an integer >= 1, got -1/);
  t.throws(() => deployment({ maxOngoingRequests: 0 })(class Zero {}), /Zero: option maxOngoingRequests/);
  t.throws(() => deployment({ autoscaling: {} } as any)(class Later {}), /autoscaling is not a deployment option/);

  const h = await serve.run(Whoami.bind(), { name: 'still-serving' });
  const unknown = await (h as any).nope().then(() => undefined, (e: unknown) => e);
  t.ok(unknown instanceof UnknownMethodError);
  t.match(unknown.message, /no method "nope"/);
  t.equal(typeof (await h.who()), 'string', 'the process still serves');
  await serve.delete('still-serving');
});
