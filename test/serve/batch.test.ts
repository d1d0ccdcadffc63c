import t from 'tap';
import { Runtime, callActor, CancelledError, type ActorHandle } from '../../src/core/index.ts';
import { batch, batchStats, batchedMethods, configureBatch, type Batch, type Unbatched } from '../../src/serve/batch.ts';
import { decideFlush, planAutoBatchSize, resolveBatchConfig, type CurvePoint } from '../../src/serve/batch-policy.ts';
import {
  BatchMethodError, BatchOptionsError, BatchQueueFullError, BatchResultError, NotBatchedError,
} from '../../src/serve/batch-errors.ts';
import { Checker, Slow, Squarer } from '../fixtures/serve/batch-actors.ts';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const limits = { maxBatchSize: 4, batchWaitTimeoutMs: 10, maxConcurrentBatches: 1 };

t.test('flush policy: full, timeout, wait, busy, idle', async t => {
  t.same(decideFlush({ queued: 0, oldestAt: 0, running: 0, now: 5 }, limits), { action: 'idle' });
  t.same(decideFlush({ queued: 4, oldestAt: 0, running: 0, now: 0 }, limits), { action: 'flush', size: 4, reason: 'full' });
  t.same(decideFlush({ queued: 9, oldestAt: 0, running: 0, now: 0 }, limits), { action: 'flush', size: 4, reason: 'full' }, 'never more than maxBatchSize');
  t.same(decideFlush({ queued: 2, oldestAt: 100, running: 0, now: 103 }, limits), { action: 'wait', delayMs: 7 });
  t.same(decideFlush({ queued: 2, oldestAt: 100, running: 0, now: 110 }, limits), { action: 'flush', size: 2, reason: 'timeout' });
  t.same(decideFlush({ queued: 9, oldestAt: 0, running: 1, now: 50 }, limits), { action: 'busy' }, 'a full batch waits for a free slot');
  t.same(
    decideFlush({ queued: 9, oldestAt: 0, running: 1, now: 50 }, { ...limits, maxConcurrentBatches: 2 }),
    { action: 'flush', size: 4, reason: 'full' },
  );
});

t.test('options are checked and errors name the method and option', async t => {
  t.throws(() => resolveBatchConfig('M.f', { maxBatchSize: 0 }), { name: 'BatchOptionsError', message: /M\.f: maxBatchSize must be a positive integer, got 0/ });
  t.throws(() => resolveBatchConfig('M.f', { maxBatchSize: 2.5 }), BatchOptionsError);
  t.throws(() => resolveBatchConfig('M.f', { batchWaitTimeoutMs: 0 }), { message: /batchWaitTimeoutMs must be a positive number of milliseconds, got 0/ });
  t.throws(() => resolveBatchConfig('M.f', { batchWaitTimeoutMs: -1 }), BatchOptionsError);
  t.throws(() => resolveBatchConfig('M.f', { maxConcurrentBatches: -2 }), { message: /maxConcurrentBatches/ });
  t.throws(() => resolveBatchConfig('M.f', { maxQueuedCalls: 0 }), { message: /maxQueuedCalls/ });
  t.throws(() => resolveBatchConfig('M.f', { batchSize: 4 } as any), { message: /unknown option 'batchSize'/ });
  t.throws(() => resolveBatchConfig('M.f', { maxBatchSize: 'auto' }), { message: /'auto' needs targetLatencyMs/ });
  t.throws(() => resolveBatchConfig('M.f', { maxBatchSize: 'auto', targetLatencyMs: 5, batchWaitTimeoutMs: 10 }), { message: /must exceed batchWaitTimeoutMs/ });
  const c = resolveBatchConfig('M.f', { maxBatchSize: 8 });
  t.equal(c.maxBatchSize, 8);
  t.equal(c.batchWaitTimeoutMs, 10, 'defaults fill the rest');
  t.equal(c.maxConcurrentBatches, 1);
  t.equal(resolveBatchConfig('M.f', { batchWaitTimeoutMs: 3 }, c).maxBatchSize, 8, 'a partial change keeps the other settings');
});

