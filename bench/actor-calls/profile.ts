// CPU profiles of both sides of a no-op actor call, written to bench/out/actor-calls/:
// main.cpuprofile (the caller) and actor.cpuprofile (the actor's thread). Open them in Chrome DevTools.
//   node --import tsx bench/actor-calls/profile.ts [--in-flight=256|burst] [--duration=SECONDS]
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { Runtime } from '../../src/index.ts';
import { burst, throughput } from './measure.ts';
import { ProfiledNoop } from './profiled-actor.ts';

const flag = (name: string) => process.argv.find(a => a.startsWith(`--${name}=`))?.split('=')[1];
const mode = flag('in-flight') ?? '256';
const ms = Number(flag('duration') ?? 3) * 1000;
const outDir = new URL('../out/actor-calls/', import.meta.url);
mkdirSync(outDir, { recursive: true });

const runtime = new Runtime();
try {
  const actor = await runtime.spawn(ProfiledNoop, []);
  const call = () => actor.noop();
  await throughput(call, 16, 500);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await actor.startProfile();
  await session.post('Profiler.start');
  if (mode === 'burst') {
    const end = performance.now() + ms;
    while (performance.now() < end) console.log(`burst of 20000: ${(await burst(call, 20_000, 1)).callsPerSecond} calls/s`);
  } else {
    const r = await throughput(call, Number(mode), ms);
    console.log(`${mode} in flight: ${r.callsPerSecond} calls/s`);
  }
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  writeFileSync(new URL('main.cpuprofile', outDir), JSON.stringify(profile));
  writeFileSync(new URL('actor.cpuprofile', outDir), await actor.stopProfile());
  console.log(`wrote ${new URL('main.cpuprofile', outDir).pathname} and actor.cpuprofile`);
} finally {
  await runtime.shutdown();
}
