// Every message that crosses a thread in the actor runtime, by name. Call traffic is msgpackr-framed
// (see framed-port.ts); control traffic between the main thread and a worker is structured-cloned
// because it carries MessagePorts.
import type { MessagePort } from 'node:worker_threads';
import type { ErrorRecord } from '../errors/index.ts';
import type { Frame } from './codec.ts';

// ---- call traffic: caller → actor ----
/** `mm`: the multiplexed model id the caller set (serve's handle option or the x-troupe-model-id header); absent when none. */
/** `tc`: the request's trace carrier (observability's traceCarrier: traceparent then request id); absent when none. */
export interface CallMessage { t: 'call'; id: number; m: string; a: unknown[]; s?: 1 /* stream */; mm?: string; tc?: string }
export interface CancelMessage { t: 'cancel'; id: number }
export interface CreditMessage { t: 'credit'; id: number; n: number }
export type ToActor = CallMessage | CancelMessage | CreditMessage;

// ---- call traffic: actor → caller ----
export interface ResultMessage { t: 'ok'; id: number; v: unknown }
export interface ErrorMessage { t: 'err'; id: number; e: Error }
export interface ItemMessage { t: 'item'; id: number; v: unknown }
export interface EndMessage { t: 'end'; id: number }
export type FromActor = ResultMessage | ErrorMessage | ItemMessage | EndMessage;

/** Items a stream may send ahead of what its consumer has taken. */
export const STREAM_WINDOW = 16;

// ---- control traffic: main → worker ----
export interface AcceptControl { t: 'accept'; port: MessagePort }
export interface ConnectedControl { t: 'connected'; req: number; port?: MessagePort; error?: ErrorRecord; actor?: ActorAddress }
export interface PeerDiedControl { t: 'peer-died'; actorId: number; incarnation: number; error: ErrorRecord }
export interface StopControl { t: 'stop' }
/** Ends the thread from inside, between two turns of its event loop (see ActorRecord.kill). */
export interface ExitControl { t: 'exit' }
export interface PublishControl { t: 'publish'; topic: string; value: unknown }
export type MainToWorker = AcceptControl | ConnectedControl | PeerDiedControl | StopControl | ExitControl | PublishControl;

// ---- control traffic: worker → main ----
export interface ReadyControl { t: 'ready'; methods: string[]; streams: string[] }
export interface InitFailedControl { t: 'init-failed'; error: ErrorRecord }
export interface ConnectControl { t: 'connect'; req: number; actorId?: number; name?: string }
export interface StoppedControl { t: 'stopped' }
/** A replica's log lines of one turn (observability's LogBatch), for the main thread's output and recent lines. */
export interface LogControl { t: 'log'; replica: string; lines: string[] }
export type WorkerToMain = ReadyControl | InitFailedControl | ConnectControl | StoppedControl | LogControl;

/** What identifies an actor across threads: enough to ask the main thread for a connection. */
export interface ActorAddress {
  runtimeId: string;
  actorId: number;
  name: string;
  className: string;
  methods: string[];
  /** Methods that are async generators: called through the handle, they return async iterators. */
  streams: string[];
}

/** workerData of an actor's worker thread. */
export interface ActorWorkerData {
  kind: 'actor';
  runtimeId: string;
  actorId: number;
  incarnation: number;
  label: string;
  module: string;
  exportName?: string;
  className: string;
  args: Frame;
  maxConcurrency: number;
  callPort: MessagePort;
  store?: unknown;
  /** Retained topic values at spawn time. */
  topics: Array<[string, unknown]>;
}
