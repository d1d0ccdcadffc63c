// Reads a model folder in Triton's layout: <name>/<version>/model.onnx, version a positive integer, and an
// optional <name>/config.yaml with the deployment's replicas, batching and resources.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ModelRepositoryError } from './errors.ts';

// yaml loads only where a repository is scanned: replicas import this folder for its deployment classes.
const require = createRequire(import.meta.url);

export interface ModelConfig {
  numReplicas?: number;
  maxBatchSize?: number;
  batchWaitTimeoutMs?: number;
  maxOngoingRequests?: number;
  numCpus?: number;
  numGpus?: number;
  memory?: number;
  executionProviders?: string[];
}

export interface ModelVersionSpec {
  version: string;
  path: string;
}

export interface ModelSpec {
  name: string;
  /** Highest first: the one a request without a version gets. */
  versions: ModelVersionSpec[];
  config: ModelConfig;
}

const NAME = /^[A-Za-z0-9_.-]+$/;
const NUMBER_KEYS = ['numReplicas', 'maxBatchSize', 'batchWaitTimeoutMs', 'maxOngoingRequests', 'numCpus', 'numGpus', 'memory'] as const;

export function checkRepositoryDir(dir: string): string {
  const abs = path.resolve(dir);
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    throw new ModelRepositoryError(`the model repository ${abs} is not a folder: create it with one <name>/<version>/model.onnx per model (Triton's layout)`, { details: { dir: abs } });
  }
  return abs;
}

/** Every model of the folder, by name; a folder without a `<version>/model.onnx` is no model. */
export function scanRepository(dir: string): ModelSpec[] {
  const abs = checkRepositoryDir(dir);
  const models: ModelSpec[] = [];
  for (const entry of readdirSync(abs, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.') || !NAME.test(entry.name)) continue;
    const spec = scanModel(abs, entry.name);
    if (spec) models.push(spec);
  }
  return models.sort((a, b) => a.name.localeCompare(b.name));
}

/** One model's folder, or undefined when it has no version with a model.onnx. */
export function scanModel(dir: string, name: string): ModelSpec | undefined {
  const base = path.join(dir, name);
  if (!NAME.test(name) || !existsSync(base)) return undefined;
  const versions: ModelVersionSpec[] = [];
  for (const v of readdirSync(base, { withFileTypes: true })) {
    if (!v.isDirectory() || !/^[1-9]\d*$/.test(v.name)) continue;
    const file = path.join(base, v.name, 'model.onnx');
    if (existsSync(file)) versions.push({ version: v.name, path: file });
  }
  if (versions.length === 0) return undefined;
  versions.sort(highestFirst);
  return { name, versions, config: readConfig(base, name) };
}

/** The order a model's versions are served in: the highest first (a request without a version gets the first ready one). */
export function highestFirst(a: ModelVersionSpec, b: ModelVersionSpec): number {
  return Number(b.version) - Number(a.version);
}

function readConfig(base: string, name: string): ModelConfig {
  const file = ['config.yaml', 'config.yml'].map((f) => path.join(base, f)).find((f) => existsSync(f));
  if (!file) return {};
  let raw: unknown;
  try {
    raw = (require('yaml') as typeof import('yaml')).parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new ModelRepositoryError(`${file} is not valid YAML (${(cause as Error).message.split('\n')[0]}): fix it or remove it`, { cause, details: { model: name, file } });
  }
  if (raw === null || raw === undefined) return {};
  const fail = (what: string) => new ModelRepositoryError(`${file}: ${what}; the fields are ${[...NUMBER_KEYS, 'executionProviders'].join(', ')}`, { details: { model: name, file } });
  if (typeof raw !== 'object' || Array.isArray(raw)) throw fail('the file must hold a mapping such as "numReplicas: 2"');
  const config: ModelConfig = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if ((NUMBER_KEYS as readonly string[]).includes(key)) {
      const positive = key === 'numGpus' ? typeof value === 'number' && value >= 0 : typeof value === 'number' && value > 0;
      const integer = key === 'numReplicas' || key === 'maxBatchSize' || key === 'maxOngoingRequests';
      if (!positive || (integer && !Number.isInteger(value))) throw fail(`${key} must be a ${integer ? 'positive integer' : 'positive number'}, got ${JSON.stringify(value)}`);
      config[key as (typeof NUMBER_KEYS)[number]] = value as number;
    } else if (key === 'executionProviders') {
      if (!Array.isArray(value) || value.some((p) => typeof p !== 'string')) throw fail('executionProviders must be a list of names such as [cuda, cpu]');
      config.executionProviders = value as string[];
    } else {
      throw fail(`unknown field "${key}"`);
    }
  }
  return config;
}
