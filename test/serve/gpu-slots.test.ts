// A slot per GPU replica, on host slots (no GPU here): the controller books each replica's share, the replica's
// thread holds its slot from start to end, and every slot goes back to the pool on death, restart, scale-down and
// delete. A quota error stays in the replica that hit it.
import t from 'tap';
import { InsufficientResourcesError, Runtime, SlotQuotaError } from '../../src/index.ts';
import { closePool, poolStats, reservePool } from '../../src/native/index.ts';
import { metricsHub } from '../../src/observability/index.ts';
import { ServeController, type ServeController as Controller } from '../../src/serve/index.ts';
import { SlotUser } from '../fixtures/serve/gpu-replicas.ts';

const MB = 2 ** 20;
const POOL = 64 * MB;
const hostPool = () => poolStats().find(p => p.device === 'host') ?? { slots: 0, used: 0, bytes: 0 };

t.before(() => {
  closePool('host');
  reservePool('host', { bytes: POOL });
});
t.teardown(() => closePool('host'));

/** Polls until `check` holds; the cap only ends a hung test (no assertion on how long it took). */
async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (check()) return;
    await new Promise(r => setTimeout(r, 10));
  }
  throw new Error(`never: ${what}`);
}

const replicasOf = (c: Controller, app: string) => c.status().applications[app]?.deployments.SlotUser?.replicas ?? [];
const running = (c: Controller, app: string) => replicasOf(c, app).filter(r => r.state === 'RUNNING');

async function infos(h: any, n: number): Promise<Map<string, any>> {
  const seen = new Map<string, any>();
  for (let i = 0; i < 200 && seen.size < n; i++) {
    const info = await h.info();
    seen.set(info.replica, info);
  }
  return seen;
}

function setup(t: any, hostSlots = true): { runtime: Runtime; controller: ServeController } {
  const runtime = new Runtime();
  const controller = new ServeController(runtime, { hostSlots });
  t.teardown(async () => {
    await controller.shutdown();
    await runtime.shutdown();
  });
  return { runtime, controller };
}

t.test('each replica holds a quarter slot from its start; status shows it; a quota error stays in its replica', async t => {
  const { controller } = setup(t);
  const h: any = await controller.run(SlotUser.bind(), { name: 'slots' });
  const seen = await infos(h, 2);
  t.equal(seen.size, 2, 'two replicas answer');
  for (const info of seen.values()) {
    t.match(info, { device: 'host', bytes: POOL / 4, slotBytes: POOL / 4, atStart: POOL / 4, fraction: 0.25 }, `${info.replica} holds a quarter of the pool`);
  }
  t.match(hostPool(), { slots: 2, used: POOL / 2 }, 'two slots are out of the pool');
  const replicas = replicasOf(controller, 'slots');
  t.same(replicas.map(r => r.gpu), [{ device: 'host', bytes: POOL / 4 }, { device: 'host', bytes: POOL / 4 }], 'status() shows each replica\'s slot');
  t.same(controller.status().resources?.gpus, { used: 0.5, total: 1 }, 'the host counts as one device');
  const text = await metricsHub.render();
  for (const r of replicas) t.ok(text.includes(`troupe_gpu_slot_bytes{application="slots",deployment="SlotUser",replica="${r.name}"} ${POOL / 4}`), `/metrics shows ${r.name}'s slot`);

  // One byte past a replica's quota: SlotQuotaError, in that call only.
  const err = await h.overflow().catch((e: unknown) => e);
  t.ok(err instanceof SlotQuotaError, `got ${err}`);
  t.equal(err.code, 'TROUPE_ERR_SLOT_QUOTA');
  t.equal(err.limit, POOL / 4, 'the limit is the replica\'s quota');
  // Every replica keeps serving, the full one included, and both still hold their slots.
  t.equal((await infos(h, 2)).size, 2, 'both replicas still answer');
  t.equal(await h.alloc(MB), MB, 'and allocate within their quotas');
  t.equal(running(controller, 'slots').length, 2);
  t.match(hostPool(), { slots: 2 });
});

