// Import paths, `module:export` as in Ray Serve: the module is a file (relative to a base folder: the config
// file's, or the working directory on the command line) or a package; the export is an application
// (Cls.bind(...)) or a builder function that takes the application's `args` and returns one.
import { statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Application, deploymentOf } from '../serve/index.ts';
import { loaderFor } from '../core/worker-entry.ts';
import { ImportPathError } from './errors.ts';

export interface ImportPath {
  module: string;
  exportName: string;
}

const EXPORT = /^(.+):([A-Za-z_$][\w$]*)$/;
const EXTENSIONS = ['.ts', '.tsx', '.mts', '.js', '.mjs', '.cjs'];

/** Splits `module:export`; with `defaultExport`, a bare module means its export of that name. */
export function parseImportPath(importPath: string, defaultExport?: string): ImportPath {
  const m = EXPORT.exec(importPath);
  if (m) return { module: m[1]!, exportName: m[2]! };
  if (defaultExport && importPath && !importPath.endsWith(':')) return { module: importPath, exportName: defaultExport };
  throw new ImportPathError(importPath, 'syntax', `"${importPath}" is not an import path: write module:export, e.g. app.ts:app`);
}

/** The URL to import for `module`: a file under `baseDir` (extension optional), else a package name. */
export function resolveModule(module: string, baseDir: string, importPath = module): string {
  const bare = !module.startsWith('.') && !path.isAbsolute(module);
  const tries = path.extname(module) ? [module] : [module, ...EXTENSIONS.map(e => module + e), ...EXTENSIONS.map(e => path.join(module, 'index' + e))];
  for (const t of tries) {
    const file = path.resolve(baseDir, t);
    if (isFile(file)) return pathToFileURL(file).href;
  }
  if (bare && !path.extname(module)) return module; // a package
  const where = path.relative(process.cwd(), path.resolve(baseDir, module)) || '.';
  throw new ImportPathError(importPath, 'module', `cannot import ${module}: no such file (looked for ${where}${path.extname(module) ? '' : ' with .ts/.js'})`);
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Imports `module:export` and returns the application it names: the export itself, or what the builder function
 * returns for `args`. Every way it can fail throws ImportPathError with a message that says what to fix.
 */
export async function importApplication(importPath: string, options: { baseDir?: string; args?: Record<string, unknown>; defaultExport?: string } = {}): Promise<Application> {
  const { module, exportName } = parseImportPath(importPath, options.defaultExport);
  const url = resolveModule(module, options.baseDir ?? process.cwd(), importPath);
  let mod: Record<string, unknown>;
  try {
    await loaderFor(url); // tsx only for a .ts application (troupe itself is compiled)
    mod = await import(url);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ERR_MODULE_NOT_FOUND' && url === module ? `no such file or package (a file needs ./ or an extension)` : firstLine(e.message);
    throw new ImportPathError(importPath, 'module', `cannot import ${module}: ${why}`, err);
  }
  const exported = mod[exportName];
  const what = `${module}:${exportName}`;
  if (exported instanceof Application) {
    if (options.args !== undefined && Object.keys(options.args).length > 0) {
      throw new ImportPathError(importPath, 'args', `${what} is an application, so it takes no args: remove args, or export a builder function (args) => application`);
    }
    return exported;
  }
  if (!(exportName in mod)) {
    const names = Object.keys(mod).filter(k => k !== 'default' || mod.default !== undefined);
    throw new ImportPathError(
      importPath,
      'export',
      `${module} has no export "${exportName}" that is an application (Cls.bind(...)) or a builder function; it exports: ${names.join(', ') || 'nothing'}`,
    );
  }
  if (typeof exported === 'function' && deploymentOf(exported)) {
    throw new ImportPathError(importPath, 'not-application', `${what} is a deployment class, not an application: export ${exportName}.bind(...) and name that export`);
  }
  if (typeof exported !== 'function' || /^class[\s{]/.test(Function.prototype.toString.call(exported))) {
    throw new ImportPathError(
      importPath,
      'not-application',
      `${module} has no export "${exportName}" that is an application (Cls.bind(...)) or a builder function; it exports: ${Object.keys(mod).join(', ')} ("${exportName}" is ${describe(exported)})`,
    );
  }
  let built: unknown;
  try {
    built = await (exported as (args: Record<string, unknown>) => unknown)(options.args ?? {});
  } catch (err) {
    throw new ImportPathError(importPath, 'builder', `builder ${what} threw: ${(err as Error)?.message ?? String(err)}`, err);
  }
  if (!(built instanceof Application)) {
    throw new ImportPathError(importPath, 'builder', `builder ${what} returned ${describe(built)}, not an application: return Cls.bind(...)`);
  }
  return built;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return /^class[\s{]/.test(Function.prototype.toString.call(value)) ? `class ${value.name}` : `function ${value.name}`;
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  if (typeof value === 'string') return `a string`;
  return `${typeof value} ${String(value)}`;
}

function firstLine(message: string): string {
  return (message ?? '').split('\n', 1)[0]!;
}
