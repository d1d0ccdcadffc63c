import t from 'tap';
import { serve, Runtime, ActorDiedError, ActorNotFoundError } from '../../src/index.ts';
import { Adder, Tagger, addByName, addInTask, tagInTask } from '../fixtures/serve/task-handles.ts';

t.before(() => serve.start({ http: false, runtime: { taskThreads: 2 } }));
t.teardown(() => serve.shutdown());

t.test('a task calls an actor through a handle passed to it', async t => {
  const runtime = serve.runtime!;
  const adder = await runtime.spawn(Adder, []);
  t.equal(await runtime.runTask(addInTask, [adder, 41]), 42);
  const many = await Promise.all(Array.from({ length: 20 }, (_, i) => runtime.runTask(addInTask, [adder, i])));
  t.same(many, Array.from({ length: 20 }, (_, i) => i + 1), 'every task on every pool thread gets its own answer');
  await runtime.kill(adder);
});

t.test('a task calls a deployment through a handle passed to it, and the router spreads its calls', async t => {
  const tagger = await serve.run(Tagger.bind(), { name: 'tagger' });
  const results = await serve.runtime!.runTask(tagInTask, [tagger, 40]);
  t.same(results.map(r => r.x), Array.from({ length: 40 }, (_, i) => i * 10));
  t.equal(new Set(results.map(r => r.replica)).size, 2, 'both replicas served calls from the task');
  await serve.delete('tagger');
});

t.test('getActor() inside a task finds a named actor; a missing name fails clearly', async t => {
  const runtime = serve.runtime!;
  const adder = await runtime.spawn(Adder, [], { name: 'task-adder' });
  t.equal(await runtime.runTask(addByName, ['task-adder', 1]), 3);
  const err = await runtime.runTask(addByName, ['nobody', 1]).catch(e => e);
  t.ok(err instanceof ActorNotFoundError, 'the error keeps its class across the pool thread');
  t.match(err.message, /no live actor is named "nobody"/);
  await runtime.kill(adder);
});

t.test("a dead actor's call from a task fails with why it died, and the pool keeps serving", async t => {
  const runtime = serve.runtime!;
  const adder = await runtime.spawn(Adder, []);
  t.equal(await runtime.runTask(addInTask, [adder, 1]), 2, 'the pool thread has a link to it');
  await runtime.kill(adder);
  const err = await runtime.runTask(addInTask, [adder, 1]).catch(e => e);
  t.ok(err instanceof ActorDiedError, `got ${err}`);
  t.match(err.message, /killed by kill\(\)/);
  const other = await runtime.spawn(Adder, []);
  t.equal(await runtime.runTask(addInTask, [other, 5]), 6);
  await runtime.kill(other);
});

t.test('shutdown leaves no pool thread, control port or link behind', async t => {
  const before = process.getActiveResourcesInfo().filter(r => r !== 'TTYWrap');
  const runtime = new Runtime({ taskThreads: 2 });
  const adder = await runtime.spawn(Adder, [], { name: 'leak-check' });
  await Promise.all([runtime.runTask(addInTask, [adder, 1]), runtime.runTask(addByName, ['leak-check', 1])]);
  await runtime.shutdown();
  await new Promise(r => setImmediate(r));
  const after = process.getActiveResourcesInfo().filter(r => r !== 'TTYWrap');
  const count = (list: string[], kind: string) => list.filter(k => k === kind).length;
  for (const kind of new Set([...after, 'Worker', 'MessagePort', 'Timeout'])) {
    t.ok(count(after, kind) <= count(before, kind), `no ${kind} left behind (before: ${count(before, kind)}, after: ${count(after, kind)})`);
  }
});
