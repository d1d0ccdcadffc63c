import t, { type Test } from 'tap';
import net from 'node:net';
import {
  Runtime,
  ActorNameTakenError,
  ActorLimitError,
  ModuleLoadError,
  UnknownMethodError,
  UnserializableError,
  CancelledError,
  UnlocatableClassError,
  transfer,
} from '../../src/index.ts';
import { callActor, type ActorHandle } from '../../src/core/index.ts';
import { Counter, Forwarder, Gate, Plain } from '../fixtures/core/actors.ts';

const fixture = new URL('../fixtures/core/actors.ts', import.meta.url);

t.test('calls read like method calls and keep state', async t => {
  const rt = new Runtime();
  t.teardown(() => rt.shutdown());
  const c = await rt.spawn(Counter, [10]);
  t.equal(await c.add(1), 11);
  t.equal(await c.add(2), 13);
  t.same(await c.echo({ nested: [1, 'two', { three: true }], nil: null }), { nested: [1, 'two', { three: true }], nil: null });
  const big = 2n ** 70n;
  t.equal(await c.echo(big), big);
  const when = new Date('2026-01-02T03:04:05Z');
  t.same(await c.echo(when), when);
});

t.test('typed arrays and buffers travel as binary; transfer() moves without a copy', async t => {
  const rt = new Runtime();
  t.teardown(() => rt.shutdown());
  const c = await rt.spawn(Counter, []);
  const f = new Float32Array([1.5, 2.5, 3]);
  t.equal(await c.sum(f), 7);
  const back = await c.echo(new Float64Array([1, 2, 3]));
  t.ok(back instanceof Float64Array, 'a Float64Array comes back as one');
  t.same([...back], [1, 2, 3]);
  const buf = await c.echo(Buffer.from('hello'));
  t.equal(Buffer.from(buf).toString(), 'hello');
  const moved = new Float32Array(1024).fill(2);
  t.equal(await c.sum(transfer(moved)), 2048);
  t.equal(moved.length, 0, 'the sender\'s copy is detached after transfer');
});

t.test('errors cross threads with class, code, cause and the remote stack', async t => {
  const rt = new Runtime();
  t.teardown(() => rt.shutdown());
  const c = await rt.spawn(Counter, [], { name: 'failing-counter' });
  const err: any = await c.fail('out of range').catch(e => e);
  t.equal(err.message, 'outer failure');
  t.ok(err instanceof Error);
  t.equal(err.cause.name, 'RangeError');
  t.ok(err.cause instanceof RangeError, 'the cause is rebuilt as its own class');
  t.equal(err.cause.code, 'E_COUNTER');
  t.match(err.stack, /Counter\.fail \(.*actors\.ts/, 'the stack shows the remote frame');
  t.match(err.stack, /<actor Counter failing-counter>/, 'the stack names the actor');
});

t.test('1000 concurrent calls each get their own result', async t => {
  const rt = new Runtime();
  t.teardown(() => rt.shutdown());
  const c = await rt.spawn(Counter, []);
  const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => c.echo({ i, s: `call ${i}` })));
  t.ok(results.every((r, i) => r.i === i && r.s === `call ${i}`));
  const sums = await Promise.all(Array.from({ length: 1000 }, () => c.add(1)));
  t.equal(Math.max(...sums), 1000, 'every add ran exactly once');
  t.equal(new Set(sums).size, 1000);
});

t.test('async methods interleave up to maxConcurrency', async t => {
  const rt = new Runtime();
  t.teardown(() => rt.shutdown());
  const limited = await rt.spawn(Gate, [], { maxConcurrency: 3 });
  await Promise.all(Array.from({ length: 12 }, () => limited.enter(20)));
  t.equal(await limited.peakSeen(), 3, 'never more than 3 at once');
  const free = await rt.spawn(Gate, []);
  await Promise.all(Array.from({ length: 12 }, () => free.enter(20)));
  t.equal(await free.peakSeen(), 12, 'interleaved without a limit');
  const serial = await rt.spawn(Gate, [], { maxConcurrency: 1 });
  await Promise.all(Array.from({ length: 5 }, () => serial.enter(5)));
  t.equal(await serial.peakSeen(), 1);
});

t.test('async generator methods stream through the handle, and cancel', async t => {
  const rt = new Runtime();
  t.teardown(() => rt.shutdown());
  const c = await rt.spawn(Counter, []);
  const got: number[] = [];
  for await (const v of c.count3(5)) got.push(v);
  t.same(got, [5, 6, 7]);
  let n = 0;
  for await (const v of c.forever()) {
    t.equal(v, n++);
    if (n === 40) break; // beyond the credit window: flow control keeps it going
  }
  t.equal(n, 40);
  t.equal(await c.add(1), 1, 'the actor keeps serving after a stream is abandoned');
});