t.test('the decorator refuses what it cannot batch', async t => {
  t.throws(() => {
    class Sync {
      // @ts-expect-error a sync method does not fit the decorator's type either
      @batch({ maxBatchSize: 4 }) f(xs: number[]) {
        return xs;
      }
    }
    return Sync;
  }, { name: 'BatchMethodError', message: /@batch on f: the method must be declared async/ });
  t.throws(() => {
    class Gen {
      // @ts-expect-error an async generator does not fit the decorator's type either
      @batch() async *f(xs: number[]) {
        yield xs;
      }
    }
    return Gen;
  }, { message: /streaming \(async generator\) batch methods are not supported/ });
  t.throws(() => {
    class Bad {
      @batch({ maxBatchSize: -1 }) async f(xs: number[]) {
        return xs;
      }
    }
    return Bad;
  }, { name: 'BatchOptionsError', message: /@batch on f: maxBatchSize must be a positive integer, got -1/ });
  t.throws(() => (batch() as any)(async () => [], 'legacy'), BatchMethodError, 'legacy decorators are named');
});

t.test('in one thread: batches form, results go to their own caller, configure and stats work', async t => {
  class Local {
    seen: number[][] = [];
    @batch({ maxBatchSize: 4, batchWaitTimeoutMs: 5 })
    async twice(xs: Batch<number>): Promise<number[]> {
      this.seen.push([...xs]);
      return xs.map(x => x * 2);
    }
    plain() {
      return 1;
    }
  }
  const a = new Local() as unknown as Unbatched<Local>;
  const local = a as unknown as Local;
  const out = await Promise.all([1, 2, 3, 4, 5, 6].map(x => a.twice(x)));
  t.same(out, [2, 4, 6, 8, 10, 12]);
  t.ok(local.seen.every(b => b.length <= 4));
  t.same(local.seen.flat().sort((x, y) => x - y), [1, 2, 3, 4, 5, 6], 'every call ran exactly once');
  t.same(batchedMethods(local), ['twice']);
  t.throws(() => configureBatch(local, 'plain', { maxBatchSize: 2 }), NotBatchedError);
  t.throws(() => configureBatch(local, 'twice', { maxBatchSize: 0 }), { message: /Local\.twice: maxBatchSize/ });
  configureBatch(local, 'twice', { maxBatchSize: 2 });
  local.seen = [];
  await Promise.all([1, 2, 3, 4, 5].map(x => a.twice(x)));
  t.ok(local.seen.every(b => b.length <= 2), `after configureBatch batches stay within 2: ${JSON.stringify(local.seen)}`);
  const s = batchStats(local, 'twice');
  t.equal(s.items, 11);
  t.equal(s.queued, 0);
  t.equal(s.effectiveMaxBatchSize, 2);
  const other = new Local() as unknown as Unbatched<Local>;
  await other.twice(1);
  t.equal(batchStats(other as unknown as Local, 'twice').config.maxBatchSize, 4, 'configuration is per instance');
});

t.test('1000 concurrent calls through an actor: real batches, each caller gets its own answer', async t => {
  const rt = new Runtime();
  t.teardown(() => rt.shutdown());
  const h = (await rt.spawn(Squarer, [])) as unknown as ActorHandle<Unbatched<Squarer>>;
  const n = 1000;
  const answers = await Promise.all(Array.from({ length: n }, (_, i) => h.square(i)));
  let wrong = 0;
  answers.forEach((a, i) => {
    if (a !== `${i}^2=${i * i}`) wrong++;
  });
  t.equal(wrong, 0, 'no caller got another caller\'s answer');
  const sizes = await h.batchSizes();
  t.equal(sizes.reduce((a, b) => a + b, 0), n, 'every call was in exactly one batch');
  t.ok(sizes.every(s => s >= 1 && s <= 16), 'no batch is larger than maxBatchSize');
  t.ok(sizes.length < n / 4, `calls were batched: ${sizes.length} batches for ${n} calls`);
  t.ok(sizes.filter(s => s === 16).length > sizes.length / 2, 'most batches were full under load');
  t.equal(await h.peak(), 1, 'maxConcurrentBatches 1: one batch at a time');
  t.ok((await h.contexts()).every(c => c === undefined), 'a batch runs in no single caller\'s call context');
  const stats = await h.stats('square');
  t.equal(stats.items, n);
  t.equal(stats.batches, sizes.length);
});

