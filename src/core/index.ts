// The actor runtime's face: actors on worker threads, typed handles, tasks on a pool.
export { Runtime, currentRuntime, objectStore, type RuntimeOptions, type SpawnOptions, type ActorInfo } from './runtime.ts';
export { actor } from './actor-decorator.ts';
export { makeHandle, addressOf, isHandle, callActor, registerConnector, type ActorHandle, type RemoteMethod, type Connector } from './handle.ts';
export { remote, type RemoteFunction } from './task-pool.ts';
export { callContext, callCancellation, callModelId, callCarrier, callTrace, type CallContext } from './call-context.ts';
export { threadContext } from './thread-context.ts';
export { park, parksHere } from './import-window.ts';
export { transfer, registerExtension, markExtensionClass, assertSerializable, assertSerializableArgs } from './codec.ts';
export { setLocation, getLocation, callerModule, requireLocation, normalizeModule, type Location } from './locate.ts';
export type { CallOptions } from './connection.ts';
export type { ActorAddress } from './protocol.ts';
export * from './errors.ts';
export { getActor } from './get-actor.ts';
export { CallSignal } from './call-signal.ts';
export { IdTable } from './id-table.ts';
export { flushFrames } from './framed-port.ts';
export { subscribe, latestValue } from './topics.ts';
export { LOAD_METHOD, LIMIT_METHOD, setLoadReporter, type LoadReport } from './reserved-calls.ts';