/** Calls a Counter's `method` with an AbortSignal, aborts it after `abortAfterMs`, and checks that the call
 *  rejects as cancelled; then waits (up to 500 ms) for `observed` to read what the actor saw, and returns it. */
async function cancelCall<T>(
  t: Test, method: string, args: unknown[], abortAfterMs: number, observed: (c: ActorHandle<Counter>) => Promise<T>, seen: (v: T) => boolean,
): Promise<T> {
  const rt = new Runtime();
  t.teardown(() => rt.shutdown());
  const c = await rt.spawn(Counter, []);
  const controller = new AbortController();
  const pending = callActor(c, method, args, { signal: controller.signal });
  setTimeout(() => controller.abort(), abortAfterMs);
  await t.rejects(pending, CancelledError);
  let value = await observed(c);
  for (let i = 0; i < 50 && !seen(value); i++) {
    await new Promise(r => setTimeout(r, 10));
    value = await observed(c);
  }
  return value;
}

t.test('an AbortSignal cancels a call and reaches the actor', async t => {
  const count = await cancelCall(t, 'waitForCancel', [], 20, c => c.cancelledCount(), n => n > 0);
  t.equal(count, 1, 'the actor saw the cancellation through callContext().signal');
});

t.test('a signal first read after the call was cancelled is already aborted', async t => {
  const late = await cancelCall(t, 'signalReadLate', [80], 10, c => c.lateSignal(), v => v !== undefined);
  t.same(late, { aborted: true, reason: 'cancelled by caller' }, 'aborted, with the reason the actor was given');
});

t.test('handles are serializable: as constructor arguments and as call arguments', async t => {
  const rt = new Runtime();
  t.teardown(() => rt.shutdown());
  const a = await rt.spawn(Counter, [100], { name: 'a' });
  const b = await rt.spawn(Counter, [200], { name: 'b' });
  const fwd = await rt.spawn(Forwarder, [a]);
  t.equal(await fwd.add(1), 101);
  t.equal(await fwd.addVia(b, 1), 201);
  t.equal(await fwd.addByName('b', 1), 202, 'getActor(name) works inside an actor');
  t.equal(await a.add(0), 101, 'both reached the same actor');
  const again = rt.getActor<Counter>('a');
  t.equal(await again.add(0), 101);
});

t.test('bad input gets a clear error and the runtime keeps working', async t => {
  const rt = new Runtime({ maxActors: 3 });
  t.teardown(() => rt.shutdown());
  const c = await rt.spawn(Counter, [], { name: 'only' });

  const unknown: any = await (c as any).nope(1).catch((e: unknown) => e);
  t.ok(unknown instanceof UnknownMethodError);
  t.match(unknown.message, /no method "nope".*add/);

  const fnArg: any = await c.echo(() => 1).catch(e => e);
  t.ok(fnArg instanceof UnserializableError);
  t.match(fnArg.message, /argument 1 of Counter\.echo is a function/);
  const socket = new net.Socket();
  const sockArg: any = await c.echo({ conn: socket }).catch(e => e);
  t.match(sockArg.message, /argument 1 of Counter\.echo\.conn is a Socket/);
  socket.destroy();

  await t.rejects(rt.spawn(Counter, [], { name: 'only' }), ActorNameTakenError);
  await t.rejects(rt.spawn(Plain, []), UnlocatableClassError, 'an undecorated class needs a module');
  const plain = await rt.spawn(Plain, [], { module: fixture });
  t.equal(await plain.hello(), 'hi', 'an undecorated class loads with { module }');

  const missingModule: any = await rt.spawn(Plain, [], { module: new URL('../fixtures/core/nope.ts', import.meta.url) }).catch(e => e);
  t.ok(missingModule instanceof ModuleLoadError);
  t.match(missingModule.message, /nope\.ts/);
  t.match(missingModule.message, /Plain/);
  t.match(missingModule.message, /does not exist/);
  const missingExport: any = await rt.spawn(Plain, [], { module: fixture, exportName: 'Nope' }).catch(e => e);
  t.ok(missingExport instanceof ModuleLoadError);
  t.match(missingExport.message, /no such export.*Counter/);

  await rt.spawn(Counter, []);
  await t.rejects(rt.spawn(Counter, []), ActorLimitError, 'a fourth live actor is refused');
  t.equal(await c.add(5), 5, 'the runtime still serves');
});