t.test('errors: per index, thrown, wrong length, not an array; typed arrays and several parameters', async t => {
  const rt = new Runtime();
  t.teardown(() => rt.shutdown());
  const h = (await rt.spawn(Checker, [])) as unknown as ActorHandle<Unbatched<Checker>>;
  const settled = await Promise.allSettled([1, -2, 3, -4].map(x => h.check(x)));
  t.same(settled.map(s => s.status), ['fulfilled', 'rejected', 'fulfilled', 'rejected']);
  t.same(settled.filter(s => s.status === 'fulfilled').map(s => (s as PromiseFulfilledResult<number>).value), [10, 30]);
  const e1 = (settled[1] as PromiseRejectedResult).reason;
  t.ok(e1 instanceof RangeError, 'a returned error keeps its class');
  t.equal(e1.message, 'negative input -2', 'and is the error of that index only');
  t.equal((settled[3] as PromiseRejectedResult).reason.message, 'negative input -4');
  t.same(await h.batchSizes(), [4], 'the four calls were one batch');

  const thrown = await Promise.allSettled([1, 2, 3].map(x => h.explode(x)));
  for (const s of thrown) {
    t.equal(s.status, 'rejected');
    t.ok((s as PromiseRejectedResult).reason instanceof TypeError);
    t.equal((s as PromiseRejectedResult).reason.message, 'the model failed on a batch of 3', 'a thrown error rejects the whole batch');
  }

  const short = await Promise.allSettled([1, 2, 3].map(x => h.dropOne(x)));
  for (const s of short) {
    const err = (s as PromiseRejectedResult).reason;
    t.ok(err instanceof BatchResultError, 'the error class survives the thread');
    t.equal(err.code, 'TROUPE_ERR_BATCH_RESULT');
    t.match(err.message, /Checker\.dropOne was called with a batch of 3 and must return an array of 3 results .* but returned an array of 2/);
  }
  const odd = await h.notArray(7).catch(e => e);
  t.match(odd.message, /returned a Object \(not an array\)/);

  const logits = await Promise.all([1, 2].map(x => h.logits(x)));
  t.same(logits, [1.5, 2.5], 'a typed array result hands out one element per call');

  const scaled = await Promise.all([
    h.scale(2, 10),
    h.scale(3, 100),
  ]);
  t.same(scaled, [20, 300], 'each parameter arrives as its own array');
});

t.test('a cancelled caller is removed before its batch runs; the others are served', async t => {
  const rt = new Runtime();
  t.teardown(() => rt.shutdown());
  const h = (await rt.spawn(Slow, [])) as unknown as ActorHandle<Unbatched<Slow>>;
  const controller = new AbortController();
  const a = h.work(1);
  const b = callActor(h, 'work', [2], { signal: controller.signal }).catch((e: unknown) => e);
  const c = h.work(3);
  await sleep(5);
  controller.abort();
  t.same(await Promise.all([a, c]), [1, 3]);
  t.ok((await b) instanceof CancelledError, 'the cancelled caller gets CancelledError');
  t.same(await h.batches(), [[1, 3]], 'the cancelled call never reached the method');
  const stats = await h.stats();
  t.equal(stats.queued, 0, 'nothing is left in the queue');
});

