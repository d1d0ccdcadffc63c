// Reads a config: YAML text → a checked TroupeConfig that still knows where each of its values was written, so
// that every later problem (an import that fails, an option out of range) can name the file, line and column.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type AjvModule from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Document, Node } from 'yaml';
import { ConfigError, type ConfigIssue } from './errors.ts';
import { configSchema, schemaAt } from './schema.ts';
import { closest } from '../errors/index.ts';
import type { TroupeConfig } from './types.ts';

// ajv is also used by src/http for request bodies, with useDefaults on; a config must not gain defaults (a
// default written into it would then win over the code), so it gets its own instance.
// yaml and ajv load with the first config read: every replica imports troupe, and none reads a config.
const require = createRequire(import.meta.url);
const yaml = (): typeof import('yaml') => require('yaml');
type AjvClass = typeof AjvModule.default;
let validator: ValidateFunction | undefined;
function validate(value: unknown): boolean {
  if (!validator) {
    const ajvModule = require('ajv');
    const Ajv = (ajvModule.default ?? ajvModule) as AjvClass;
    validator = new Ajv({ allErrors: true, strict: false }).compile(configSchema);
  }
  const ok = validator(value);
  validate.errors = validator.errors;
  return ok;
}
validate.errors = undefined as ErrorObject[] | null | undefined;

export type ConfigPath = readonly (string | number)[];

/** A checked config and where its values are in the text. */
export interface LoadedConfig {
  config: TroupeConfig;
  /** As the user named it; issues carry it. */
  file: string;
  /** An issue about the value at `path` (about its key, with `key`), placed at its line and column. */
  issue(path: ConfigPath, message: string, options?: { key?: boolean; code?: string }): ConfigIssue;
}

/** Reads and checks a config file; throws ConfigError (naming the file) when it cannot be read or is invalid. */
export async function loadConfigFile(file: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'it is a directory' : e.message;
    throw new ConfigError([{ file, path: '', message: `cannot read the config: ${why}` }]);
  }
  return parseConfig(text, file);
}

/** Parses and checks config text (YAML, or JSON, which is YAML); throws ConfigError listing every problem. */
export function parseConfig(text: string, file = '<config>'): LoadedConfig {
  const { LineCounter, parseDocument } = yaml();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return { line: Math.max(1, line), column: col };
  };
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map(e => ({ file, ...at(e.pos[0]), path: '', message: `not valid YAML: ${firstLine(e.message)}` })));
  }
  const issue = (path: ConfigPath, message: string, options: { key?: boolean; code?: string } = {}): ConfigIssue => {
    const range = rangeOf(doc, path, options.key === true);
    return { file, ...(range !== undefined ? at(range) : {}), path: dotted(path), message, ...(options.code ? { code: options.code } : {}) };
  };
  const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (value === null || value === undefined) {
    throw new ConfigError([{ file, path: '', message: 'the config is empty: it needs at least `applications:` (troupe build writes a starting point)' }]);
  }
  if (!validate(value)) throw new ConfigError(byPlace(schemaIssues(validate.errors ?? [], issue)));
  const config = value as TroupeConfig;
  const problems = crossChecks(config, issue);
  if (problems.length > 0) throw new ConfigError(problems);
  return { config, file, issue };
}

