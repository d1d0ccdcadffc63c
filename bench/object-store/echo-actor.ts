// The actor on the far side of the round-trip benchmark: it receives a Float32Array and sends it back.
// With the runtime's object store, a large array arrives as a view of the arena and goes back as a ref.
import { actor, objectStore, transfer, type ObjectRef } from '../../src/index.ts';

@actor()
export class Echo {
  /** Default path: copied both ways with `objectStore: false`; by ref through the store otherwise. */
  echo(data: Float32Array): Float32Array {
    data[0]! += 1;
    return data;
  }

  /** The buffer moves both ways; the sender's copy is detached. */
  echoTransfer(data: Float32Array): Float32Array {
    data[0]! += 1;
    return transfer(data);
  }

  /** An explicit ref, borrowed for the call: the caller holds it until the call returns. */
  echoRef(ref: ObjectRef): ObjectRef {
    const view = objectStore()!.get(ref) as Float32Array;
    view[0]! += 1;
    return ref;
  }
}