t.test('the queue is bounded', async t => {
  const rt = new Runtime();
  t.teardown(() => rt.shutdown());
  const h = (await rt.spawn(Slow, [])) as unknown as ActorHandle<Unbatched<Slow>>;
  // 4 run at once, 6 may wait, the 11th is refused.
  const calls = Array.from({ length: 11 }, (_, i) => h.work(i));
  const settled = await Promise.allSettled(calls);
  const refused = settled.filter(s => s.status === 'rejected').map(s => (s as PromiseRejectedResult).reason);
  t.equal(refused.length, 1, 'exactly one call over the limit');
  t.ok(refused[0] instanceof BatchQueueFullError);
  t.equal(refused[0].code, 'TROUPE_ERR_BATCH_QUEUE_FULL');
  t.match(refused[0].message, /Slow\.work already has 6 calls waiting/);
  t.equal(settled.filter(s => s.status === 'fulfilled').length, 10, 'every admitted call was served');
});

t.test('batch settings change at run time, from reconfigure', async t => {
  const rt = new Runtime();
  t.teardown(() => rt.shutdown());
  const h = (await rt.spawn(Squarer, [])) as unknown as ActorHandle<Unbatched<Squarer>>;
  await Promise.all(Array.from({ length: 64 }, (_, i) => h.square(i)));
  t.ok((await h.batchSizes()).some(s => s > 4), 'batches above 4 before');
  await h.reset();
  await h.reconfigure({ batching: { maxBatchSize: 4, maxConcurrentBatches: 3 } });
  const answers = await Promise.all(Array.from({ length: 64 }, (_, i) => h.square(i)));
  t.equal(answers[63], '63^2=3969');
  const sizes = await h.batchSizes();
  t.ok(sizes.every(s => s <= 4), `every batch is at most 4 after reconfigure: ${sizes}`);
  t.ok((await h.peak()) > 1, 'and more than one batch ran at once');
  const stats = await h.stats('square');
  t.equal(stats.config.maxBatchSize, 4);
  t.equal(stats.config.batchWaitTimeoutMs, 5, 'settings not named keep their values');
  const bad = await h.reconfigure({ batching: { batchWaitTimeoutMs: 0 } }).catch(e => e);
  t.ok(bad instanceof BatchOptionsError, 'bad settings are refused with the same checks');
  t.match(bad.message, /Squarer\.square: batchWaitTimeoutMs/);
});

t.test('a waiting batch flushes when its oldest call has waited the timeout', async t => {
  const rt = new Runtime();
  t.teardown(() => rt.shutdown());
  const h = (await rt.spawn(Slow, [])) as unknown as ActorHandle<Unbatched<Slow>>;
  await h.reconfigure({ batchWaitTimeoutMs: 1000, maxBatchSize: 100, maxQueuedCalls: 100 });
  const started = Date.now();
  const first = h.work(1);
  await sleep(600);
  const second = h.work(2);
  // Ordering, not a clock: counted from the oldest call the batch runs ~400 ms after the second call; counted
  // from the newest it would run only when a 1000 ms timer started with the second call has fired.
  let newestTimeoutPassed = false;
  const sentinel = setTimeout(() => { newestTimeoutPassed = true; }, 1000);
  t.same(await Promise.all([first, second]), [1, 2]);
  clearTimeout(sentinel);
  const waited = Date.now() - started;
  t.ok(waited >= 1000, `nothing ran before the oldest call's timeout (${waited} ms)`);
  t.notOk(newestTimeoutPassed, 'the timeout counts from the oldest call, not the newest');
  t.same(await h.batches(), [[1, 2]]);
});

// ---- auto batch size ----

function curveOf(ms: (size: number) => number, sizes: number[]): CurvePoint[] {
  return sizes.map(size => ({ size, ms: ms(size), samples: 5 }));
}
const autoBase = { targetLatencyMs: 50, batchWaitTimeoutMs: 5, maxAutoBatchSize: 64 };

