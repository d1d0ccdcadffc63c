// `troupe run <module:export | config.yaml>`: the HTTP proxy, the applications and the admin API in this process,
// in the foreground, until Ctrl-C, SIGTERM or POST /api/shutdown.
import path from 'node:path';
import { AdminServer, DEFAULT_ADMIN_HOST, DEFAULT_ADMIN_PORT, Deployer, AdminListenError, serve } from '../admin/index.ts';
import { ConfigError, ImportPathError, loadConfigFile, parseImportPath, type AdminConfig, type LoadedConfig } from '../config/index.ts';
import { EXIT, parse, portValue, secondsValue, UsageError } from './args.ts';
import { commands } from './help.ts';
import { httpLogger } from './logging.ts';
import { watchReplicas } from './progress.ts';

const CONFIG_FILE = /\.(ya?ml|json)$/i;

interface RunFlags {
  host?: string;
  port?: string;
  name?: string;
  'route-prefix'?: string;
  'admin-host'?: string;
  'admin-port'?: string;
  'no-admin'?: boolean;
  reload?: boolean;
  'graceful-timeout'?: string;
  verbose?: boolean;
  help?: boolean;
}

/** How long a stop may take by default: requests in flight finish within it, then the process exits. */
const DEFAULT_GRACEFUL_TIMEOUT_S = 10;

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse<RunFlags>('run', argv, {
    host: { type: 'string' },
    port: { type: 'string' },
    name: { type: 'string' },
    'route-prefix': { type: 'string' },
    'admin-host': { type: 'string' },
    'admin-port': { type: 'string' },
    'no-admin': { type: 'boolean' },
    reload: { type: 'boolean' },
    'graceful-timeout': { type: 'string' },
    verbose: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(commands.run!.usage);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new UsageError('run', 'troupe run needs <module:export> or a config file, e.g. troupe run app.ts:app or troupe run config.yaml');
  if (positionals.length > 1) throw new UsageError('run', `troupe run takes one target, got ${positionals.length}: ${positionals.join(' ')}`);
  const target = positionals[0]!;
  const isConfig = CONFIG_FILE.test(target);
  if (isConfig && (values.name !== undefined || values['route-prefix'] !== undefined)) {
    throw new UsageError('run', '--name and --route-prefix apply to a module:export; a config file names its applications and their routePrefix');
  }
  if (values.name !== undefined && !/^[A-Za-z0-9_.-]+$/.test(values.name)) throw new UsageError('run', `--name must be letters, digits, _ . -, got "${values.name}"`);
  if (values['route-prefix'] !== undefined && !values['route-prefix'].startsWith('/')) {
    throw new UsageError('run', `--route-prefix must start with "/", got "${values['route-prefix']}"`);
  }
  if (values['no-admin'] && (values['admin-port'] !== undefined || values['admin-host'] !== undefined)) {
    throw new UsageError('run', '--no-admin turns the admin API off: drop --admin-host/--admin-port, or --no-admin');
  }
  const flagPort = portValue('run', '--port', values.port);
  const flagAdminPort = portValue('run', '--admin-port', values['admin-port']);
  const graceMs = (secondsValue('run', '--graceful-timeout', values['graceful-timeout']) ?? DEFAULT_GRACEFUL_TIMEOUT_S) * 1000;
  const verbose = values.verbose === true;
  const started = Date.now();
  if (values.reload) {
    if (!isConfig) commandLineConfig(target, 'default', '/'); // a malformed import path is a usage error here too
    const { reloadCommand } = await import('./reload.ts');
    return reloadCommand({ target, isConfig, childArgv: argv.filter(a => a !== '--reload') });
  }

  const life = lifecycle();
  try {
    return await serveTarget({ target, isConfig, flags: values, flagPort, flagAdminPort, verbose, started, graceMs }, life);
  } finally {
    life.dispose();
  }
}

interface Target {
  target: string;
  isConfig: boolean;
  flags: RunFlags;
  flagPort: number | undefined;
  flagAdminPort: number | undefined;
  verbose: boolean;
  started: number;
  /** --graceful-timeout: from the stop request to the process's exit. */
  graceMs: number;
}

type Lifecycle = ReturnType<typeof lifecycle>;

async function serveTarget({ target, isConfig, flags, flagPort, flagAdminPort, verbose, started, graceMs }: Target, life: Lifecycle): Promise<number> {
  // Everything that can be checked is checked before a port is taken or a replica starts.
  let loaded: LoadedConfig;
  let baseDir: string | undefined;
  try {
    if (isConfig) {
      loaded = await loadConfigFile(target);
      baseDir = path.dirname(path.resolve(target));
    } else {
      loaded = commandLineConfig(target, flags.name ?? 'default', flags['route-prefix'] ?? '/');
    }
  } catch (err) {
    return report(err, verbose);
  }
  const { config } = loaded;
  const http = config.http ?? {};
  let envPort: number | undefined;
  try {
    envPort = portValue('run', '$PORT', process.env.PORT || undefined);
  } catch (err) {
    return report(err, verbose);
  }
  const host = flags.host ?? http.host ?? process.env.HOST ?? '127.0.0.1';
  const port = flagPort ?? http.port ?? envPort ?? 8000;
  const adminConfig: AdminConfig | false = flags['no-admin'] || config.admin === false ? false : typeof config.admin === 'object' ? config.admin : {};
  const deployer = new Deployer(serve);
  let built;
  try {
    built = await deployer.prepare(loaded, { baseDir });
  } catch (err) {
    return report(err, verbose, !isConfig);
  }
  // A Ctrl-C while the application was imported and built: nothing was started.
  const early = life.requested();
  if (early) {
    console.error(`troupe: ${early}: stopped before serving`);
    return EXIT.ok;
  }
  let admin: AdminServer | undefined;
  const adminPortGiven = flagAdminPort !== undefined || (adminConfig !== false && adminConfig.port !== undefined);
  try {
    if (adminConfig !== false) {
      admin = new AdminServer({
        host: flags['admin-host'] ?? adminConfig.host ?? DEFAULT_ADMIN_HOST,
        port: flagAdminPort ?? adminConfig.port ?? DEFAULT_ADMIN_PORT,
        token: adminConfig.token ?? (process.env.TROUPE_ADMIN_TOKEN || undefined),
        deployer,
        onShutdown: () => life.stop('shutdown requested through the admin API'),
        fixed: { http: config.http, admin: config.admin, logging: config.logging },
      });
    }
  } catch (err) {
    return report(err, verbose);
  }

  const watcher = { stop() {}, poll() {} };
  // The admin API closes last: `troupe shutdown` waits for it, so its return means the server has stopped.
  // Resolves with the requests cancelled at the deadline, or 'late' when stopping the replicas passed it.
  const shutdown = async (beforeReady = false): Promise<number | 'late'> => {
    watcher.stop();
    admin?.stopping();
    // Before the application serves, no call is in flight: replicas still in their constructor or init() (a model
    // that takes a minute to load) are ended at once instead of awaited.
    if (beforeReady) void serve.runtime?.shutdown();
    // Requests drain for most of the deadline; the rest is for the replicas and the runtime to stop.
    const drainMs = Math.max(100, graceMs - Math.min(2000, graceMs / 4));
    const stopping = serve.shutdown({ timeoutMs: drainMs }).then(async ({ dropped }) => {
      await admin?.close();
      return dropped;
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>(resolve => (timer = setTimeout(() => resolve('late'), graceMs)));
    try {
      return await Promise.race([stopping, late]);
    } finally {
      clearTimeout(timer);
    }
  };
  try {
    await serve.start({ http: { host, port, requestTimeoutMs: http.requestTimeoutMs, maxBodyBytes: http.maxBodyBytes, logger: httpLogger(config.logging) } });
  } catch (err) {
    await shutdown();
    return report(err, verbose, false, 'could not start');
  }
  if (admin) {
    try {
      const a = await admin.listen();
      const url = `http://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
      const hint = a.port === DEFAULT_ADMIN_PORT && a.host === DEFAULT_ADMIN_HOST ? 'troupe status, troupe deploy <config>, troupe shutdown' : `troupe status --address ${url}`;
      console.error(`troupe: admin API on ${url} (${hint})`);
    } catch (err) {
      if (!(err instanceof AdminListenError) || adminPortGiven || err.details.errno !== 'EADDRINUSE') {
        await shutdown(true);
        return report(err, verbose);
      }
      admin = undefined;
      console.error(`troupe: admin API off: ${DEFAULT_ADMIN_HOST}:${DEFAULT_ADMIN_PORT} is in use (another troupe server?), so troupe deploy/status/shutdown will not reach this one; --admin-port picks another port`);
    }
  }
  Object.assign(watcher, watchReplicas(() => serve.status().applications, line => console.error(line)));
  const deploying = deployer.apply(built);
  const first = await Promise.race([deploying.then(() => 'ready' as const, err => err as Error), life.stopped.then(() => 'stopping' as const)]);
  if (first instanceof Error) {
    console.error(`troupe: could not start the application: ${first.message}`);
    if (verbose && first.stack) console.error(first.stack);
    await shutdown(true);
    return EXIT.failure;
  }
  if (first === 'ready') {
    watcher.poll();
    const address = serve.address!;
    const url = `http://${address.host}:${address.port}`;
    const apps = built.map(b => b.routePrefix);
    const docs = apps.length === 1 ? `docs at ${url}${apps[0] === '/' ? '' : apps[0]}/docs` : `applications at ${apps.join(', ')}`;
    // "listening <url>" is the line scripts wait for (bench/lib/server-process.ts, test/cli/*.test.ts).
    console.error(`troupe: ${target} listening ${url} (${docs}), ready after ${((Date.now() - started) / 1000).toFixed(1)} s. Ctrl-C stops.`);
  }
  const why = await life.stopped;
  console.error(`troupe: ${why}: finishing requests in flight (up to ${graceMs / 1000} s, --graceful-timeout), then stopping${why.startsWith('SIG') ? ' (Ctrl-C again to force)' : ''}`);
  const outcome = await shutdown(first !== 'ready');
  if (outcome === 'late') {
    // Threads still stopping would keep the process past its deadline.
    console.error(`troupe: stopping passed the ${graceMs / 1000} s deadline; exiting with replicas still stopping (exit code ${EXIT.dropped})`);
    process.exit(EXIT.dropped);
  }
  await deploying.catch(() => {});
  if (outcome > 0) {
    console.error(`troupe: stopped; ${outcome} request(s) still in flight at the ${graceMs / 1000} s deadline were cancelled (503); raise --graceful-timeout to let them finish (exit code ${EXIT.dropped})`);
    return EXIT.dropped;
  }
  console.error('troupe: stopped');
  return EXIT.ok;
}

/** An import path given on the command line, as a one-application config. */
function commandLineConfig(target: string, name: string, routePrefix: string): LoadedConfig {
  let importPath: string;
  try {
    const { module, exportName } = parseImportPath(target, 'app');
    importPath = `${module}:${exportName}`;
  } catch (err) {
    if (err instanceof ImportPathError) throw new UsageError('run', err.message);
    throw err;
  }
  return {
    config: { applications: [{ name, routePrefix, importPath }] },
    file: target,
    issue: (_path, message, options) => ({ file: target, path: '', message, ...(options?.code ? { code: options.code } : {}) }),
  };
}

/** Signals and the admin API's shutdown, as one promise of why the server stops. */
function lifecycle(): { stopped: Promise<string>; stop(why: string): void; requested(): string | undefined; dispose(): void } {
  let resolve!: (why: string) => void;
  const stopped = new Promise<string>(r => (resolve = r));
  let stopping: string | undefined;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = why;
    resolve(why);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.error('troupe: forced exit');
      process.exit(130);
    }
    stop(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    stopped,
    stop,
    requested: () => stopping,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Prints an error as the CLI does and returns the exit code for it. */
export function report(err: unknown, verbose: boolean, plainIssues = false, prefix?: string): number {
  if (err instanceof UsageError) throw err;
  if (plainIssues && err instanceof ConfigError) {
    for (const issue of err.issues) console.error(`troupe: ${issue.message}`);
  } else {
    const message = (err as Error)?.message ?? String(err);
    console.error(`troupe: ${prefix ? `${prefix}: ` : ''}${message}`);
  }
  if (verbose && err instanceof Error && err.stack) console.error(err.stack);
  return EXIT.failure;
}
