import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { loadNative, nativeAvailable, type NativeBinding } from '../../src/native/index.ts';
import { loadNativeFrom } from '../../src/native/binding.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

function surface(b: NativeBinding): string[] {
  return Object.keys(b).map((k) => `${k}:${typeof (b as any)[k]}`).sort();
}

t.test('the cmake-js build loads and reports how it was built', async (t) => {
  t.ok(nativeAvailable(), 'build/Release/troupe_native.node loads');
  const info = JSON.parse(readFileSync(join(root, 'build/Release/troupe_native.json'), 'utf8'));
  t.comment(`built by ${info.builder}, CUDA ${info.cuda}`);
  t.equal(loadNative().cudaCompiled, info.cuda, 'the binary says what the build log says');
  t.same(loadNative().devices().length >= 0, true, 'devices() does not throw');
});

t.test('the node-gyp build of the same sources loads and exposes the same API', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'troupe-gyp-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const r = spawnSync(process.execPath, [join(root, 'native/scripts/build.mjs'), '--gyp', '--out', out], { encoding: 'utf8' });
  if (r.status !== 0 && /node-gyp not found|gyp ERR! stack Error: Could not find any Python/.test(r.stdout + r.stderr)) {
    t.plan(0, `node-gyp cannot run here: ${(r.stdout + r.stderr).slice(-300)}`);
    return;
  }
  if (r.status !== 0) t.comment(`${r.stdout.slice(-2000)}${r.stderr.slice(-2000)}`);
  t.equal(r.status, 0, 'node-gyp build succeeded');
  const file = join(out, 'build/Release/troupe_native.node');
  t.ok(existsSync(file));
  const gyp = loadNativeFrom(file);
  t.same(surface(gyp), surface(loadNative()), 'same exported names and kinds');
  t.equal(gyp.cudaCompiled, false, 'the gyp build is CPU-only');
  t.same(gyp.devices(), [], 'no devices without CUDA');
  const out1 = new Float32Array(4);
  gyp.gather([{ dtype: 'float32', shape: [1], data: Float32Array.of(5) }, { dtype: 'float32', shape: [2], data: Float32Array.of(6, 7) }], out1, [2], 2, 0n);
  t.same(Array.from(out1), [5, 0, 6, 7], 'and it gathers');
});

t.test('the addon loads in a worker thread with its own instance data', async (t) => {
  const file = join(root, 'build/Release/troupe_native.node');
  const w = new Worker(`
    const { parentPort } = require('node:worker_threads');
    const n = require(${JSON.stringify(file)});
    const out = new Int32Array(2);
    n.gather([{ dtype: 'int32', shape: [2], data: Int32Array.of(1, 2) }], out, [2], 1, 0n);
    const s = n.acquireSlot(-1, 4096, 0);
    parentPort.postMessage({ out: Array.from(out), owned: n.ownedSlots(), slotBytes: s.bytes });
  `, { eval: true });
  const msg = await new Promise<any>((res, rej) => {
    w.once('message', res);
    w.once('error', rej);
  });
  await w.terminate();
  t.same(msg.out, [1, 2]);
  t.equal(msg.owned, 1, 'the worker counts its own slots');
  t.equal(loadNative().ownedSlots(), 0, 'the main thread does not see them');
  t.equal(loadNative().poolStats().find((p) => p.device === -1)?.slots ?? 0, 0, 'slot returned when the worker ended');
});

t.test('a missing binary gives TROUPE_ERR_NATIVE_MISSING naming the build command, and gather falls back', async (t) => {
  const script = `
    const n = await import(${JSON.stringify(join(root, 'src/native/index.ts'))});
    let err; try { n.loadNative(); } catch (e) { err = e; }
    const g = n.gather([{ dtype: 'float32', shape: [1], data: Float32Array.of(1) }, { dtype: 'float32', shape: [2], data: Float32Array.of(2, 3) }], { padDims: [0] });
    const parts = n.scatter(g.batch, g.lengths);
    console.log(JSON.stringify({ available: n.nativeAvailable(), code: err?.code, name: err?.name, message: err?.message,
      batch: Array.from(g.batch.data), parts: parts.map((p) => Array.from(p.data)), devices: n.devices() }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8', cwd: root, env: { ...process.env, TROUPE_NATIVE_PATH: join(root, 'build/none/missing.node') },
  });
  t.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout.trim().split('\n').pop()!);
  t.equal(res.available, false);
  t.equal(res.code, 'TROUPE_ERR_NATIVE_MISSING');
  t.equal(res.name, 'NativeMissingError');
  t.match(res.message, /npm run build:native/);
  t.same(res.batch, [1, 0, 2, 3], 'gather uses the TypeScript reference');
  t.same(res.parts, [[1], [2, 3]]);
  t.same(res.devices, []);
});
