// What a running actor method can ask about the call it serves: its cancellation signal, chiefly.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { CallSignal } from './call-signal.ts';

export interface CallContext {
  /** Aborted when the caller cancels the call (or its stream) or goes away. */
  readonly signal: AbortSignal;
  readonly method: string;
  readonly actor: string;
}

/** A served call's context, which also gives its cancellation without making an AbortSignal. */
interface ServedContext extends CallContext {
  readonly cancellation: CallSignal;
}

const storage = new AsyncLocalStorage<ServedContext>();

export function runInCallContext<T>(context: ServedContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The context of the actor call being served, or undefined outside one. */
export function callContext(): CallContext | undefined {
  return storage.getStore();
}

/**
 * The cancellation of the call being served, for troupe's own code that listens on every call (@batch).
 * Reading `callContext().signal` makes an AbortController, which on Node 20 costs more than a small call.
 */
export function callCancellation(): CallSignal | undefined {
  return storage.getStore()?.cancellation;
}
