// What a replica's thread tells whoever asks how loaded it is: the calls its actor is running or holding for
// a slot, and what this thread's other parts (serve's routers) choose to add. The controller asks with one
// reserved call per replica, on the same link as the calls it counts, so nothing new crosses threads.

/** The method name a caller uses to ask an actor for its load; it is never a user's method. */
export const LOAD_METHOD = '__troupe.load';

export interface LoadReport {
  /** Calls the actor runs or holds for a concurrency slot (the asking call excluded). */
  ongoing: number;
  /** What this thread's reporters added, by their names. */
  extra: Record<string, unknown>;
}

const reporters = new Map<string, () => unknown>();

/** Adds `report()`'s value under `name` to every load report of this thread. */
export function setLoadReporter(name: string, report: () => unknown): void {
  reporters.set(name, report);
}

export function loadReport(ongoing: number): LoadReport {
  const extra: Record<string, unknown> = {};
  for (const [name, report] of reporters) extra[name] = report();
  return { ongoing, extra };
}
