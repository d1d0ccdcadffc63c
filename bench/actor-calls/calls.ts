// No-op actor calls against a raw postMessage echo worker: latency one call at a time, throughput at
// 1, 16 and 256 calls in flight, and a burst of 20,000 calls issued at once.
//   node --import tsx bench/actor-calls/calls.ts [--duration=SECONDS] [--repeat=N] [--quick] [--json]
import { runSuite } from './suite.ts';

const flag = (name: string) => process.argv.find(a => a.startsWith(`--${name}=`))?.split('=')[1];
const quick = process.argv.includes('--quick');
const rounds = await runSuite({
  durationMs: Number(flag('duration') ?? (quick ? 0.5 : 2)) * 1000,
  inFlight: (flag('in-flight') ?? '1,16,256').split(',').map(Number),
  burst: Number(flag('burst') ?? 20_000),
  repeat: Number(flag('repeat') ?? (quick ? 1 : 3)),
  log: line => console.log(line),
});
if (process.argv.includes('--json')) console.log(JSON.stringify(rounds));
