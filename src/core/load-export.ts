import { ModuleLoadError } from './errors.ts';

/**
 * Imports a module and finds an export: by name when given, else the export whose value is a class
 * or function with the given name (a decorated class records its module but not its export name).
 */
export async function loadExport(moduleUrl: string, exportName: string | undefined, valueName: string): Promise<any> {
  let mod: Record<string, unknown>;
  try {
    mod = await import(moduleUrl);
  } catch (err) {
    const missing = (err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(moduleUrl.replace(/^file:\/\//, ''));
    throw new ModuleLoadError(moduleUrl, exportName ?? valueName, missing ? 'the module does not exist' : `importing it threw: ${(err as Error).message}`, err);
  }
  if (exportName !== undefined) {
    if (!(exportName in mod)) {
      throw new ModuleLoadError(moduleUrl, exportName, `the module has no such export (it exports: ${Object.keys(mod).join(', ') || 'nothing'})`);
    }
    return mod[exportName];
  }
  for (const value of Object.values(mod)) {
    if (typeof value === 'function' && value.name === valueName) return value;
  }
  if (typeof mod.default === 'function') return mod.default;
  throw new ModuleLoadError(moduleUrl, valueName, `no export has that name (it exports: ${Object.keys(mod).join(', ') || 'nothing'})`);
}
