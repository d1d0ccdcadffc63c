// Raw worker_threads echo (no runtime): structured clone, transfer, or an ObjectRef.
import { parentPort, workerData } from 'node:worker_threads';
import { ObjectStore, type ObjectRef } from '../../src/store/index.ts';

const store = ObjectStore.attach(workerData.share, { holder: workerData.holder });
const port = parentPort!;
port.on('message', (msg: { kind: string; data?: Float32Array; ref?: ObjectRef }) => {
  if (msg.kind === 'clone') {
    msg.data![0]! += 1;
    port.postMessage(msg.data);
  } else if (msg.kind === 'transfer') {
    msg.data![0]! += 1;
    port.postMessage(msg.data, [msg.data!.buffer as ArrayBuffer]);
  } else {
    const view = store.take(msg.ref!) as Float32Array;
    view[0]! += 1;
    store.retain(msg.ref!, 0);
    store.release(view);
    port.postMessage(msg.ref);
  }
});
