// Runs no-op handle calls for a while, for a CPU profile of the caller's side (handle, router, link):
//   node --cpu-prof --cpu-prof-dir=bench/out/handle-calls --import tsx bench/handle-calls/profile.ts [--in-flight=256] [--replicas=1] [--duration=4] [--actor]
// --actor: the raw actor call instead, to compare the two profiles.
import { Runtime } from '../../src/index.ts';
import { ServeController } from '../../src/serve/index.ts';
import { throughput } from '../actor-calls/measure.ts';
import { Noop } from '../actor-calls/noop-actor.ts';
import { awaitable } from './suite.ts';
import { NoopDeployment } from './noop-deployment.ts';

const flag = (name: string, otherwise: number) => Number(process.argv.find(a => a.startsWith(`--${name}=`))?.split('=')[1] ?? otherwise);
const runtime = new Runtime();
const controller = new ServeController(runtime);
try {
  const app = NoopDeployment.bind().options({ numReplicas: flag('replicas', 1), maxOngoingRequests: 1000, maxQueuedRequests: 1000 });
  const handle = await controller.run(app, { name: 'profiled' });
  const actor = await runtime.spawn(Noop, []);
  const call = process.argv.includes('--actor') ? () => actor.noop() : awaitable(() => handle.noop());
  await throughput(call, 16, 500);
  const r = await throughput(call, flag('in-flight', 256), flag('duration', 4) * 1000);
  console.log(`${r.inFlight} in flight: ${r.callsPerSecond} calls/s, p50 ${r.p50} µs`);
} finally {
  await controller.shutdown();
  await runtime.shutdown();
}
