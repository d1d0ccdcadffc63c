// troupe: serve.run + the HTTP proxy in front of the no-op deployment, in its own process like the baselines.
// Usage: node --import tsx bench/http-noop/troupe-server.ts REPLICAS [--no-access-log] [--defaults | --max-ongoing-5]
// --defaults serves NoopDefaults (no deployment options) instead of Noop (maxOngoingRequests 1000);
// --max-ongoing-5 serves it with maxOngoingRequests 5, the default before classes taking HTTP got 100.
// Prints `listening http://127.0.0.1:PORT` once every replica is ready; SIGTERM or SIGINT shuts serve down.
import { serve } from '../../src/index.ts';
import { silentLogger } from '../../src/http/index.ts';
import { Noop, NoopDefaults } from './noop-app.ts';

const replicas = Number(process.argv[2] ?? 1);
// The access log is part of the per-request path: on by default (stdout is drained by the harness).
const quiet = process.argv.includes('--no-access-log');
await serve.start({ http: { host: '127.0.0.1', port: 0, ...(quiet ? { logger: silentLogger } : {}) } });
const app = process.argv.includes('--defaults')
  ? NoopDefaults.bind()
  : process.argv.includes('--max-ongoing-5')
  ? NoopDefaults.bind().options({ maxOngoingRequests: 5 })
  : Noop.bind().options({ numReplicas: replicas });
await serve.run(app, { name: 'noop' });
console.log(`listening http://127.0.0.1:${serve.address!.port}`);
const stop = () => {
  void serve.shutdown({ timeoutMs: 1000 }).then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
