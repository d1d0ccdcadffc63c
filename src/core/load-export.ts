import { ModuleLoadError } from './errors.ts';
import { onParked, openImportWindow, registeredDefinition } from './import-window.ts';

/**
 * Imports a module and finds an export: by name when given, else the export whose value is a class
 * or function with the given name (a decorated class records its module but not its export name).
 * When the module's top-level code parks (a single-file program starting troupe, see import-window.ts), the
 * import never finishes: the value then comes from what its decorator registered.
 */
export async function loadExport(moduleUrl: string, exportName: string | undefined, valueName: string): Promise<any> {
  // A parked import never settles, and its module parks only once: later loads (a pool thread's next task) go straight to the registry.
  const parkedBy = parkedModules.get(moduleUrl);
  if (parkedBy !== undefined) return fromRegistry(moduleUrl, exportName, valueName, parkedBy);
  let stopListening = () => {};
  const parked = new Promise<{ parked: string }>(resolve => {
    stopListening = onParked(what => resolve({ parked: what }));
  });
  type Outcome = { mod: Record<string, unknown> } | { parked: string };
  let outcome: Outcome;
  try {
    const importing: Promise<Outcome> = openImportWindow(() => import(moduleUrl)).then(mod => ({ mod }));
    outcome = await Promise.race([importing, parked]);
    // A start call that was not awaited parks without stopping the module: its import still finishes.
    if ('parked' in outcome && registeredDefinition(moduleUrl, exportName ?? valueName) === undefined) {
      outcome = await Promise.race([importing, new Promise<Outcome>(resolve => setImmediate(() => resolve(outcome)))]);
    }
  } catch (err) {
    const missing = (err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(moduleUrl.replace(/^file:\/\//, ''));
    throw new ModuleLoadError(moduleUrl, exportName ?? valueName, missing ? 'the module does not exist' : `importing it threw: ${(err as Error).message}`, err);
  } finally {
    stopListening();
  }
  if ('parked' in outcome) {
    parkedModules.set(moduleUrl, outcome.parked);
    return fromRegistry(moduleUrl, exportName, valueName, outcome.parked);
  }
  const mod = outcome.mod;
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

/** Modules whose top-level code parked in this thread, and the call it parked in. */
const parkedModules = new Map<string, string>();

function fromRegistry(moduleUrl: string, exportName: string | undefined, valueName: string, parkedCall: string): unknown {
  const found = registeredDefinition(moduleUrl, exportName ?? valueName);
  if (found !== undefined) return found;
  throw new ModuleLoadError(
    moduleUrl,
    exportName ?? valueName,
    `its top-level code called ${parkedCall} while a worker imported it, and ${valueName} was not defined with a troupe decorator before that call ` +
      `(in a worker, that call never returns). Decorate ${valueName} with @actor() or @deployment() (remote() for a task) above the code that starts troupe, ` +
      `or move that code into its own module that imports ${valueName}`,
  );
}
