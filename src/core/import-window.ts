// A troupe worker imports the user's module to find a class or function. In a single-file program that module's
// top-level code also starts troupe (serve.run, new Runtime() + spawn): in the worker that code must not deploy or
// spawn again. While such an import is pending, those calls park (a promise that never settles, so the rest of
// that module's top-level code never runs in the worker), and the worker takes its class from the registry that
// the decorators fill as each class is defined. Calls made by the served instance itself are not affected.
import { AsyncLocalStorage } from 'node:async_hooks';
import { callContext } from './call-context.ts';

/** Decorated classes and remote functions by module URL and name, as they are defined. */
const registry = new Map<string, unknown>();
let pendingImports = 0;
let parkedListeners: Array<(what: string) => void> = [];
// Marks the instance's own setup (constructor, init, tasks): made only once an import has parked.
let setup: AsyncLocalStorage<true> | undefined;

const key = (module: string, name: string) => `${module}#${name}`;

/** Records a decorated class (or remote function) under its module and name(s). */
export function registerDefinition(module: string, names: readonly (string | undefined)[], value: unknown): void {
  for (const name of names) if (name) registry.set(key(module, name), value);
}

export function registeredDefinition(module: string, name: string): unknown {
  return registry.get(key(module, name));
}

/** Runs `load` (a worker importing a user module) with the window open until the import settles, if it ever does. */
export function openImportWindow<T>(load: () => Promise<T>): Promise<T> {
  pendingImports++;
  return load().finally(() => pendingImports--);
}

/** Calls `listener` the first time top-level code parks in an open window. */
export function onParked(listener: (what: string) => void): () => void {
  parkedListeners.push(listener);
  return () => {
    parkedListeners = parkedListeners.filter(l => l !== listener);
  };
}

/** Whether a call that starts troupe (`what`, e.g. 'serve.run()') comes from a module's top level in a worker's import. */
export function parksHere(): boolean {
  return pendingImports > 0 && callContext() === undefined && setup?.getStore() !== true;
}

/** A promise that never settles, for a start call made by top-level code during a worker's import. */
export function park(what: string): Promise<never> {
  for (const listener of parkedListeners) listener(what);
  return new Promise<never>(() => {});
}

/** Runs the served instance's own code (constructor, init, a task) so that what it starts is not parked. */
export function runAsInstance<T>(fn: () => T): T {
  if (pendingImports === 0) return fn();
  setup ??= new AsyncLocalStorage<true>();
  return setup.run(true, fn);
}
