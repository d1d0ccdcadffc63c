// The codec's compact frames (simple call traffic written by hand) and their fallbacks to msgpackr.
import t from 'tap';
import { decodeMessages, encodeMessages } from '../../src/core/codec.ts';
import { UnserializableError } from '../../src/core/errors.ts';
import { ObjectStore, registerStore, unregisterStore } from '../../src/store/index.ts';

const COMPACT = 0xc1;

/** Encodes a batch without an object store, decodes it, and says whether it went as a compact frame. */
function roundTrip(batch: object[]): { out: any[]; compact: boolean } {
  const { frame } = encodeMessages(batch, null);
  return { out: decodeMessages(frame) as any[], compact: frame.bytes[0] === COMPACT && !frame.attachments };
}

const ok = (v: unknown) => ({ t: 'ok', id: 7, v });

t.test('every message kind round-trips in a compact frame', async t => {
  const batch = [
    { t: 'call', id: 1, m: 'add', a: [1, 'two', null] },
    { t: 'call', id: 2, m: 'tokens', a: [], s: 1 },
    { t: 'cancel', id: 3 },
    { t: 'credit', id: 4, n: 8 },
    { t: 'ok', id: 5, v: 'done' },
    { t: 'item', id: 6, v: 3.5 },
    { t: 'end', id: 0xffffffff },
  ];
  const { out, compact } = roundTrip(batch);
  t.ok(compact);
  t.same(out, batch);
});

t.test('a call with a multiplexed model id goes compact, the id written once per frame', async t => {
  const batch = [
    { t: 'call', id: 1, m: 'predict', a: [1], mm: 'model-a' },
    { t: 'call', id: 2, m: 'predict', a: [2], mm: 'model-a' },
    { t: 'call', id: 3, m: 'tokens', a: [], s: 1, mm: 'model-b' },
    { t: 'call', id: 4, m: 'predict', a: [3] },
  ];
  const { out, compact } = roundTrip(batch);
  t.ok(compact);
  t.same(out, batch);
  t.notOk('mm' in out[3], 'a call without one gets no mm field');
  const once = encodeMessages(batch.slice(0, 1), null).frame.bytes.length;
  const twice = encodeMessages(batch.slice(0, 2), null).frame.bytes.length;
  const plain = encodeMessages([{ t: 'call', id: 1, m: 'predict', a: [1] }], null).frame.bytes.length;
  t.equal(once - plain, 1 + 'model-a'.length, 'the id costs its bytes and a length');
  // The next call of the frame refers back to both the method name and the id (3 bytes each).
  t.equal(twice - once, plain - 1 - (1 + 'predict'.length) + 3 + 3, 'a repeated id costs a 3-byte reference');
  // An id the compact frame cannot carry (not ASCII) goes through msgpackr, intact.
  const wide = roundTrip([{ t: 'call', id: 5, m: 'predict', a: [], mm: 'modèle' }]);
  t.notOk(wide.compact);
  t.equal(wide.out[0].mm, 'modèle');
});

t.test('primitive values: exact numbers, -0, NaN, infinities, big and small ints', async t => {
  const values = [undefined, null, true, false, 0, -0, NaN, Infinity, -Infinity, 1.5, -1e-300, 5e-324, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 64, -(2 ** 70), Number.MAX_VALUE];
  for (const v of values) {
    const { out, compact } = roundTrip([ok(v)]);
    t.ok(compact, `${String(v)} goes compact`);
    t.ok(Object.is(out[0].v, v), `${Object.is(v, -0) ? '-0' : String(v)} comes back as itself`);
  }
  t.ok('v' in roundTrip([ok(undefined)]).out[0], 'an undefined result is still a field');
});

t.test('strings: short ASCII compact; long, non-ASCII and surrogates through msgpackr, intact', async t => {
  const cases: Array<[string, boolean]> = [
    ['', true],
    ['plain ascii ~!@#', true],
    ['x'.repeat(255), true],
    ['x'.repeat(256), false],
    ['héllo', false],
    ['emoji 😀 pair', false],
    ['\u0000 nul', true],
  ];
  for (const [s, expectCompact] of cases) {
    const { out, compact } = roundTrip([ok(s)]);
    t.equal(compact, expectCompact, `${JSON.stringify(s.slice(0, 20))} ${expectCompact ? 'compact' : 'msgpackr'}`);
    t.equal(out[0].v, s);
  }
  // Known bug (msgpackr 2.1.3, not fixed here): a lone surrogate is packed as 3 WTF-8 bytes and read back
  // as three U+FFFD, so the string changes length. Structured clone keeps it.
  for (const s of ['lone \ud800 high', 'lone \udc00 low']) {
    const { out, compact } = roundTrip([ok(s)]);
    t.notOk(compact);
    t.equal(out[0].v, s, 'a lone surrogate survives', { todo: 'msgpackr reads its WTF-8 bytes back as three U+FFFD' });
  }
  // A method name that is not ASCII falls back as a whole.
  const { out, compact } = roundTrip([{ t: 'call', id: 1, m: 'grüß', a: [] }]);
  t.notOk(compact);
  t.equal(out[0].m, 'grüß');
});

