// onnxruntime-node refuses typed arrays over a SharedArrayBuffer (object-store
// memory). Such inputs are handed over as an ordinary ArrayBuffer aliasing the same
// bytes when the native addon is built (no copy), and copied otherwise.
import { aliasWhole } from '../native/index.ts';
import type { TensorData } from './tensor.ts';

export interface OrtInputData {
  data: TensorData;
  /** 'plain' (already an ArrayBuffer), 'alias' (zero-copy view of shared memory) or 'copy'. */
  via: 'plain' | 'alias' | 'copy';
}

let aliasUnavailable = false;

export function ortInputData(data: TensorData): OrtInputData {
  if (!(data.buffer instanceof SharedArrayBuffer)) return { data, via: 'plain' };
  const Ctor = data.constructor as { new (buffer: ArrayBuffer, byteOffset: number, length: number): TensorData; new (length: number): TensorData };
  if (!aliasUnavailable) {
    try {
      return { data: new Ctor(aliasWhole(data.buffer), data.byteOffset, data.length), via: 'alias' };
    } catch {
      aliasUnavailable = true; // addon not built in this checkout: copy from now on
    }
  }
  const copy = new Ctor(data.length);
  (copy as Float32Array).set(data as Float32Array);
  return { data: copy, via: 'copy' };
}
