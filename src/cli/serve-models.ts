// `troupe serve-models <dir>`: a folder of ONNX models (Triton's layout) served with the Open Inference Protocol.
// It is `troupe run` of a one-application config whose builder is modelRepositoryApp, so it behaves as run does
// (admin API, Ctrl-C, logs); the folder is checked here first so that its problems read plainly.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelRepositoryError, modelRepositoryFolder } from '../model-repository/index.ts';
import { EXIT, parse, UsageError } from './args.ts';
import { commands } from './help.ts';
import { runCommand } from './run.ts';

interface Flags {
  host?: string;
  port?: string;
  'route-prefix'?: string;
  'admin-host'?: string;
  'admin-port'?: string;
  'no-admin'?: boolean;
  verbose?: boolean;
  help?: boolean;
}

export async function serveModelsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse<Flags>('serve-models', argv, {
    host: { type: 'string' },
    port: { type: 'string' },
    'route-prefix': { type: 'string' },
    'admin-host': { type: 'string' },
    'admin-port': { type: 'string' },
    'no-admin': { type: 'boolean' },
    verbose: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(commands['serve-models']!.usage);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError('serve-models', `troupe serve-models takes one model folder, e.g. troupe serve-models ./models (got ${positionals.length})`);
  const prefix = values['route-prefix'] ?? '/';
  if (!prefix.startsWith('/')) throw new UsageError('serve-models', `--route-prefix must start with "/", got "${prefix}"`);
  const dir = path.resolve(positionals[0]!);
  try {
    const models = modelRepositoryFolder(dir);
    if (models.length === 0) console.error(`troupe: ${dir} has no <name>/<version>/model.onnx yet: serving none; add one and POST /v2/repository/models/<name>/load`);
    else console.error(`troupe: serving ${models.map((m) => `${m.name} (version${m.versions.length > 1 ? 's' : ''} ${m.versions.map((v) => v.version).join(', ')})`).join(', ')} from ${dir}`);
  } catch (err) {
    if (!(err instanceof ModelRepositoryError)) throw err;
    console.error(`troupe: ${err.message}`);
    return EXIT.failure;
  }
  // The builder in this build's own files (.ts from source, .js from dist/).
  const here = fileURLToPath(import.meta.url);
  const builder = path.join(path.dirname(here), '..', 'model-repository', `index${path.extname(here)}`);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'troupe-serve-models-'));
  const config = path.join(tmp, 'models.json');
  // Tensors make larger bodies than the proxy's default limit (10 MiB) expects.
  writeFileSync(config, JSON.stringify({ http: { maxBodyBytes: 256 * 2 ** 20 }, applications: [{ name: 'models', routePrefix: prefix, importPath: `${builder}:modelRepositoryApp`, args: { dir } }] }));
  const passed = Object.entries(values).flatMap(([k, v]) => (k === 'route-prefix' || v === undefined || v === false ? [] : v === true ? [`--${k}`] : [`--${k}`, String(v)]));
  try {
    return await runCommand([config, ...passed]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
