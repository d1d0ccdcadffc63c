// Model multiplexing with real replicas: @multiplexed's per-replica LRU cache, getMultiplexedModelId(), the
// handle option and its propagation, and the router's preference for replicas that hold a call's model.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve, multiplexed, getMultiplexedModelId, MultiplexOptionError, NoModelIdError } from '../../src/index.ts';
import { addressOf } from '../../src/core/index.ts';
import { chooseFallback, multiplexedModelIds, replicaTopic, routerFor, MODEL_MATCH_WAIT_MS } from '../../src/serve/index.ts';
import { Front, Models, Spread, StandIn } from '../fixtures/serve/multiplex-apps.ts';

t.before(() => serve.start({ http: false }));
t.teardown(() => serve.shutdown());

t.test('each model is loaded once per replica, concurrent calls sharing the load', async t => {
  const h = await serve.run(Models.bind(), { name: 'mx-once' });
  t.teardown(() => serve.delete('mx-once'));
  const a = h.options({ multiplexedModelId: 'a' });
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => a.predict(i)));
  t.same(results.map(r => r.model), Array(20).fill('a'), 'every call got model a');
  t.same(results.map(r => r.y), Array.from({ length: 20 }, (_, i) => i * 2));
  await a.predict(1);
  t.same((await h.stats()).loads, { a: 1 }, '21 calls, one load');
});

t.test('past maxModelsPerReplica the least recently used model is evicted and disposed', async t => {
  const h = await serve.run(Models.bind(), { name: 'mx-lru' });
  t.teardown(() => serve.delete('mx-lru'));
  const call = (id: string) => h.options({ multiplexedModelId: id }).predict(1);
  await call('a');
  await call('b');
  await call('a'); // a is now the most recently used: b goes first
  t.same((await h.stats()).disposed, [], 'two models fit (maxModelsPerReplica: 2)');
  await call('c');
  t.same((await h.stats()).disposed, ['b'], 'the third evicted b, the least recently used, and its dispose() ran');
  await call('b');
  const stats = await h.stats();
  t.same(stats.disposed, ['b', 'a'], 'b came back in place of a');
  t.same(stats.loads, { a: 1, b: 2, c: 1 }, 'an evicted model is loaded again when asked for; a cached one is not');

  // [Symbol.asyncDispose] is awaited before the next load; a dispose that throws is logged and ignored.
  await call('async-m');
  await call('sticky');
  await call('d');
  t.same((await h.stats()).disposed.slice(2), ['c', 'b', 'async-m (async)'], 'async dispose awaited in order');
  await call('e'); // evicts sticky, whose dispose() throws
  t.same(await call('f'), { model: 'f', y: 2 }, 'the replica goes on after a dispose that threw');
  t.same((await h.stats()).disposed.slice(5), ['sticky', 'd'], 'sticky was disposed (and threw), then d');
});

t.test('a failed load rejects its callers with the loader error and is tried again on the next call', async t => {
  const h = await serve.run(Models.bind(), { name: 'mx-fail' });
  t.teardown(() => serve.delete('mx-fail'));
  const flaky = h.options({ multiplexedModelId: 'flaky' });
  await t.rejects(Promise.resolve(flaky.predict(1)), /could not load flaky: the disk is busy/);
  t.same(await flaky.predict(2), { model: 'flaky', y: 4 }, 'the next call loads it again, and it works');
  t.equal((await h.stats()).loads.flaky, 2);

  const shared = h.options({ multiplexedModelId: 'flaky-shared' });
  const outcomes = await Promise.allSettled([shared.predict(1), shared.predict(2), shared.predict(3)]);
  t.same(outcomes.map(o => o.status), ['rejected', 'rejected', 'rejected'], 'callers sharing a failed load all get its error');
  t.match((outcomes[0] as PromiseRejectedResult).reason.message, /could not load flaky-shared/);
  t.same(await shared.predict(1), { model: 'flaky-shared', y: 2 });
  t.equal((await h.stats()).loads['flaky-shared'], 2, 'one failed load for three callers, then one that worked');
});

