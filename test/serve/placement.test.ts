import os from 'node:os';
import t from 'tap';
import { Runtime, InsufficientResourcesError, replicaContext } from '../../src/index.ts';
import { Placement, ServeController } from '../../src/serve/index.ts';
import { CpuHungry, HalfGpu, Plain } from '../fixtures/serve/placed.ts';

t.test('with no GPU, a deployment that needs one fails at once with what to do', async t => {
  const runtime = new Runtime();
  t.teardown(() => runtime.shutdown());
  const controller = new ServeController(runtime); // this machine's capacity: no GPU here
  const err = await controller.run(HalfGpu.bind(), { name: 'gpu' }).catch(e => e);
  t.ok(err instanceof InsufficientResourcesError, `got ${err}`);
  t.match(err.message, /deployment gpu\/HalfGpu: a replica needs actorOptions\.numGpus 0\.5 but only 0 of 0 GPUs are free/);
  t.match(err.message, /set actorOptions\.numGpus to 0/);
  t.equal(runtime.actors().length, 0, 'no replica was started');
  t.notOk(controller.status().applications.gpu, 'no half-deployed application is left');
  // The controller keeps serving: the same deployment without a GPU runs.
  const h = await controller.run(HalfGpu.bind().options({ actorOptions: { numGpus: 0 } }), { name: 'gpu' });
  const ctx: any = await h.context();
  t.equal(ctx.deployment, 'gpu/HalfGpu');
  t.equal(ctx.gpu, undefined, 'no GPU share');
  await controller.shutdown();
});

t.test('fractional numGpus packs replicas onto one GPU and each learns its device and share', async t => {
  const runtime = new Runtime();
  t.teardown(() => runtime.shutdown());
  const controller = new ServeController(runtime, { capacity: { cpus: 8, gpus: [0] } });
  const h = await controller.run(HalfGpu.bind(), { name: 'half' });
  const contexts = new Map<string, any>();
  for (let i = 0; i < 40 && contexts.size < 2; i++) {
    const c: any = await h.context();
    contexts.set(c.replica, c);
  }
  t.equal(contexts.size, 2, 'two replicas');
  // This capacity names GPU 0 without slot pools (no GPU here): the share is booked, no slot is carved.
  for (const c of contexts.values()) t.same(c.gpu, { device: 0, bytes: 0, devices: [0], fraction: 0.5 });
  // The GPU is full now: one more replica's worth is refused, naming the deployment and option.
  const err = await controller.run(HalfGpu.bind().options({ numReplicas: 1 }), { name: 'third' }).catch(e => e);
  t.ok(err instanceof InsufficientResourcesError);
  t.match(err.message, /deployment third\/HalfGpu: .*numGpus 0\.5 but only 0 of 1 GPUs are free; lower actorOptions\.numGpus, lower numReplicas, or add a GPU/);
  // Deleting the first application gives its share back.
  await controller.delete('half');
  const again = await controller.run(HalfGpu.bind().options({ numReplicas: 1 }), { name: 'third' });
  t.same(((await again.context()) as any).gpu, { device: 0, bytes: 0, devices: [0], fraction: 0.5 });
  await controller.shutdown();
});

t.test('CPU oversubscription starts the replica and says so in status', async t => {
  const runtime = new Runtime();
  t.teardown(() => runtime.shutdown());
  const controller = new ServeController(runtime);
  const h = await controller.run(CpuHungry.bind(), { name: 'cpu' });
  t.equal(await h.ping(), 'pong');
  const message = controller.status().applications.cpu.deployments.CpuHungry.message;
  t.match(message, new RegExp(`ask for \\d+ CPUs \\(actorOptions\\.numCpus\\) and this machine has ${os.availableParallelism()}`));
  await controller.shutdown();
});

t.test('replicaContext() is undefined outside a replica, and inside one without a GPU has no gpu', async t => {
  t.equal(replicaContext(), undefined);
  const runtime = new Runtime();
  t.teardown(() => runtime.shutdown());
  const controller = new ServeController(runtime);
  const h = await controller.run(Plain.bind(), { name: 'plain' });
  const ctx: any = await h.context();
  t.match(ctx, { deployment: 'plain/Plain', replica: 'plain/Plain#0', numCpus: 1 });
  await controller.shutdown();
});

t.test('placement arithmetic: whole GPUs, release, and the free count in errors', async t => {
  const p = new Placement({ cpus: 2, gpus: [0, 1] });
  const a = p.reserve('app/A', 1, 0.25);
  const b = p.reserve('app/B', 1, 1);
  t.same(a.gpu, { devices: [0], fraction: 0.25 });
  t.same(b.gpu, { devices: [1], fraction: 1 }, 'a whole GPU goes to a free device');
  t.throws(() => p.reserve('app/C', 0, 1), /only 0\.75 of 2 GPUs are free/);
  p.release(a);
  t.same(p.reserve('app/C', 0, 1).gpu, { devices: [0], fraction: 1 });
  t.equal(p.cpuWarning(), undefined, '1 CPU asked of 2 (A gave its CPU back)');
  p.reserve('app/D', 2, 0);
  t.match(p.cpuWarning(), /ask for 3 CPUs/);
});

t.test('placement of 0.25, 0.5 and 1 shares carries each replica\'s slot; over the free share or larger than the device is refused', async t => {
  const MB = 2 ** 20;
  const p = new Placement({ cpus: 8, gpus: [0, 1], deviceBytes: d => (d === 0 ? 64 * MB : 32 * MB) });
  const quarter = p.reserve('app/Q', 0, 0.25);
  const half = p.reserve('app/H', 0, 0.5);
  const whole = p.reserve('app/W', 0, 1);
  t.same(quarter.gpu, { devices: [0], fraction: 0.25, slot: { device: 0, bytes: 16 * MB } });
  t.same(half.gpu, { devices: [0], fraction: 0.5, slot: { device: 0, bytes: 32 * MB } }, 'first fit: the same GPU');
  t.same(whole.gpu, { devices: [1], fraction: 1, slot: { device: 1, bytes: 32 * MB } }, 'a whole GPU: its whole pool');
  t.throws(() => p.reserve('app/X', 0, 0.5), /deployment app\/X: a replica needs actorOptions\.numGpus 0\.5 but only 0\.25 of 2 GPUs are free/);
  const bytes = p.reserve('app/B', 0, 0, { gpuMemoryBytes: 16 * MB });
  t.same(bytes.gpu, { devices: [0], fraction: 0.25, slot: { device: 0, bytes: 16 * MB } }, 'a quota alone books its share of the device');
  t.throws(() => p.reserve('app/Big', 0, 0, { gpuMemoryBytes: 65 * MB }), /gpuMemoryBytes 68157440 .*no device's slot pool is that large: lower actorOptions\.gpuMemoryBytes to at most 67108864/);
  for (const g of [quarter, half, whole, bytes]) p.release(g);
  t.same(p.usage().gpus, { used: 0, total: 2 }, 'every share is back');
});
