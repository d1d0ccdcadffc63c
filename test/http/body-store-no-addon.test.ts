// Large bodies read into the object store where the native addon is not built: they are copied into shared
// memory directly (no alias), intact. The addon is hidden before any troupe module loads.
import t from 'tap';

process.env.TROUPE_NATIVE_PATH = '/nonexistent/troupe_native.node';
const { ingress, post } = await import('../../src/http/index.ts');
const { ObjectStore, nativeAliasStatus } = await import('../../src/store/index.ts');
const { mountApp } = await import('../fixtures/http/in-process-target.ts');
const { startProxy } = await import('../fixtures/http/harness.ts');

@ingress({ title: 'bytes' })
class Bytes {
  @post('/sum', { accepts: ['application/octet-stream'] })
  sum({ body }: { body: Uint8Array }) {
    let sum = 0;
    for (let i = 0; i < body.byteLength; i++) sum = (sum * 31 + body[i]!) % 1_000_003;
    return { size: body.byteLength, sum };
  }
}

t.test('a 100 KB body goes into the arena and arrives intact without the addon', async (t) => {
  t.match(nativeAliasStatus(), /not built/, 'the addon is hidden');
  const store = ObjectStore.create({ capacity: 1024 * 1024, inlineThreshold: 64 * 1024 });
  t.teardown(() => store.close());
  const { base } = await startProxy(t, [mountApp(Bytes, new Bytes())], { objectStore: store });
  const body = Uint8Array.from({ length: 100_003 }, (_, i) => (i * 7 + 3) & 0xff);
  const res = await fetch(`${base}/sum`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body });
  t.same(await res.json(), { size: body.byteLength, sum: body.reduce((s, x) => (s * 31 + x) % 1_000_003, 0) });
  t.equal(store.stats().puts, 1, 'read into the arena');
  t.equal(store.stats().objects, 0, 'and given back');
});
