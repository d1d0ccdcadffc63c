// onnxruntime-node refuses typed arrays over a SharedArrayBuffer (object-store
// memory). Such inputs are handed over as an ordinary ArrayBuffer aliasing the same
// bytes when the native addon is built (no copy), and copied otherwise.
import { aliasArrayBuffer } from '../native/index.ts';
import type { TensorData } from './tensor.ts';

export interface OrtInputData {
  data: TensorData;
  /** 'plain' (already an ArrayBuffer), 'alias' (zero-copy view of shared memory) or 'copy'. */
  via: 'plain' | 'alias' | 'copy';
}

let aliasUnavailable = false;
/** An alias of the whole of the last SharedArrayBuffer seen (in a replica: its runtime's arena), not one per
 *  input: V8 counts every aliased ArrayBuffer as external memory, and one per run drove major GCs. One entry
 *  only, because an alias keeps its SharedArrayBuffer alive. */
let lastShared: SharedArrayBuffer | undefined;
let lastAlias: ArrayBuffer | undefined;

export function ortInputData(data: TensorData): OrtInputData {
  if (!(data.buffer instanceof SharedArrayBuffer)) return { data, via: 'plain' };
  const Ctor = data.constructor as { new (buffer: ArrayBuffer, byteOffset: number, length: number): TensorData; new (length: number): TensorData };
  if (!aliasUnavailable) {
    try {
      if (data.buffer !== lastShared) {
        lastAlias = aliasArrayBuffer(data.buffer, 0, data.buffer.byteLength);
        lastShared = data.buffer;
      }
      return { data: new Ctor(lastAlias!, data.byteOffset, data.length), via: 'alias' };
    } catch {
      aliasUnavailable = true; // addon not built in this checkout: copy from now on
    }
  }
  const copy = new Ctor(data.length);
  (copy as Float32Array).set(data as Float32Array);
  return { data: copy, via: 'copy' };
}