/** What the schema cannot say: names and route prefixes that must be unique. */
function crossChecks(config: TroupeConfig, issue: LoadedConfig['issue']): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const names = new Map<string, number>();
  const prefixes = new Map<string, number>();
  config.applications.forEach((app, i) => {
    const name = app.name ?? 'default';
    const prefix = normalizePrefix(app.routePrefix ?? '/');
    if (names.has(name)) {
      out.push(issue(['applications', i, ...(app.name ? ['name'] : [])], `application name "${name}" is also used by applications[${names.get(name)}]; give each application its own name`));
    } else names.set(name, i);
    if (prefixes.has(prefix)) {
      out.push(issue(['applications', i, ...(app.routePrefix ? ['routePrefix'] : [])], `route prefix "${prefix}" is also used by applications[${prefixes.get(prefix)}]; give each application its own routePrefix`));
    } else prefixes.set(prefix, i);
    const deployments = new Map<string, number>();
    (app.deployments ?? []).forEach((d, j) => {
      if (deployments.has(d.name)) out.push(issue(['applications', i, 'deployments', j, 'name'], `deployment "${d.name}" is listed twice (also deployments[${deployments.get(d.name)}]); merge the two`));
      else deployments.set(d.name, j);
      if (typeof d.numReplicas === 'number' && d.autoscalingConfig !== undefined) {
        out.push(issue(['applications', i, 'deployments', j, 'numReplicas'], 'is set while autoscalingConfig is given: remove one (numReplicas: "auto" may go with autoscalingConfig)', { key: true }));
      }
    });
  });
  return out;
}

/** In the order they appear in the file. */
function byPlace(issues: ConfigIssue[]): ConfigIssue[] {
  return issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

export function normalizePrefix(prefix: string): string {
  return prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix;
}

function schemaIssues(errors: ErrorObject[], issue: LoadedConfig['issue']): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const seen = new Set<string>();
  // A value that matches no branch of an anyOf gets one error per branch plus the anyOf's: one message says it.
  const anyOfPaths = new Set(errors.filter(e => e.keyword === 'anyOf').map(e => e.instancePath));
  for (const e of errors) {
    const path = pointerToPath(e.instancePath);
    const params = e.params as Record<string, unknown>;
    let item: ConfigIssue;
    if (anyOfPaths.has(e.instancePath) && e.keyword !== 'anyOf') continue;
    if (e.keyword === 'additionalProperties') {
      const field = String(params.additionalProperty);
      const allowed = Object.keys((schemaAt(path)?.properties as object | undefined) ?? {}).filter(k => k !== '$schema');
      const guess = closest(field, allowed);
      item = issue([...path, field], guess ? `unknown field; did you mean ${guess}?` : `unknown field (known here: ${allowed.join(', ')})`, { key: true });
    } else if (e.keyword === 'required') {
      item = issue(path, 'required field is missing');
      item.path = dotted([...path, String(params.missingProperty)]);
    } else if (e.keyword === 'anyOf' || e.keyword === 'pattern') {
      const expected = schemaAt(path)?.['x-expected'];
      item = issue(path, expected ? `must be ${expected}` : (e.message ?? e.keyword));
    } else if (e.keyword === 'enum') {
      item = issue(path, `must be one of ${(params.allowedValues as unknown[]).map(v => JSON.stringify(v)).join(', ')}`);
    } else {
      item = issue(path, e.message ?? e.keyword);
    }
    const key = `${item.path}\0${item.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(item);
  }
  return out;
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map(p => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map(p => (/^\d+$/.test(p) ? Number(p) : p));
}

export function dotted(path: ConfigPath): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

/** Where the value at `path` (or its key) starts in the text; the nearest enclosing node when it is absent. */
function rangeOf(doc: Document, path: ConfigPath, key: boolean): number | undefined {
  const { isMap, isNode, isPair, isScalar, isSeq } = yaml();
  let node: unknown = doc.contents;
  let start = isNode(node) ? node.range?.[0] : undefined;
  for (let i = 0; i < path.length; i++) {
    const part = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(p => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part));
      if (!pair) return start;
      if (last && key && isNode(pair.key)) return pair.key.range?.[0] ?? start;
      node = pair.value;
      // A key with no value (`port:`) has no node: point at its key.
      start = isNode(node) ? (node as Node).range?.[0] ?? start : isNode(pair.key) ? pair.key.range?.[0] : start;
    } else if (isSeq(node) && typeof part === 'number') {
      node = node.items[part];
      if (!isNode(node)) return start;
      start = node.range?.[0] ?? start;
    } else return start;
  }
  return start;
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0]!;
}
