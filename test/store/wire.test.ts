import t from 'tap';
import { decodeMessages, encodeMessages } from '../../src/core/codec.ts';
import {
  ObjectStore, ObjectReleasedError, ForeignObjectRefError, registerStore, unregisterStore,
} from '../../src/store/index.ts';

const big = () => new Float32Array(64 * 1024 / 4).map((_, i) => i);

t.test('the codec sends a large typed array as a ref and the receiver adopts its hold', async (t) => {
  const store = ObjectStore.create({ capacity: 1024 * 1024 });
  registerStore(store);
  t.teardown(() => { unregisterStore(store); store.close(); });
  const { frame } = encodeMessages([{ t: 'ok', id: 1, v: big() }], store);
  t.ok(frame.bytes.byteLength < 200, `only the ref travels (${frame.bytes.byteLength} bytes)`);
  const [m] = decodeMessages(frame) as Array<{ v: Float32Array }>;
  t.ok(m!.v.buffer instanceof SharedArrayBuffer && m!.v[100] === 100, 'a view of the arena with the data');
  t.equal(store.holdCount(store.refOf(m!.v)!), 1, 'one hold: the one the view owns');

  store.release(m!.v);
  t.equal(store.stats().objects, 0);
  const again = (() => { try { decodeMessages(frame); } catch (e) { return e; } })();
  t.ok(again instanceof ObjectReleasedError, 'a stale frame decoded again: the object is gone, a clear error');

  const inline = encodeMessages([{ t: 'ok', id: 2, v: big() }], null);
  t.ok(inline.frame.bytes.byteLength > 64 * 1024, 'store null: inline');
  t.equal(store.stats().puts, 1);
});

t.test('a ref to a store this thread does not know, and a frame that fails to encode', async (t) => {
  const store = ObjectStore.create({ capacity: 1024 * 1024 });
  t.teardown(() => store.close());
  const { frame } = encodeMessages([{ t: 'ok', id: 1, v: big() }], store);
  const err = (() => { try { decodeMessages(frame); } catch (e) { return e as Error; } })();
  t.ok(err instanceof ForeignObjectRefError, `${err?.name}`);
  t.match(err!.message, /has not attached/);
  store.releaseHolder(0);
  t.equal(store.stats().objects, 0, 'the undelivered hold is the sender\'s: dropped with the sender');

  t.throws(() => encodeMessages([{ t: 'ok', id: 3, v: [big(), Symbol('no')] }], store), 'a symbol cannot be sent');
  t.equal(store.stats().objects, 0, 'the ref made before the failure was given back');
});
