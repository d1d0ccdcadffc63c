// What recording metrics adds per request, in isolation: the proxy's record (recordHttpRequest, main thread) and
// the replica's (recordReplicaCall, its thread), beside performance.now() as a yardstick of the machine's speed.
// Usage: node --import tsx bench/http-noop/metrics-cost.ts [--calls=2000000]
import { recordHttpRequest, recordReplicaCall } from '../../src/observability/index.ts';

const arg = process.argv.find(a => a.startsWith('--calls='));
const N = arg ? Number(arg.slice('--calls='.length)) : 2_000_000;
const routes = ['/a', '/b/:id', '/c'];
const ns = (start: number) => ((performance.now() - start) / N) * 1e6;
let sink = 0;
for (let round = 1; round <= 3; round++) {
  let t = performance.now();
  // uWS hands the proxy a new method string per request: made here the same way.
  for (let i = 0; i < N; i++) recordHttpRequest('app', routes[i % 3], 'get'.toUpperCase(), 200, 0.0012);
  const http = ns(t);
  t = performance.now();
  for (let i = 0; i < N; i++) recordReplicaCall('run', 'ok', t);
  const call = ns(t);
  t = performance.now();
  for (let i = 0; i < N; i++) sink += performance.now();
  const now = ns(t);
  console.log(`round ${round}: recordHttpRequest ${http.toFixed(0)} ns, recordReplicaCall ${call.toFixed(0)} ns, performance.now() ${now.toFixed(0)} ns`);
}
if (sink === 0) console.log('');