t.test('auto size: probes upward while throughput grows and the target holds', async t => {
  // Fixed cost 10 ms plus 0.5 ms per item: bigger is always better per item.
  const ms = (s: number) => 10 + 0.5 * s;
  t.same(planAutoBatchSize({ ...autoBase, curve: [], current: 1 }), { size: 1, mode: 'measuring' });
  t.equal(planAutoBatchSize({ ...autoBase, curve: curveOf(ms, [1]), current: 1 }).size, 2);
  t.equal(planAutoBatchSize({ ...autoBase, curve: curveOf(ms, [1, 2, 4, 8, 16, 32]), current: 32 }).size, 64,
    '64 is probed: its predicted 42 ms fits the 45 ms budget (target minus wait)');
  t.equal(planAutoBatchSize({ ...autoBase, targetLatencyMs: 40, curve: curveOf(ms, [1, 2, 4, 8, 16, 32]), current: 32 }).size, 32,
    'not probed when the prediction passes the budget');
  const d = planAutoBatchSize({ ...autoBase, curve: curveOf(ms, [1, 2, 4, 8, 16, 32, 64]), current: 64 });
  t.same([d.size, d.mode], [64, 'best'], 'the cap is the answer when all fits');
  const tight = planAutoBatchSize({ ...autoBase, targetLatencyMs: 30, curve: curveOf(ms, [1, 2, 4, 8, 16, 32]), current: 32 });
  t.same([tight.size, tight.mode], [16, 'best'], 'with a tighter target the largest size within it wins (32 takes 26 ms > 25)');
});

t.test('auto size: settles on the throughput peak when larger batches get slower per item', async t => {
  // Per-item cost rises beyond 8 (cache effects, as on CPU): peak throughput at 8.
  const ms = (s: number) => (s <= 8 ? 4 + s : 4 + 8 + (s - 8) * 2.5);
  const d = planAutoBatchSize({ ...autoBase, curve: curveOf(ms, [1, 2, 4, 8, 16]), current: 16 });
  t.same([d.size, d.mode], [8, 'best']);
  t.ok(Math.abs(d.itemsPerSec! - (8 * 1000) / 12) < 1e-9);
  const tooSlow = planAutoBatchSize({ ...autoBase, curve: [{ size: 4, ms: 80, samples: 5 }], current: 4 });
  t.same([tooSlow.size, tooSlow.mode], [2, 'probe'], 'a size over the target backs off');
  const unsure = planAutoBatchSize({ ...autoBase, curve: [{ size: 1, ms: 2, samples: 1 }], current: 1 });
  t.equal(unsure.mode, 'measuring', 'one sample is not trusted');
});

t.test('auto size through the mechanism: grows under load, stays within the cap', async t => {
  class Model {
    @batch({ maxBatchSize: 'auto', targetLatencyMs: 60, batchWaitTimeoutMs: 2, maxAutoBatchSize: 32 })
    async run(xs: Batch<number>): Promise<number[]> {
      // A fixed cost per call and a small cost per item, like a model on an accelerator.
      await sleep(8 + xs.length * 0.1);
      return xs;
    }
  }
  const m = new Model() as unknown as Unbatched<Model>;
  for (let round = 0; round < 12; round++) await Promise.all(Array.from({ length: 64 }, (_, i) => m.run(i)));
  const s = batchStats(m as unknown as Model, 'run');
  t.equal(s.effectiveMaxBatchSize, 32, `auto reached the cap: ${JSON.stringify(s.curve.map(p => [p.size, Math.round(p.ms)]))}`);
  t.ok(Math.max(...Object.keys(s.sizes).map(Number)) <= 32);
  configureBatch(m as unknown as Model, 'run', { maxBatchSize: 6 });
  t.equal(batchStats(m as unknown as Model, 'run').effectiveMaxBatchSize, 6, 'a fixed size replaces auto');
});
