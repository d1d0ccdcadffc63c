// One variant's server: serve (HTTP proxy on a free port) with the Busy deployment, deployed with the options the
// scenario sends; reports serve.status() every sampleEveryMs and the first reply of each replica over IPC, and
// redeploys (a rolling update) when told. Started by scenario.ts with child_process.fork, one process per variant,
// so no thread or replica of one variant outlives it into the next.
import { serve, type AccessLogEntry, type DeploymentOptions, type HttpLogger } from 'troupe';
import { Busy } from './busy-app.ts';
import { APP_NAME, now, type ControlMessage, type DeploymentSnapshot, type ServerConfig, type ServerMessage } from './protocol.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as ServerConfig;
const send = (m: ServerMessage) => process.send?.(m);

// Counts replies by replica instead of writing a JSON line each: the access log's own cost is measured in
// bench/http-noop; here the proxy's thread should spend its time proxying.
const served = new Map<string, number>();
let serverErrors = 0;
const logger: HttpLogger = {
  access(e: AccessLogEntry) {
    // A request the proxy answered itself (503 when the router's queue is full) names no replica.
    if (e.status >= 400 || e.replica === undefined) {
      serverErrors++;
      return;
    }
    const n = served.get(e.replica);
    if (n === undefined) send({ type: 'first-served', replica: e.replica, at: now() });
    served.set(e.replica, (n ?? 0) + 1);
  },
  error(message, fields) {
    process.stderr.write(JSON.stringify({ level: 'error', msg: message, ...fields }) + '\n');
  },
};

function errorFields(err: unknown): { code?: string; message: string } {
  const e = err as { code?: unknown; message?: unknown };
  return { code: typeof e?.code === 'string' ? e.code : undefined, message: typeof e?.message === 'string' ? e.message : String(err) };
}

const app = (version: string) => Busy.bind(config.iterations, version).options(config.options as DeploymentOptions);

try {
  await serve.start({ http: { host: '127.0.0.1', port: 0, logger } });
} catch (err) {
  send({ type: 'failed', stage: 'start', ...errorFields(err) });
  process.exit(1);
}
try {
  await serve.run(app('v1'), { name: APP_NAME });
} catch (err) {
  send({ type: 'failed', stage: 'run', ...errorFields(err) });
  await serve.shutdown({ timeoutMs: 1000 }).catch(() => {});
  process.exit(1);
}

function snapshot(): DeploymentSnapshot | null {
  const deployments = serve.status().applications[APP_NAME]?.deployments ?? {};
  const d = Object.values(deployments)[0];
  return d ? (JSON.parse(JSON.stringify(d)) as DeploymentSnapshot) : null;
}

let cpu = process.cpuUsage();
const sampler = setInterval(() => {
  const delta = process.cpuUsage(cpu);
  cpu = process.cpuUsage();
  send({
    type: 'sample',
    at: now(),
    cpuMs: (delta.user + delta.system) / 1000,
    deployment: snapshot(),
    served: Object.fromEntries(served),
    serverErrors,
  });
}, config.sampleEveryMs);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  clearInterval(sampler);
  await serve.shutdown({ timeoutMs: 2000 }).catch(() => {});
  process.exit(0);
};

process.on('message', (m: ControlMessage) => {
  if (m.type === 'stop') void stop();
  else if (m.type === 'redeploy') {
    const startedAt = now();
    serve.run(app(m.version), { name: APP_NAME }).then(
      () => send({ type: 'redeployed', version: m.version, startedAt, at: now() }),
      (err) => send({ type: 'redeployed', version: m.version, startedAt, at: now(), error: errorFields(err).message }),
    );
  }
});
process.on('disconnect', () => void stop());
process.once('SIGTERM', () => void stop());
send({ type: 'ready', port: serve.address!.port, at: now() });
