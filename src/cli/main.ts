// troupe's command line: `troupe <command> [options]`. Each command parses its own flags strictly (args.ts);
// exit codes: 0 done, 1 failed, 2 usage error (args.ts EXIT).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EXIT, UsageError } from './args.ts';
import { commands, mainUsage } from './help.ts';

export { EXIT } from './args.ts';

const handlers: Record<string, (argv: string[]) => Promise<number>> = {
  run: async argv => (await import('./run.ts')).runCommand(argv),
  build: async argv => (await import('./build.ts')).buildCommand(argv),
  schema: async argv => (await import('./build.ts')).schemaCommand(argv),
  deploy: async argv => (await import('./remote.ts')).deployCommand(argv),
  status: async argv => (await import('./remote.ts')).statusCommand(argv),
  shutdown: async argv => (await import('./remote.ts')).shutdownCommand(argv),
  'serve-models': async argv => (await import('./serve-models.ts')).serveModelsCommand(argv),
  bench,
};

export function version(): string {
  return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
        console.error(mainUsage());
        return EXIT.usage;
      case '-h':
      case '--help':
        console.log(mainUsage());
        return EXIT.ok;
      case 'help':
        if (rest[0] === undefined) console.log(mainUsage());
        else if (commands[rest[0]]) console.log(commands[rest[0]]!.usage);
        else throw new UsageError('help', `no command "${rest[0]}"`);
        return EXIT.ok;
      case '-v':
      case '--version':
      case 'version':
        console.log(version());
        return EXIT.ok;
    }
    const handler = handlers[command];
    if (!handler) {
      if (command.startsWith('-')) throw new UsageError('', `unknown option ${command}: options go after the command (troupe <command> --help lists them)`);
      const { closest } = await import('../config/index.ts');
      const guess = closest(command, Object.keys(handlers));
      throw new UsageError('', `unknown command "${command}"${guess ? `; did you mean ${guess}?` : ''}`);
    }
    return await handler(rest);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    const where = err.command ? `troupe ${err.command}` : 'troupe';
    console.error(`${where}: ${err.message}\n${err.command ? `troupe ${err.command} --help shows its options.` : 'troupe --help lists the commands.'}`);
    return EXIT.usage;
  }
}

/** `troupe bench`: the bench harness of troupe's own repository, found beside this package, not in the cwd. */
async function bench(argv: string[]): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    console.log(commands.bench!.usage);
    return EXIT.ok;
  }
  const runner = fileURLToPath(new URL('../../bench/run.ts', import.meta.url));
  if (!existsSync(runner)) {
    console.error(`troupe bench: ${runner} is missing: the bench harness ships with troupe's repository, not its npm package; run it from a clone (npm run bench -- <scenario>)`);
    return EXIT.failure;
  }
  process.argv = [process.argv[0]!, runner, ...argv];
  await import(pathToFileURL(runner).href); // its main() goes on and exits the process with its own code
  return EXIT.ok;
}
