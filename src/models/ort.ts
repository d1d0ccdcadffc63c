// onnxruntime-node is an optional peer dependency: it loads with the first OnnxModel, not with `import 'troupe'`.
// Its addon is not context-aware: loaded first in a worker, it fails with "Module did not self-register" in every
// worker after that one exits. So a worker asks the main thread to load it first (the main thread then holds it).
import { createRequire } from 'node:module';
import { BroadcastChannel, isMainThread } from 'node:worker_threads';
import type * as OrtModule from 'onnxruntime-node';
import { OnnxRuntimeMissingError } from './errors.ts';

export type Ort = typeof OrtModule;

const require = createRequire(import.meta.url);
const CHANNEL = 'troupe.onnxruntime';
/** How long a worker waits for the main thread before loading on its own (a main thread that never imported troupe). */
const MAIN_THREAD_WAIT_MS = 10_000;

let ort: Ort | undefined;

/** ONNX Runtime if some OnnxModel loaded it in this thread (an ORT Tensor can exist only then). */
export function loadedOrt(): Ort | undefined {
  return ort;
}

function requireOrt(): Ort {
  if (ort) return ort;
  try {
    ort = require('onnxruntime-node') as Ort;
    return ort;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'MODULE_NOT_FOUND' && /onnxruntime-node/.test((err as Error).message.split('\n')[0] ?? '')) {
      throw new OnnxRuntimeMissingError(err);
    }
    throw err;
  }
}

/** Loads onnxruntime-node (on the main thread first when called in a worker); OnnxRuntimeMissingError says what to install. */
export async function loadOrt(): Promise<Ort> {
  if (ort) return ort;
  if (!isMainThread) await mainThreadLoads();
  return requireOrt();
}

function mainThreadLoads(): Promise<void> {
  return new Promise(resolve => {
    const channel = new BroadcastChannel(CHANNEL);
    const done = () => {
      clearTimeout(timer);
      channel.close();
      resolve();
    };
    const timer = setTimeout(done, MAIN_THREAD_WAIT_MS);
    channel.onmessage = (event: unknown) => {
      if ((event as MessageEvent).data?.t === 'loaded') done();
    };
    channel.postMessage({ t: 'load' });
  });
}

if (isMainThread) {
  // The main thread answers workers' requests; the channel must not keep the process alive.
  const channel = new BroadcastChannel(CHANNEL);
  channel.onmessage = (event: unknown) => {
    if ((event as MessageEvent).data?.t !== 'load') return;
    try {
      requireOrt();
    } catch {
      // the worker's own load reports what is missing
    }
    channel.postMessage({ t: 'loaded' });
  };
  channel.unref();
}
