// A class or function that runs in a worker thread must be importable there, so troupe needs the
// module it came from and the name it is exported under. Decorators record the module by reading
// the call stack at definition time: the first frame outside troupe's own sources is the user's file.
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { UnlocatableClassError } from './errors.ts';
import { registerDefinition } from './import-window.ts';

export interface Location {
  /** file: URL of the module. */
  module: string;
  /** Export name; when absent, the worker looks for an export whose value has the class's name. */
  exportName?: string;
}

const locationKey = Symbol.for('troupe.location');
const srcRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function setLocation(target: object, location: Location): void {
  Object.defineProperty(target, locationKey, { value: location, configurable: true, enumerable: false });
  registerDefinition(location.module, [location.exportName, (target as { name?: string }).name], target);
}

export function getLocation(target: object): Location | undefined {
  return Object.prototype.hasOwnProperty.call(target, locationKey) ? (target as any)[locationKey] : undefined;
}

/** The module URL of the first caller outside troupe's src/ folder (and outside node internals). */
export function callerModule(): string | undefined {
  const saved = Error.stackTraceLimit;
  Error.stackTraceLimit = 50;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = saved;
  for (const line of stack.split('\n').slice(1)) {
    const match = /\(?((?:file:\/\/)?\/[^():]+|[A-Za-z]:\\[^():]+):\d+:\d+\)?\s*$/.exec(line);
    if (!match) continue;
    const file = match[1].startsWith('file://') ? fileURLToPath(match[1]) : match[1];
    if (file.startsWith(srcRoot + path.sep) || file.includes(`${path.sep}node_modules${path.sep}`)) continue;
    return pathToFileURL(file).href;
  }
  return undefined;
}

/** Turns a user's module option (URL string, file path, or URL) into a file: URL. */
export function normalizeModule(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (/^[a-z]+:\/\//i.test(module)) return module;
  return pathToFileURL(path.resolve(module)).href;
}

export function requireLocation(target: { name: string }, override?: { module?: string | URL; exportName?: string }): Location {
  if (override?.module) return { module: normalizeModule(override.module), exportName: override.exportName };
  const found = getLocation(target);
  if (!found) throw new UnlocatableClassError(target.name || '(anonymous)');
  return override?.exportName ? { ...found, exportName: override.exportName } : found;
}