t.test('nested, shared and cyclic plain objects and arrays keep their shape and identity', async t => {
  const nested = { a: [1, [2, [3, { deep: 'yes' }]]], b: { c: { d: null } } };
  let r = roundTrip([ok(nested)]);
  t.ok(r.compact);
  t.same(r.out[0].v, nested);

  const shared = { name: 'shared' };
  r = roundTrip([ok({ left: shared, right: shared, list: [shared] })]);
  t.ok(r.compact);
  const v = r.out[0].v;
  t.equal(v.left, v.right, 'a shared object arrives once, referenced twice');
  t.equal(v.list[0], v.left);

  const cyclic: any = { label: 'loop', items: [] };
  cyclic.self = cyclic;
  cyclic.items.push(cyclic, cyclic.items);
  r = roundTrip([ok(cyclic)]);
  t.ok(r.compact);
  const c = r.out[0].v;
  t.equal(c.self, c);
  t.equal(c.items[0], c);
  t.equal(c.items[1], c.items);

  // An object in two messages of one batch arrives equal in both.
  const both = { n: 1 };
  r = roundTrip([ok(both), { t: 'item', id: 8, v: both }]);
  t.ok(r.compact);
  t.same(r.out[0].v, both);
  t.same(r.out[1].v, both);
});

t.test('values the compact frame does not carry go through msgpackr and arrive intact', async t => {
  const date = new Date(1_700_000_000_000);
  const cases: Array<[string, unknown]> = [
    ['Date', date],
    ['Set', new Set([1, 2])],
    ['Float32Array', new Float32Array([1.5, -2])],
    ['bigint', 12345678901234567890n],
    ['object with a non-ASCII key', { 'clé': 1 }],
    ['array past 255 items', Array.from({ length: 300 }, (_, i) => i)],
    ['message past 2048 values', Array.from({ length: 40 }, () => Array.from({ length: 60 }, (_, i) => i))],
  ];
  for (const [what, value] of cases) {
    const { out, compact } = roundTrip([ok(value)]);
    t.notOk(compact, `${what}: msgpackr`);
    t.same(out[0].v, value, `${what} round-trips`);
  }
  // Maps arrive as plain objects (the codec's msgpackr settings).
  t.same(roundTrip([ok(new Map([['k', 1]]))]).out[0].v, { k: 1 });
  const err = roundTrip([{ t: 'err', id: 1, e: new RangeError('bad range') }]);
  t.notOk(err.compact, 'errors always take msgpackr (class, cause and stack)');
  t.ok(err.out[0].e instanceof RangeError);
  t.equal(err.out[0].e.message, 'bad range');

  // One message that needs msgpackr sends its whole batch that way; the simple ones are not lost.
  const mixed = roundTrip([ok(1), ok(date), ok('x')]);
  t.notOk(mixed.compact);
  t.same(mixed.out.map(m => m.v), [1, date, 'x']);

  // A message with a field the compact frame does not know is carried whole.
  const extra = roundTrip([{ t: 'ok', id: 1, v: 1, trace: 'abc' }]);
  t.notOk(extra.compact);
  t.equal(extra.out[0].trace, 'abc');
  // An id that is not a 32-bit unsigned integer too.
  t.notOk(roundTrip([{ t: 'ok', id: 2 ** 32, v: 1 }]).compact);
});

t.test('a cycle that has to go through msgpackr fails at send with a clear error', async t => {
  const cyclic: any = { when: new Date(0) };
  cyclic.self = cyclic;
  t.throws(() => encodeMessages([ok(cyclic)], null), UnserializableError);
  t.throws(() => encodeMessages([ok(cyclic)], null), /break the cycle/);
  // The codec still works afterwards.
  t.same(roundTrip([ok({ fine: true })]).out[0].v, { fine: true });
});

t.test('the compact frame stays within its 1 MiB budget: a larger batch goes through msgpackr, whole', async t => {
  const text = 'y'.repeat(200);
  const small = Array.from({ length: 100 }, (_, i) => ({ t: 'ok', id: i, v: text }));
  t.ok(roundTrip(small).compact, 'a batch well under 1 MiB is compact');
  const large = Array.from({ length: 8000 }, (_, i) => ({ t: 'ok', id: i, v: text })); // ~1.7 MB of strings
  const r = roundTrip(large);
  t.notOk(r.compact, 'past 1 MiB: msgpackr');
  t.equal(r.out.length, 8000);
  t.ok(r.out.every((m, i) => m.id === i && m.v === text), 'every message arrives, in order');
  // Budget per message, not per batch: many messages each under the value limit stay compact.
  const many = Array.from({ length: 3000 }, (_, i) => ({ t: 'ok', id: i, v: [1, 2, 3] }));
  t.ok(roundTrip(many).compact, '3000 small results in one batch');
  // And the next small batch is compact again (the scratch buffer was not left in a bad state).
  t.ok(roundTrip([ok('after')]).compact);
});

