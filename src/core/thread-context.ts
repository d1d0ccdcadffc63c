// What code running in a troupe thread can learn about where it runs.
import type { ActorAddress } from './protocol.ts';

export interface ThreadContext {
  runtimeId: string;
  /** The actor this thread hosts, or undefined on the main thread and in task workers. */
  actorLabel?: string;
  lookup(name: string): Promise<ActorAddress>;
}

let current: ThreadContext | undefined;

export function setThreadContext(context: ThreadContext | undefined): void {
  current = context;
}

export function threadContext(): ThreadContext | undefined {
  return current;
}