t.test('slot life follows the replica: death, restart, scale-down and delete give every slot back', async t => {
  const { controller } = setup(t);
  const h: any = await controller.run(SlotUser.bind(), { name: 'life' });
  await until('two slots out', () => hostPool().slots === 2);
  const before = new Set(running(controller, 'life').map(r => r.name));

  // Death of a replica that leaked slot memory: the controller restarts it; the dead one's slot, buffers and all,
  // came back (2 out, not 3, and only the new slots' quotas in use).
  await h.leakAndCrash(4 * MB);
  await until('a replacement runs', () => {
    const now = running(controller, 'life');
    return now.length === 2 && now.some(r => !before.has(r.name));
  });
  await until('the dead replica\'s slot is back', () => hostPool().slots === 2);
  t.match(hostPool(), { slots: 2, used: POOL / 2 });
  t.equal((await infos(h, 2)).size, 2, 'the replacement answers with its own slot');

  // Restart with a new version (a half share): the old slots go as the old replicas do.
  await controller.run(SlotUser.bind().options({ actorOptions: { numCpus: 0, numGpus: 0.5 } }), { name: 'life' });
  await until('old slots are back', () => hostPool().slots === 2 && hostPool().used === POOL);
  const halves = await infos(h, 2);
  for (const info of halves.values()) t.equal(info.bytes, POOL / 2, `${info.replica} holds half`);

  // Scale-down to one replica: one slot goes back.
  await controller.run(SlotUser.bind().options({ numReplicas: 1, actorOptions: { numCpus: 0, numGpus: 0.5 } }), { name: 'life' });
  await until('one slot out', () => hostPool().slots === 1);
  t.match(hostPool(), { slots: 1, used: POOL / 2 });

  // Delete: every slot back in the pool.
  await controller.delete('life');
  await until('every slot back', () => hostPool().slots === 0);
  t.match(hostPool(), { slots: 0, used: 0 });
});

t.test('gpuMemoryBytes sets the quota; a quota larger than the pool and a share over the free one are named errors', async t => {
  const { controller, runtime } = setup(t);
  const h: any = await controller.run(SlotUser.bind().options({ numReplicas: 1, actorOptions: { numCpus: 0, numGpus: 0, gpuMemoryBytes: 8 * MB } }), { name: 'bytes' });
  t.match(await h.info(), { bytes: 8 * MB, slotBytes: 8 * MB, fraction: 1 / 8 });

  const tooLarge = await controller.run(SlotUser.bind().options({ actorOptions: { numCpus: 0, gpuMemoryBytes: POOL + 256 } }), { name: 'large' }).catch(e => e);
  t.ok(tooLarge instanceof InsufficientResourcesError, `got ${tooLarge}`);
  t.match(tooLarge.message, /deployment large\/SlotUser: a replica needs actorOptions\.gpuMemoryBytes \d+ .*no device's slot pool is that large: lower actorOptions\.gpuMemoryBytes to at most 67108864/);

  const over = await controller.run(SlotUser.bind().options({ numReplicas: 1, actorOptions: { numCpus: 0, numGpus: 1 } }), { name: 'over' }).catch(e => e);
  t.ok(over instanceof InsufficientResourcesError, `got ${over}`);
  t.match(over.message, /deployment over\/SlotUser: a replica needs actorOptions\.numGpus 1 but only 0\.875 of 1 GPUs are free/);
  t.notOk(controller.status().applications.large ?? controller.status().applications.over, 'nothing half-deployed is left');
  t.equal(runtime.actors().length, 1, 'only the first replica runs');
  t.match(hostPool(), { slots: 1, used: 8 * MB }, 'the refused deployments took no slot');
  t.match(await h.info(), { bytes: 8 * MB }, 'the running replica keeps serving');
});

t.test('without a GPU and without the opt-in, a GPU deployment is refused with how to opt in', async t => {
  const { controller, runtime } = setup(t, false);
  const err = await controller.run(SlotUser.bind(), { name: 'nogpu' }).catch(e => e);
  t.ok(err instanceof InsufficientResourcesError, `got ${err}`);
  t.match(err.message, /only 0 of 0 GPUs are free; this machine has no GPU .*set TROUPE_GPU_HOST_SLOTS=1 to run it on host memory slots/);
  t.equal(runtime.actors().length, 0);
  t.match(hostPool(), { slots: 0 });
});
