// How large typed arrays cross threads as ObjectRefs; core's codec calls these while it packs and unpacks.
//
// Lifetime of a ref that travels inside a message (the rule the runtime relies on):
//  1. The sender puts the array into the arena (or, for a view that already lies in it, adds a hold: no
//     copy). That hold belongs to the sender's holder id while the message is in flight; the record on the
//     wire names that id.
//  2. The receiver moves the hold to its own holder id (adopt) and gets a view that owns it.
//  3. That hold is dropped by `store.release(view)`, by the FinalizationRegistry once the view is garbage
//     collected, or by `releaseHolder` when the receiving thread dies. The object is freed when no holder
//     holds it, so memory is never reused while a view that owns a hold is reachable. A thread that has
//     adopted more than an eighth of the arena since its last collection runs one (collect.ts), so views it
//     dropped give their memory back even when the thread allocates too little for V8 to collect by itself.
//  A message that is never decoded (its receiver died first) leaves its hold with the sender until the
//  sender's thread ends (for the main thread: until its runtime shuts down).
import { workerData } from 'node:worker_threads';
import type { TypedArray } from './dtypes.ts';
import { ForeignObjectRefError, InvalidObjectRefError, ObjectStoreFullError } from './errors.ts';
import { HolderTable } from './holders.ts';
import { fromRecord, toRecord, type ObjectRef } from './object-ref.ts';
import { ObjectStore, type ObjectStoreShare } from './object-store.ts';

/** What a runtime hands its worker threads (workerData.store). Actor threads get `holder`; pool threads claim one. */
export interface WorkerStoreData {
  readonly share: ObjectStoreShare;
  readonly holders: SharedArrayBuffer;
  readonly holder?: number;
}

/** Stores open in this thread, by id: what an incoming ref is looked up in. */
const stores = new Map<number, ObjectStore>();
/** The store of this thread's runtime in a worker thread (the main thread names its store per link). */
let threadStore: ObjectStore | undefined;

export function registerStore(store: ObjectStore): void {
  stores.set(store.id, store);
}

export function unregisterStore(store: ObjectStore): void {
  if (stores.get(store.id) === store) stores.delete(store.id);
  if (threadStore === store) threadStore = undefined;
}

/** The store a worker thread attached, or undefined (main thread, or a runtime without a store). */
export function threadObjectStore(): ObjectStore | undefined {
  return threadStore;
}

/** Attaches the runtime's store in a worker thread (workerData.store); pool threads claim a holder id and give it back when they end. */
export function attachWorkerStore(data: WorkerStoreData | undefined = (workerData as { store?: WorkerStoreData } | null)?.store): ObjectStore | undefined {
  if (!data) return undefined;
  if (threadStore) return threadStore;
  const table = new HolderTable(data.holders);
  const claimed = data.holder === undefined;
  const holder = data.holder ?? table.claim(-2);
  const store = ObjectStore.attach(data.share, { holder });
  if (claimed) {
    process.once('exit', () => {
      store.close();
      table.free(holder);
    });
  }
  threadStore = store;
  registerStore(store);
  return store;
}

// Classes that come back as the same class: Buffer, Uint8ClampedArray and DataView keep msgpackr's inline form.
const refClasses = new Set<Function>([
  Float32Array, Float64Array, Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array,
]);

/** Whether a value should travel as a ref through `store`. */
export function travelsByRef(value: unknown, store: ObjectStore): boolean {
  return ArrayBuffer.isView(value) && value.byteLength >= store.inlineThreshold && refClasses.has(value.constructor) && !store.closed;
}

/**
 * Puts (or, for a view of this store, retains) `value` and returns its wire record; undefined when the arena
 * has no room now, so the caller sends the array inline instead of waiting. The ref is pushed on `made` so
 * the caller can release it if the message is not sent after all.
 */
export function refRecord(value: TypedArray, store: ObjectStore, made: ObjectRef[]): Uint8Array | undefined {
  let ref: ObjectRef;
  try {
    ref = store.putSync(value);
  } catch (err) {
    if (err instanceof ObjectStoreFullError) return undefined;
    throw err;
  }
  made.push(ref);
  return new Uint8Array(Float64Array.from([store.holder, ...toRecord(ref)]).buffer);
}

/** Gives back the holds of refs made for a message that was not sent. */
export function dropRecords(made: readonly ObjectRef[], store: ObjectStore): void {
  for (const ref of made) {
    try {
      store.release(ref);
    } catch {
      // Already gone (its holder ended): nothing to give back.
    }
  }
}

/** The view a wire record stands for, owning a hold of this thread (moved from the sender's). */
export function adoptRecord(bytes: Uint8Array): TypedArray {
  if (bytes.byteLength < 7 * 8 || bytes.byteLength % 8 !== 0) {
    throw new InvalidObjectRefError(`an object ref record on the wire has ${bytes.byteLength} bytes; it was cut short or forged`, {});
  }
  const fields = Array.from(new Float64Array(Uint8Array.prototype.slice.call(bytes).buffer));
  const from = fields[0]!;
  const ref = fromRecord(fields.slice(1));
  const store = stores.get(ref.store);
  if (!store) {
    throw new ForeignObjectRefError(
      `a message carried a ref to object store ${ref.store}, which this thread has not attached: refs travel only between threads of the runtime that made them`,
      { refStore: ref.store },
    );
  }
  return store.adopt(ref, from);
}
