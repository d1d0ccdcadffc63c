// Bodies read into the object store's arena (HttpProxyOptions.objectStore): intact, their place given back when
// the request is done, and read into ordinary buffers when the arena is full.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { ingress, post, type RouteInput } from '../../src/http/index.ts';
import { ObjectStore } from '../../src/store/index.ts';
import { mountApp } from '../fixtures/http/in-process-target.ts';
import { startProxy } from '../fixtures/http/harness.ts';

@ingress({ title: 'bytes' })
class Bytes {
  arrived = 0;
  /** Calls wait until this many have arrived: every body is being held at once. */
  together = 1;

  @post('/sum', { accepts: ['application/octet-stream'] })
  async sum({ body }: RouteInput<Uint8Array>) {
    this.arrived++;
    while (this.arrived < this.together) await sleep(5);
    let sum = 0;
    for (let i = 0; i < body.byteLength; i++) sum = (sum * 31 + body[i]!) % 1_000_003;
    return { size: body.byteLength, sum };
  }
}

const body = (seed: number, size: number) => Uint8Array.from({ length: size }, (_, i) => (i * 7 + seed * 13) & 0xff);
const checksum = (b: Uint8Array) => b.reduce((s, x) => (s * 31 + x) % 1_000_003, 0);

t.test('an arena with room for three bodies: twelve at once are all read intact, the rest into buffers', async (t) => {
  const store = ObjectStore.create({ capacity: 3 * 64 * 1024 + 1024, inlineThreshold: 64 * 1024 });
  t.teardown(() => store.close());
  const app = new Bytes();
  app.together = 12;
  const { base } = await startProxy(t, [mountApp(Bytes, app)], { objectStore: store });
  const bodies = Array.from({ length: 12 }, (_, i) => body(i, 64 * 1024 + i));
  const answers = await Promise.all(
    bodies.map(async (b) => (await fetch(`${base}/sum`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: b })).json()),
  );
  t.same(answers, bodies.map((b) => ({ size: b.byteLength, sum: checksum(b) })));
  const stats = store.stats();
  t.same([stats.puts, stats.failedPuts], [3, 9], 'three bodies went into the arena, nine found it full');
  t.equal(stats.objects, 0, 'every place given back');
});

t.test('a body below the inline threshold is read into a buffer', async (t) => {
  const store = ObjectStore.create({ capacity: 1024 * 1024, inlineThreshold: 64 * 1024 });
  t.teardown(() => store.close());
  const { base } = await startProxy(t, [mountApp(Bytes, new Bytes())], { objectStore: store });
  const b = body(1, 1000);
  const res = await fetch(`${base}/sum`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: b });
  t.same(await res.json(), { size: 1000, sum: checksum(b) });
  t.equal(store.stats().puts, 0, 'the arena was not used');
});
