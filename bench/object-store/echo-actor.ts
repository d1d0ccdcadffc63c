// The actor on the far side of the round-trip benchmark: it receives a Float32Array three ways and sends
// it back. It attaches the object store from the runtime's shared workerData.
import { workerData } from 'node:worker_threads';
import { actor, transfer } from '../../src/index.ts';
import { ObjectStore, type ObjectRef, type ObjectStoreShare } from '../../src/store/index.ts';

@actor()
export class Echo {
  readonly store: ObjectStore | undefined;

  constructor(holder: number) {
    const share = (workerData as { store?: ObjectStoreShare } | null)?.store;
    this.store = share ? ObjectStore.attach(share, { holder }) : undefined;
  }

  /** Default path: the array is copied into the message and copied back. */
  echo(data: Float32Array): Float32Array {
    data[0]! += 1;
    return data;
  }

  /** The buffer moves both ways; the sender's copy is detached. */
  echoTransfer(data: Float32Array): Float32Array {
    data[0]! += 1;
    return transfer(data);
  }

  /** Only the ref travels: the caller retained it for this actor; it is retained for the caller (holder 0) on the way back. */
  echoRef(ref: ObjectRef): ObjectRef {
    const view = this.store!.take(ref) as Float32Array;
    view[0]! += 1;
    this.store!.retain(ref, 0);
    this.store!.release(view);
    return ref;
  }
}
