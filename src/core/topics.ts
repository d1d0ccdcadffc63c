// Retained topics: the main thread publishes a value under a name, and every thread (main and workers)
// sees the latest value now and each later one. Serve's routers learn replica sets this way.

type Listener = (value: unknown) => void;

const latest = new Map<string, unknown>();
const listeners = new Map<string, Set<Listener>>();

/** Calls `listener` with the topic's latest value (if any) and with every later one. Returns an unsubscribe. */
export function subscribe(topic: string, listener: Listener): () => void {
  let set = listeners.get(topic);
  if (!set) listeners.set(topic, (set = new Set()));
  set.add(listener);
  if (latest.has(topic)) listener(latest.get(topic));
  return () => {
    set!.delete(listener);
    if (set!.size === 0) listeners.delete(topic);
  };
}

export function latestValue(topic: string): unknown {
  return latest.get(topic);
}

/** Records and announces a value in this thread (the runtime calls it for publishes from the main thread). */
export function deliver(topic: string, value: unknown): void {
  if (value === undefined) latest.delete(topic);
  else latest.set(topic, value);
  for (const listener of [...(listeners.get(topic) ?? [])]) listener(value);
}

export function snapshot(): Array<[string, unknown]> {
  return [...latest];
}
