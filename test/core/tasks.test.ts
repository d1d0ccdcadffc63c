import t from 'tap';
import { Runtime, CancelledError, remote } from '../../src/index.ts';
import { double, failTask, slowTask } from '../fixtures/core/actors.ts';

t.test('remote functions run on the task pool with the same error and cancellation semantics', async t => {
  const rt = new Runtime({ taskThreads: 2 });
  t.teardown(() => rt.shutdown());
  t.equal(await rt.runTask(double, [21]), 42);
  const many = await Promise.all(Array.from({ length: 50 }, (_, i) => rt.runTask(double, [i])));
  t.same(many, Array.from({ length: 50 }, (_, i) => i * 2));

  const err: any = await rt.runTask(failTask, []).catch(e => e);
  t.ok(err instanceof SyntaxError, 'the error keeps its class');
  t.equal(err.message, 'task went wrong');
  t.match(err.stack, /<task failTask>/);

  const controller = new AbortController();
  const pending = rt.runTask(slowTask, [10_000], { signal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  await t.rejects(pending, CancelledError);
  t.equal(await rt.runTask(slowTask, [1]), 'done', 'the pool keeps serving after a cancellation');
});

t.test('bad task input gets a clear error', async t => {
  const rt = new Runtime({ taskThreads: 1 });
  t.teardown(() => rt.shutdown());
  await t.rejects(rt.runTask((() => 1) as any, []), /made with remote\(\)/);
  await t.rejects(rt.runTask(double, [(() => 1) as any]), /argument 1 of task double is a function/);
  const unexported = remote(function notExported() {
    return 1;
  });
  await t.rejects(rt.runTask(unexported, []), /notExported/);
});
