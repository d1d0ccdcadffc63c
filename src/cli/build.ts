// `troupe build` (a config from import paths) and `troupe schema` (the config's JSON Schema).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { configSchema, writeConfig } from '../config/index.ts';
import { EXIT, parse, UsageError } from './args.ts';
import { commands } from './help.ts';
import { report } from './run.ts';

interface Flags {
  output?: string;
  verbose?: boolean;
  help?: boolean;
}

export async function buildCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse<Flags>('build', argv, {
    output: { type: 'string', short: 'o' },
    verbose: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(commands.build!.usage);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new UsageError('build', 'troupe build needs at least one <module:export>, e.g. troupe build app.ts:app -o config.yaml');
  const out = values.output;
  if (out !== undefined && /^\s*$/.test(out)) throw new UsageError('build', '-o needs a file name');
  try {
    const text = await writeConfig(positionals, {
      outDir: out ? path.dirname(path.resolve(out)) : process.cwd(),
      command: ['troupe build', ...positionals, ...(out ? ['-o', out] : [])].join(' '),
    });
    if (!out) {
      process.stdout.write(text);
      return EXIT.ok;
    }
    await writeFile(out, text);
    console.error(`troupe: wrote ${out}: edit it, then troupe run ${out} (or troupe deploy ${out} to a running server)`);
    return EXIT.ok;
  } catch (err) {
    return report(err, values.verbose === true);
  }
}

export async function schemaCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse<Flags>('schema', argv, { output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    console.log(commands.schema!.usage);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError('schema', `troupe schema takes no arguments, got ${positionals.join(' ')}`);
  const text = JSON.stringify(configSchema, null, 2) + '\n';
  if (!values.output) {
    process.stdout.write(text);
    return EXIT.ok;
  }
  try {
    await writeFile(values.output, text);
  } catch (err) {
    return report(err, false);
  }
  console.error(`troupe: wrote ${values.output}`);
  return EXIT.ok;
}