t.test('getMultiplexedModelId(): the handle option, none, and what calls made inside a replica carry', async t => {
  const front = await serve.run(Front.bind(Models.bind()), { name: 'mx-id' });
  t.teardown(() => serve.delete('mx-id'));
  const models = serve.getHandle<Models>('mx-id', 'Models');
  t.equal(await models.options({ multiplexedModelId: 'm1' }).whichModel(), 'm1', 'set by the handle option');
  t.equal(await models.whichModel(), '', "'' without one, as in Ray");
  t.equal(await models.options({ multiplexedModelId: '' }).whichModel(), '', "'' is none");
  t.equal(getMultiplexedModelId(), '', "'' outside a replica call");

  t.same(await front.options({ multiplexedModelId: 'm2' }).relay(), { own: 'm2', downstream: 'm2' }, 'a call made inside a call with a model id carries it on');
  t.same(await front.relay(), { own: '', downstream: '' }, 'and carries none when there is none');
  t.equal(await front.options({ multiplexedModelId: 'm2' }).relayAs('m3'), 'm3', 'an explicit id wins over the inherited one');
  t.equal(await front.options({ multiplexedModelId: 'm2' }).relayAs(''), '', "an explicit '' stops the inheritance");
  t.equal(await front.callThrough(models.options({ multiplexedModelId: 'passed' })), 'passed', 'a handle passed to a replica keeps its model id');

  const opts = models.options({ multiplexedModelId: 'x' });
  t.equal(await opts.options({}).whichModel(), 'x', 'options() over options() keeps what it does not change');
  t.throws(() => models.options({ multiplexedModelId: 7 as unknown as string }), MultiplexOptionError);
  t.throws(() => models.options({ multiplexedModelID: 'x' } as never), /unknown option 'multiplexedModelID'/);

  const err = await Promise.resolve(models.predict(1)).then(() => undefined, e => e);
  t.ok(err instanceof NoModelIdError, 'the loader without a model id says what to set');
  t.match(err.message, /handle\.options\(\{ multiplexedModelId/);
});

t.test('calls for the same model go to the replica that holds it (affinity), each loading it once', async t => {
  const h = await serve.run(Spread.bind(), { name: 'mx-affinity' });
  t.teardown(() => serve.delete('mx-affinity'));
  const models = ['m0', 'm1', 'm2', 'm3'];
  const calls: Array<Promise<{ model: string; replica: string; loadsHere: number }>> = [];
  for (let round = 0; round < 3; round++) {
    // Each round: 4 models × 10 concurrent calls, interleaved.
    for (let i = 0; i < 10; i++) for (const m of models) calls.push(Promise.resolve(h.options({ multiplexedModelId: m }).predict()));
    await Promise.all(calls);
  }
  const results = await Promise.all(calls);
  const where = new Map<string, Set<string>>();
  for (const r of results) {
    if (!where.has(r.model)) where.set(r.model, new Set());
    where.get(r.model)!.add(r.replica);
  }
  for (const m of models) t.equal(where.get(m)?.size, 1, `every call for ${m} went to one replica`);
  t.ok(results.every(r => r.loadsHere === 1), 'no model was loaded twice');
  const perReplica = new Map<string, number>();
  for (const set of where.values()) for (const r of set) perReplica.set(r, (perReplica.get(r) ?? 0) + 1);
  t.same([...perReplica.values()].sort(), [2, 2], 'the four models spread two and two over the two replicas');
});

t.test('a bad @multiplexed option or target fails when the class is defined, saying what to fix', async t => {
  t.throws(() => {
    class Bad {
      @multiplexed({ maxModelsPerReplica: 0 })
      async getModel(id: string) {
        return id;
      }
    }
    return Bad;
  }, { name: 'MultiplexOptionError', code: 'TROUPE_ERR_MULTIPLEX_OPTION', message: /@multiplexed on getModel: maxModelsPerReplica must be an integer >= 1.*got 0/ });
  for (const bad of [1.5, -1, '3', Number.NaN]) {
    t.throws(() => multiplexed({ maxModelsPerReplica: bad as number })(async function getModel(id: string) { return id; }, { kind: 'method', name: 'getModel' } as never), MultiplexOptionError, `${String(bad)} refused`);
  }
  t.throws(() => multiplexed({ maxModels: 2 } as never)(async (id: string) => id, { kind: 'method', name: 'getModel' } as never), /option 'maxModels' is unknown/);
  t.throws(() => {
    class Sync {
      // @ts-expect-error: a loader must be async
      @multiplexed()
      getModel(id: string) {
        return id;
      }
    }
    return Sync;
  }, /getModel must be declared async/);
});

t.test('the loader cache, outside any replica: LRU order, shared loads, ids of this thread', async t => {
  class Local {
    loads = 0;
    disposed: string[] = [];
    @multiplexed({ maxModelsPerReplica: 1 })
    async get(id: string) {
      this.loads++;
      await sleep(5);
      return { id, dispose: () => void this.disposed.push(id) };
    }
  }
  const local = new Local();
  const [a1, a2] = await Promise.all([local.get('a'), local.get('a')]);
  t.equal(a1, a2, 'concurrent calls share one load');
  t.ok(multiplexedModelIds().includes('a'), 'the thread reports what its caches hold');
  await local.get('b');
  t.same(local.disposed, ['a']);
  t.notOk(multiplexedModelIds().includes('a'), 'an evicted id leaves the report');
  await t.rejects(local.get(''), NoModelIdError);
  await t.rejects(local.get(3 as unknown as string), MultiplexOptionError);
  t.equal(local.loads, 2);
});

t.test('the router: reported holders first, a short wait for a busy holder, then any replica', async t => {
  const runtime = serve.runtime!;
  const r1 = await runtime.spawn(StandIn, ['r1'], { name: 'mx-standin-1' });
  const r2 = await runtime.spawn(StandIn, ['r2'], { name: 'mx-standin-2' });
  t.teardown(async () => {
    runtime.publish(replicaTopic(runtime.id, 'mx/StandIn'), { replicas: [], maxOngoingRequests: 1, maxQueuedRequests: 10, gone: true });
    await runtime.stop(r1);
    await runtime.stop(r2);
  });
  const a1 = addressOf(r1);
  const a2 = addressOf(r2);
  runtime.publish(replicaTopic(runtime.id, 'mx/StandIn'), {
    replicas: [a1, a2], maxOngoingRequests: 1, maxQueuedRequests: 10, models: { [a2.name]: ['m'], [a1.name]: ['other'] },
  });
  const router = routerFor(runtime.id, 'mx/StandIn');
  for (let i = 0; i < 5; i++) {
    t.same(await router.call('who', [0], undefined, { multiplexedModelId: 'm' }), { name: 'r2', model: 'm' }, `call ${i} went to r2, which reported m`);
  }
  t.match(await router.call('who', [0], undefined, {}), { name: /^r[12]$/, model: '' }, 'a call without a model goes to either and carries none');

  // r2 busy (maxOngoingRequests 1): a call for m waits for it a little, then goes to r1.
  const busy = router.call('who', [400], undefined, { multiplexedModelId: 'm' });
  const started = performance.now();
  const next = (await router.call('who', [0], undefined, { multiplexedModelId: 'm' })) as { name: string };
  const waited = performance.now() - started;
  t.equal(next.name, 'r1', 'fell back to the free replica');
  t.ok(waited >= MODEL_MATCH_WAIT_MS - 5 && waited < 350, `after waiting about MODEL_MATCH_WAIT_MS for a holder (${waited.toFixed(0)} ms)`);
  t.same(await busy, { name: 'r2', model: 'm' });

  // A holder that frees up within the wait gets the call.
  const short = router.call('who', [40], undefined, { multiplexedModelId: 'other' });
  const second = router.call('who', [0], undefined, { multiplexedModelId: 'other' });
  t.same((await Promise.all([short, second])).map(r => (r as { name: string }).name), ['r1', 'r1'], 'the second call waited 40 ms for r1 rather than load other on r2');

  // Where the router sent a model outlives a report taken before the send, not one taken well after it.
  const topic = replicaTopic(runtime.id, 'mx/Forget');
  const publish = (models: Record<string, string[]>) => runtime.publish(topic, { replicas: [a1, a2], maxOngoingRequests: 1, maxQueuedRequests: 10, models });
  t.teardown(() => runtime.publish(topic, { replicas: [], maxOngoingRequests: 1, maxQueuedRequests: 10, gone: true }));
  publish({});
  const forget = routerFor(runtime.id, 'mx/Forget');
  const first = ((await forget.call('who', [0], undefined, { multiplexedModelId: 'z' })) as { name: string }).name;
  const firstAddress = first === 'r1' ? a1 : a2;
  publish({ [firstAddress.name]: ['p', 'q'] }); // a report without z, as if taken just before z was sent
  t.equal(((await forget.call('who', [0], undefined, { multiplexedModelId: 'z' })) as { name: string }).name, first, 'z stays where it was sent');
  await sleep(5_100);
  publish({ [firstAddress.name]: ['p', 'q'] }); // seconds after the send, a report without z means z was evicted there
  t.not(((await forget.call('who', [0], undefined, { multiplexedModelId: 'z' })) as { name: string }).name, first, 'then z goes where fewer models are held');
});

t.test('the fallback policy: least loaded with room, then fewest models, ties at random', async t => {
  t.equal(chooseFallback([3, 1, 2], [0, 5, 0], 5), 1, 'least loaded first');
  t.equal(chooseFallback([1, 1, 2], [4, 2, 0], 5), 1, 'among equally loaded, fewest models');
  t.equal(chooseFallback([5, 5], [0, 0], 5), -1, 'none with room');
  t.equal(chooseFallback([5, 2], [0, 9], 5), 1, 'a full replica is never chosen');
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) seen.add(chooseFallback([0, 0, 0], [1, 1, 1], 5));
  t.same([...seen].sort(), [0, 1, 2], 'exact ties spread at random');
  t.equal(chooseFallback([0, 0, 0], [1, 1, 1], 5, () => 0.99), 0, 'random is injectable');
});
