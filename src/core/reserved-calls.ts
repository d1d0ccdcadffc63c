// Calls every actor answers besides its class's methods, under names no user method can have. They travel on
// the same link as the calls they concern, so nothing new crosses threads.
// - load: the calls the actor is running or holding for a slot, and what this thread's other parts (serve's
//   routers, multiplexed models) choose to add; the serve controller's autoscaling input.
// - limit: changes how many async calls the actor runs at once (a deployment's maxOngoingRequests, in place).

export const LOAD_METHOD = '__troupe.load';
export const LIMIT_METHOD = '__troupe.limit';

export function isReservedMethod(method: string): boolean {
  return method === LOAD_METHOD || method === LIMIT_METHOD;
}

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
