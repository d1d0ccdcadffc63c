// What a running actor method can ask about the call it serves: its cancellation signal, chiefly.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface CallContext {
  /** Aborted when the caller cancels the call (or its stream) or goes away. */
  readonly signal: AbortSignal;
  readonly method: string;
  readonly actor: string;
}

const storage = new AsyncLocalStorage<CallContext>();

export function runInCallContext<T>(context: CallContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The context of the actor call being served, or undefined outside one. */
export function callContext(): CallContext | undefined {
  return storage.getStore();
}
