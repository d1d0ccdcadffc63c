// Diagnostic: the HTTP proxy with a target that answers in its own thread (no replica), to separate the
// proxy's own cost from the replica call's. Usage: node --import tsx bench/http-noop/proxy-only-server.ts [PORT] [--no-access-log]
import { HttpProxy, silentLogger } from '../../src/http/index.ts';
import { Noop } from './noop-app.ts';

const quiet = process.argv.includes('--no-access-log');
const proxy = new HttpProxy({ host: '127.0.0.1', port: Number(process.argv[2] ?? 0) || 0, ...(quiet ? { logger: silentLogger } : {}) });
const app = new Noop();
proxy.mount({
  name: 'noop', routePrefix: '/', deploymentName: 'Noop', ingressClass: Noop, isReady: () => true,
  target: {
    call: async (method, args, opts) => {
      opts.onReplica?.('local');
      return (app as any)[method](...args);
    },
    stream: () => { throw new Error('no streams here'); },
  },
});
const { port } = await proxy.listen();
console.log(`listening http://127.0.0.1:${port}`);
const stop = () => void proxy.close({ timeoutMs: 1000 }).then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
