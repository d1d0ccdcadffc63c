// What the autoscaler sees of a replica's load: serve.status()'s autoscaling.ongoingRequests (its input) against
// the requests actually in flight (Little's law: replies/s x mean latency), for a closed loop of 1 and 4 clients
// through the proxy to one replica whose requests do ~4 ms of work synchronously, after an await, or as a timer.
//   node --import tsx bench/autoscale/ongoing-check.ts
// bench/autoscale/NOTES.md has what it printed and why it matters for the autoscale scenario.
import { runClosedLoop } from '../../src/cli/bench/index.ts';
import { silentLogger } from '../../src/http/index.ts';
import { serve, type Application, type DeploymentOptions } from '../../src/index.ts';
import { AwaitThenWork, Sleep, SyncWork } from './ongoing-apps.ts';
import { DEFAULT_ITERATIONS } from './work.ts';

const iterations = DEFAULT_ITERATIONS;
// maxReplicas 1: the count stays put, only the reading is of interest.
const options: DeploymentOptions = { autoscalingConfig: { minReplicas: 1, maxReplicas: 1, metricsIntervalMs: 100, lookBackPeriodMs: 1000 } };
await serve.start({ http: { host: '127.0.0.1', port: 0, logger: silentLogger } });
const url = `http://127.0.0.1:${serve.address!.port}/`;
const apps: Array<[string, Application<unknown>]> = [
  ['synchronous work', SyncWork.bind(iterations)],
  ['await, then work', AwaitThenWork.bind(iterations)],
  ['await a 4 ms timer', Sleep.bind()],
];
for (const [name, app] of apps) {
  await serve.run(app.options(options), { name: 'check' });
  for (const clients of [1, 4]) {
    const readings: number[] = [];
    const timer = setInterval(() => {
      const d = Object.values(serve.status().applications.check?.deployments ?? {})[0] as { autoscaling?: { ongoingRequests?: number } } | undefined;
      if (typeof d?.autoscaling?.ongoingRequests === 'number') readings.push(d.autoscaling.ongoingRequests);
    }, 200);
    const r = await runClosedLoop({ target: { url }, concurrency: clients, durationMs: 3000, warmupMs: 500, progress: false });
    clearInterval(timer);
    const seen = readings.slice(3); // past the warm-up and the first look-back
    const mean = seen.reduce((a, b) => a + b, 0) / Math.max(1, seen.length);
    console.log(
      `${name.padEnd(20)} ${clients} client(s): ${Math.round(r.throughput)} req/s, mean ${r.latencyMs.mean.toFixed(1)} ms; ` +
        `in flight (Little) ${((r.throughput * r.latencyMs.mean) / 1000).toFixed(2)}, autoscaling.ongoingRequests ${mean.toFixed(2)}`,
    );
  }
  await serve.delete('check');
}
await serve.shutdown();
process.exit(0);
