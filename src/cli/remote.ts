// `troupe deploy`, `troupe status` and `troupe shutdown`: a running server's admin API, from the command line.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AdminStatus } from '../admin/index.ts';
import { loadConfigFile } from '../config/index.ts';
import { adminClient, AdminClientError, type AdminClient } from './admin-client.ts';
import { EXIT, parse, UsageError } from './args.ts';
import { commands } from './help.ts';
import { ReplicaProgress } from './progress.ts';
import { report } from './run.ts';
import { renderStatus } from './status-table.ts';

interface RemoteFlags {
  address?: string;
  verbose?: boolean;
  help?: boolean;
  watch?: boolean;
  json?: boolean;
}

const common = {
  address: { type: 'string' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

export async function deployCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse<RemoteFlags>('deploy', argv, common);
  if (values.help) return help('deploy');
  if (positionals.length !== 1) throw new UsageError('deploy', positionals.length === 0 ? 'troupe deploy needs a config file: troupe deploy config.yaml' : `troupe deploy takes one config file, got ${positionals.join(' ')}`);
  const file = positionals[0]!;
  const verbose = values.verbose === true;
  const client = adminClient(values.address);
  try {
    // Checked here first: a config with a typo never reaches the server, and the error names this file.
    await loadConfigFile(file);
    const text = await readFile(file, 'utf8');
    console.error(`troupe: deploying ${file} to ${client.address}`);
    const progress = new ReplicaProgress(line => console.error(line));
    let done = false;
    const put = client
      .call<AdminStatus & { deleted: string[]; warnings: string[] }>('PUT', '/api/applications', {
        body: text,
        headers: {
          'content-type': 'application/yaml',
          'x-troupe-config-file': encodeURIComponent(file),
          'x-troupe-config-dir': encodeURIComponent(path.dirname(path.resolve(file))),
        },
      })
      .finally(() => (done = true));
    // Replica changes while it deploys, from the status the server reports.
    const watching = (async () => {
      while (!done) {
        const status = await client.call<AdminStatus>('GET', '/api/applications').catch(() => undefined);
        if (status && !done) progress.observe(status.applications);
        await sleep(250);
      }
    })();
    const result = await put;
    await watching;
    progress.observe(result.applications);
    for (const w of result.warnings ?? []) console.error(`troupe: warning: ${w}`);
    const apps = Object.entries(result.applications).map(([name, a]) => `${name} (${a.status})`);
    const deleted = result.deleted?.length ? `; deleted ${result.deleted.join(', ')}` : '';
    console.error(`troupe: deployed ${file}: ${apps.join(', ') || 'no applications'}${deleted}`);
    return EXIT.ok;
  } catch (err) {
    return report(err, verbose);
  }
}

export async function statusCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse<RemoteFlags>('status', argv, { ...common, watch: { type: 'boolean', short: 'w' }, json: { type: 'boolean' } });
  if (values.help) return help('status');
  if (positionals.length > 0) throw new UsageError('status', `troupe status takes no arguments, got ${positionals.join(' ')}`);
  const client = adminClient(values.address);
  const show = (status: AdminStatus) => (values.json ? JSON.stringify(status, null, values.watch ? undefined : 2) : renderStatus(status, client.address));
  try {
    if (!values.watch) {
      console.log(show(await client.call<AdminStatus>('GET', '/api/applications')));
      return EXIT.ok;
    }
    return await watch(client, show, values.json === true);
  } catch (err) {
    return report(err, values.verbose === true);
  }
}

/** Shows the status every second until Ctrl-C (exit 0) or until the server goes away (exit 1). */
async function watch(client: AdminClient, show: (s: AdminStatus) => string, json: boolean): Promise<number> {
  let stop = false;
  const onSignal = () => (stop = true);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const tty = process.stdout.isTTY && !json;
  let last = '';
  try {
    while (!stop) {
      let status: AdminStatus;
      try {
        status = await client.call<AdminStatus>('GET', '/api/applications');
      } catch (err) {
        if (stop) break;
        throw err;
      }
      const text = show(status);
      if (tty) process.stdout.write(`\x1b[H\x1b[2J${text}\n\n(updated ${new Date().toLocaleTimeString()}; Ctrl-C stops)\n`);
      else if (text !== last) console.log(json ? text : `${text}\n`);
      last = text;
      for (let i = 0; i < 10 && !stop; i++) await sleep(100);
    }
    return EXIT.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export async function shutdownCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse<RemoteFlags>('shutdown', argv, common);
  if (values.help) return help('shutdown');
  if (positionals.length > 0) throw new UsageError('shutdown', `troupe shutdown takes no arguments, got ${positionals.join(' ')}`);
  const client = adminClient(values.address);
  try {
    await client.call('POST', '/api/shutdown');
    console.error(`troupe: the server at ${client.address} is stopping`);
    // Its admin API closes as it stops; the rest of it (requests in flight, replicas) follows within seconds.
    for (let waited = 0; waited < 30_000; waited += 200) {
      try {
        await client.call('GET', '/api/applications');
      } catch (err) {
        if (err instanceof AdminClientError && err.status === undefined) {
          console.error('troupe: stopped');
          return EXIT.ok;
        }
        throw err;
      }
      await sleep(200);
    }
    console.error(`troupe: the server at ${client.address} still answers 30 s after it was asked to stop`);
    return EXIT.failure;
  } catch (err) {
    return report(err, values.verbose === true);
  }
}

function help(command: string): number {
  console.log(commands[command]!.usage);
  return EXIT.ok;
}
