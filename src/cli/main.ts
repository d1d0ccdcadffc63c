// `troupe run <module>:<export>` serves an application; `troupe bench ...` runs a bench scenario.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { serve, Application } from '../index.ts';

const usage = `usage:
  troupe run <module>:<export> [--host 127.0.0.1] [--port 8000] [--name default] [--route-prefix /]
  troupe bench <scenario> [flags]     (same as npm run bench -- <scenario>)`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return run(rest);
    case 'bench': {
      process.argv = [process.argv[0], 'bench/run.ts', ...rest];
      await import(pathToFileURL(path.resolve('bench/run.ts')).href);
      return 0;
    }
    case undefined:
    case '-h':
    case '--help':
      console.log(usage);
      return command === undefined ? 1 : 0;
    default:
      console.error(`unknown command "${command}"\n${usage}`);
      return 1;
  }
}

function flags(args: string[]): { positional: string[]; values: Record<string, string> } {
  const positional: string[] = [];
  const values: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg.startsWith('--')) {
      const [key, inline] = arg.slice(2).split('=', 2);
      values[key] = inline ?? args[++i] ?? '';
    } else positional.push(arg);
  }
  return { positional, values };
}

async function run(args: string[]): Promise<number> {
  const { positional, values } = flags(args);
  const target = positional[0];
  const match = target && /^(.+?)(?::([A-Za-z_$][\w$]*))?$/.exec(target);
  if (!match) {
    console.error(`troupe run needs <module>:<export>, e.g. troupe run app.ts:app\n${usage}`);
    return 1;
  }
  const [, modulePath, exportName = 'app'] = match;
  const port = Number(values.port ?? process.env.PORT ?? 8000);
  const host = values.host ?? process.env.HOST ?? '127.0.0.1';
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be an integer from 0 to 65535, got ${values.port}`);
    return 1;
  }
  let mod: Record<string, unknown>;
  try {
    mod = await import(pathToFileURL(path.resolve(modulePath)).href);
  } catch (err) {
    console.error(`cannot import ${modulePath}: ${(err as Error).message}`);
    return 1;
  }
  const app = mod[exportName];
  if (!(app instanceof Application)) {
    console.error(`${modulePath} has no export "${exportName}" that is an application (Cls.bind(...)); it exports: ${Object.keys(mod).join(', ')}`);
    return 1;
  }
  const started = Date.now();
  const progress = setInterval(() => printProgress(started), 1000);
  try {
    await serve.start({ http: { host, port } });
    await serve.run(app, { name: values.name ?? 'default', routePrefix: values['route-prefix'] ?? '/' });
  } catch (err) {
    clearInterval(progress);
    console.error(`\ntroupe: could not start the application: ${(err as Error).message}`);
    await serve.shutdown();
    return 1;
  }
  clearInterval(progress);
  const address = serve.address!;
  const url = `http://${address.host}:${address.port}`;
  // "listening <url>" is the line scripts wait for (bench/lib/server-process.ts, test/cli/run.test.ts).
  console.error(`\ntroupe: ${modulePath}:${exportName} listening ${url} (docs at ${url}/docs), ready after ${((Date.now() - started) / 1000).toFixed(1)} s. Ctrl-C stops.`);
  return new Promise<number>(resolve => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) {
        console.error('troupe: forced exit');
        process.exit(130);
      }
      stopping = true;
      console.error(`troupe: ${signal}: finishing requests in flight, then stopping (Ctrl-C again to force)`);
      await serve.shutdown({ timeoutMs: 10_000 });
      console.error('troupe: stopped');
      resolve(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  });
}

function printProgress(started: number): void {
  const status = serve.status();
  const parts: string[] = [];
  for (const app of Object.values(status.applications)) {
    for (const [name, d] of Object.entries(app.deployments)) {
      const running = d.replicas.filter(r => r.state === 'RUNNING').length;
      parts.push(`${name} ${running}/${d.targetReplicas}`);
    }
  }
  const line = `troupe: starting replicas (${((Date.now() - started) / 1000).toFixed(0)} s) ${parts.join('  ')}`;
  if (process.stderr.isTTY) process.stderr.write(`\r${line}\x1b[K`);
  else console.error(line);
}
