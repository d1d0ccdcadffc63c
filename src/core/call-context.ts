// What a running actor method can ask about the call it serves: its cancellation signal, chiefly.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { CallSignal } from './call-signal.ts';
import { setTraceSource, traceInfo, type TraceInfo } from '../observability/index.ts';

export interface CallContext {
  /** Aborted when the caller cancels the call (or its stream) or goes away. */
  readonly signal: AbortSignal;
  readonly method: string;
  readonly actor: string;
  /** The multiplexed model id the caller set for this call (serve's model multiplexing); '' when none. */
  readonly multiplexedModelId: string;
  /** The HTTP request this call serves, through every handle call of a composition: its request id and W3C
   *  trace; undefined for a call that no request started. */
  readonly trace: TraceInfo | undefined;
}

/** A served call's context, which also gives its cancellation without making an AbortSignal. */
interface ServedContext extends CallContext {
  readonly cancellation: CallSignal;
  /** The caller's model id as it came, undefined when none. */
  readonly modelId: string | undefined;
  /** The request's trace carrier as it came, undefined when none. */
  readonly carrier: string | undefined;
}

const storage = new AsyncLocalStorage<ServedContext>();

/** Whether this thread has served a call that carried a model id: until then callModelId() reads no context. */
let modelIdsServed = false;

/** @internal The call server met a call with a model id. */
export function noteModelIdServed(): void {
  modelIdsServed = true;
}

/**
 * The model id of the call being served, or undefined: what serve's handles pass on to the calls a replica
 * makes (Ray propagates it through handles). One boolean test in a thread that never served such a call, so
 * calls without model ids pay nothing for it.
 */
export function callModelId(): string | undefined {
  return modelIdsServed ? storage.getStore()?.modelId : undefined;
}

export function runInCallContext<T>(context: ServedContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** Whether this thread has served a call that carried a trace: until then callCarrier() reads no context. */
let tracesServed = false;

/** @internal The call server met a call with a trace carrier. */
export function noteTraceServed(): void {
  tracesServed = true;
}

/** The trace carrier of the call being served (what the calls it makes pass on), or undefined. */
export function callCarrier(): string | undefined {
  return tracesServed ? storage.getStore()?.carrier : undefined;
}

// The logger reads the request and trace ids of the call being served from here.
setTraceSource(callCarrier);

/** The request and trace ids of the call being served, or undefined. */
export function callTrace(): TraceInfo | undefined {
  const carrier = callCarrier();
  return carrier === undefined ? undefined : traceInfo(carrier);
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
