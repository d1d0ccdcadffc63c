// The zero-copy bridge from shared memory into libraries that refuse a
// SharedArrayBuffer (onnxruntime-node): an ordinary ArrayBuffer over the same bytes.
import { loadNative } from './binding.ts';
import { NativeArgumentError, fromNativeError } from './errors.ts';

/**
 * An ArrayBuffer aliasing `byteLength` bytes of `sab` at `byteOffset`. Writes through either are seen by
 * both. The alias keeps the SharedArrayBuffer alive while it lives; it is valid in the calling thread.
 */
export function aliasArrayBuffer(sab: SharedArrayBuffer, byteOffset = 0, byteLength = sab.byteLength - byteOffset): ArrayBuffer {
  if (!(sab instanceof SharedArrayBuffer)) throw new NativeArgumentError('aliasArrayBuffer needs a SharedArrayBuffer');
  if (!Number.isSafeInteger(byteOffset) || !Number.isSafeInteger(byteLength) || byteOffset < 0 || byteLength < 0 ||
      byteOffset + byteLength > sab.byteLength) {
    throw new NativeArgumentError(
      `range [${byteOffset}, ${byteOffset + byteLength}) does not fit a SharedArrayBuffer of ${sab.byteLength} bytes`,
    );
  }
  const binding = loadNative();
  try {
    return binding.aliasArrayBuffer(new Uint8Array(sab, byteOffset, byteLength), sab);
  } catch (err) {
    throw fromNativeError(err);
  }
}

let lastShared: SharedArrayBuffer | undefined;
let lastWhole: ArrayBuffer | undefined;

/**
 * An ArrayBuffer aliasing the whole of `sab`, kept for the next call with the same one. Views of shared memory
 * handed to libraries (model inputs, request bodies) are made over it: V8 counts every alias as external
 * memory, and one alias per view (per request, per model run) drove major GCs. One entry only, because an
 * alias keeps its SharedArrayBuffer alive; in a runtime's threads it is the object store's arena.
 */
export function aliasWhole(sab: SharedArrayBuffer): ArrayBuffer {
  if (sab !== lastShared) {
    lastWhole = aliasArrayBuffer(sab);
    lastShared = sab;
  }
  return lastWhole!;
}