t.test('keys and method names repeated across a batch (written once per frame, then by index) arrive intact', async t => {
  // A batch of requests to one route: the same keys and method name in every message.
  const batch = Array.from({ length: 300 }, (_, i) => ({
    t: 'call', id: i + 1, m: i % 2 ? 'root' : 'other',
    a: [{ body: null, query: { q: String(i) }, params: {}, headers: { host: 'h', 'x-n': String(i) }, requestId: `r-${i}`, method: 'GET', path: '/' }],
  }));
  const { out, compact } = roundTrip(batch);
  t.ok(compact);
  t.same(out, batch);
  t.same(Object.keys(out[299].a[0]), Object.keys(batch[299]!.a[0]!), 'keys keep their order');
  // 70,000 distinct keys: past the 65,535 the frame numbers, keys are written out in full.
  const wide = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`k${i}`, true]));
  const many = Array.from({ length: 280 }, (_, i) => ok(Object.fromEntries(Object.entries(wide).map(([k, v]) => [`${k}_${i}`, v]))));
  const again = [...many, ok(wide), ok(wide)];
  const r = roundTrip(again);
  t.ok(r.compact, 'still one compact frame');
  t.same(r.out, again, 'past the key table limit');
  for (const len of [254, 255]) {
    const key = 'k'.repeat(len);
    const msgs = [ok({ [key]: 1 }), ok({ [key]: 2 })];
    const res = roundTrip(msgs);
    t.same(res.out, msgs, `a ${len}-character key twice`);
    t.equal(res.compact, len < 255, len < 255 ? 'compact' : 'through msgpackr');
  }
});

t.test('large typed arrays go by ref inside a compact frame, keep their identity, and fall back inline when the arena is full', async t => {
  const store = ObjectStore.create({ capacity: 1024 * 1024, inlineThreshold: 64 * 1024 });
  registerStore(store);
  t.teardown(() => {
    unregisterStore(store);
    store.close();
  });
  const big = Float32Array.from({ length: 32 * 1024 }, (_, i) => i);
  const batch = [{ t: 'call', id: 1, m: 'run', a: [{ input: big, again: big, label: 'x' }] }];
  const { frame } = encodeMessages(batch, store);
  t.equal(frame.bytes[0], COMPACT, 'a compact frame');
  t.ok(frame.bytes.byteLength < 1024, `the array is not in the frame (${frame.bytes.byteLength} bytes)`);
  const out = decodeMessages(frame) as any[];
  const arg = out[0].a[0];
  t.ok(arg.input instanceof Float32Array && arg.input.buffer instanceof SharedArrayBuffer, 'a view of the arena');
  t.equal(arg.input, arg.again, 'the same array twice is one view');
  t.same(Array.from(arg.input.subarray(0, 4)), [0, 1, 2, 3]);
  t.equal(arg.input[32 * 1024 - 1], 32 * 1024 - 1);
  store.release(arg.input);
  t.equal(store.stats().objects, 0, 'released, the object is freed');

  // No room: the whole frame goes through msgpackr with the arrays inline, and no hold is left behind.
  const huge = new Float32Array(230 * 1024); // with `big`, more than the arena holds
  const full = encodeMessages([{ t: 'ok', id: 2, v: [big, huge, big] }], store);
  t.not(full.frame.bytes[0], COMPACT, 'msgpackr');
  const back = (decodeMessages(full.frame) as any[])[0].v;
  t.equal(back[1].length, huge.length);
  t.equal(back[0][5], 5);
  t.equal(back[0], back[2], 'identity kept through msgpackr too');
  for (const v of new Set(back as Float32Array[])) if (v.buffer instanceof SharedArrayBuffer) store.release(v);
  t.equal(store.stats().objects, 0, 'nothing left held');
});

t.test('bad compact frames are refused with an error, not misread', async t => {
  t.throws(() => decodeMessages({ bytes: Uint8Array.of(COMPACT, 42, 0, 0, 0, 0) }), /bad message kind/);
  // Kind 3 is 'ok'; value tag 8 is a back-reference.
  t.throws(() => decodeMessages({ bytes: Uint8Array.of(COMPACT, 3, 1, 0, 0, 0, 99) }), /bad value tag/);
  t.throws(() => decodeMessages({ bytes: Uint8Array.of(COMPACT, 3, 1, 0, 0, 0, 8, 5, 0, 0, 0) }), /refers to an object it has not sent/);
  // Value tag 7 is an object (1 key): a key that refers back to key 4 of a frame that has none.
  t.throws(() => decodeMessages({ bytes: Uint8Array.of(COMPACT, 3, 1, 0, 0, 0, 7, 1, 0xff, 4, 0, 0) }), /refers to a key it has not sent/);
});
