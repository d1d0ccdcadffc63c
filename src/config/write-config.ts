// `troupe build`: a config file from import paths, with every deployment and its current options, ready to edit.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
import type { Application } from '../serve/index.ts';
import { deploymentsOf } from './graph.ts';
import { importApplication, parseImportPath, resolveModule } from './import-path.ts';
import type { ApplicationConfig, DeploymentConfig, TroupeConfig } from './types.ts';

export interface WriteConfigOptions {
  /** Where the import paths' modules are looked up (default: the working directory). */
  baseDir?: string;
  /** The folder the config will be written to: module paths are written relative to it (default baseDir). */
  outDir?: string;
  /** The export a bare module means (default 'app'). */
  defaultExport?: string;
  /** The command line, for the header comment. */
  command?: string;
}

/** The config (as YAML text) that serves the applications `importPaths` name, with their options spelled out. */
export async function writeConfig(importPaths: string[], options: WriteConfigOptions = {}): Promise<string> {
  const baseDir = options.baseDir ?? process.cwd();
  const outDir = options.outDir ?? baseDir;
  const names = new Set<string>();
  const applications: ApplicationConfig[] = [];
  const notes: Array<{ path: (string | number)[]; comment: string }> = [];
  for (const importPath of importPaths) {
    const { module, exportName } = parseImportPath(importPath, options.defaultExport ?? 'app');
    const app = await importApplication(importPath, { baseDir, defaultExport: options.defaultExport ?? 'app' });
    let name = importPaths.length === 1 ? 'default' : exportName;
    for (let i = 1; names.has(name); i++) name = `${exportName}_${i}`;
    names.add(name);
    const index = applications.length;
    const deployments = describe(app, (deployment, comment) => notes.push({ path: ['applications', index, 'deployments', deployment], comment }));
    applications.push({
      name,
      routePrefix: importPaths.length === 1 ? '/' : `/${name}`,
      importPath: `${relativeModule(module, baseDir, outDir)}:${exportName}`,
      deployments,
    });
  }
  const config: TroupeConfig = {
    http: { host: '127.0.0.1', port: 8000 },
    admin: { host: '127.0.0.1', port: 8265 },
    logging: { encoding: 'json', level: 'info', accessLog: true },
    applications,
  };
  const { Document } = require('yaml') as typeof import('yaml');
  const doc = new Document(config);
  doc.commentBefore = [
    ` troupe config, written by \`${options.command ?? `troupe build ${importPaths.join(' ')}`}\`.`,
    ' Serve it: troupe run <this file>. Update a running server: troupe deploy <this file>.',
    ' Fields here win over the code; actorOptions, userConfig and autoscalingConfig replace the code\'s whole.',
    ' Module paths are relative to this file. JSON Schema for editors: troupe schema -o troupe.schema.json',
  ].join('\n');
  for (const note of notes) {
    const node = doc.getIn(note.path, true) as { commentBefore?: string } | undefined;
    if (node) node.commentBefore = ` ${note.comment}`;
  }
  return doc.toString({ lineWidth: 0 });
}

/** The module as the config file should name it: relative to the folder the file is written to. */
function relativeModule(module: string, baseDir: string, outDir: string): string {
  const url = resolveModule(module, baseDir);
  if (!url.startsWith('file:')) return module; // a package
  const file = fileURLToPath(url);
  const rel = path.relative(outDir, file).split(path.sep).join('/');
  // A file that shares no folder with the config but the root (a config written to /tmp) is clearer absolute.
  const shared = path.resolve(outDir).split(path.sep).filter(Boolean)[0] === file.split(path.sep).filter(Boolean)[0];
  if (path.isAbsolute(rel) || !shared) return file;
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/** Every deployment with its options as they resolve now (autoscalingConfig as the code gives it). */
function describe(app: Application, note: (index: number, comment: string) => void): DeploymentConfig[] {
  const out: DeploymentConfig[] = [];
  for (const [name, node] of deploymentsOf(app)) {
    const resolved = node.resolved();
    const code = { ...node.def.options, ...node.overrides };
    const entry: DeploymentConfig = { name };
    if (resolved.autoscaling) {
      if (code.numReplicas === 'auto') entry.numReplicas = 'auto';
      if (code.autoscalingConfig) {
        const { policy, ...given } = code.autoscalingConfig;
        entry.autoscalingConfig = given;
        if (policy) note(out.length, `autoscalingConfig.policy is a function in the code: it stays, whatever this file says`);
      }
    } else entry.numReplicas = resolved.numReplicas;
    entry.maxOngoingRequests = resolved.maxOngoingRequests;
    entry.maxQueuedRequests = resolved.maxQueuedRequests;
    if (resolved.userConfig !== undefined) {
      if (isPlainData(resolved.userConfig)) entry.userConfig = resolved.userConfig;
      else note(out.length, 'userConfig is set in the code with values YAML cannot hold (functions, class instances): left to the code');
    }
    const { numCpus, numGpus, memory, gpuMemoryBytes } = resolved.actorOptions;
    entry.actorOptions = memory === undefined ? { numCpus, numGpus } : { numCpus, numGpus, memory };
    if (gpuMemoryBytes !== undefined) entry.actorOptions.gpuMemoryBytes = gpuMemoryBytes;
    entry.healthCheckPeriodMs = resolved.healthCheckPeriodMs;
    entry.healthCheckTimeoutMs = resolved.healthCheckTimeoutMs;
    entry.healthCheckFailureThreshold = resolved.healthCheckFailureThreshold;
    entry.gracefulShutdownTimeoutMs = resolved.gracefulShutdownTimeoutMs;
    if (resolved.logLevel !== undefined) entry.logLevel = resolved.logLevel;
    out.push(entry);
  }
  return out;
}

function isPlainData(value: unknown): boolean {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return typeof value !== 'number' || Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isPlainData);
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) return Object.values(value as object).every(isPlainData);
  return false;
}
