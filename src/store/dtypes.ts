// Tensor element types: the names onnxruntime uses, their typed-array classes and their codes in shared memory.
import { InvalidTensorError } from './errors.ts';

export type Dtype =
  | 'float32' | 'float64' | 'float16'
  | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64'
  | 'bool';

export type TypedArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array
  | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

type TypedArrayClass = {
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TypedArray;
  new (length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
};

interface DtypeInfo {
  readonly code: number;
  readonly ctor: TypedArrayClass;
  readonly bytes: number;
}

// Codes are stored in the object table: never renumber them.
const table: Record<Dtype, DtypeInfo> = {
  float32: { code: 1, ctor: Float32Array, bytes: 4 },
  float64: { code: 2, ctor: Float64Array, bytes: 8 },
  int8: { code: 3, ctor: Int8Array, bytes: 1 },
  uint8: { code: 4, ctor: Uint8Array, bytes: 1 },
  int16: { code: 5, ctor: Int16Array, bytes: 2 },
  uint16: { code: 6, ctor: Uint16Array, bytes: 2 },
  int32: { code: 7, ctor: Int32Array, bytes: 4 },
  uint32: { code: 8, ctor: Uint32Array, bytes: 4 },
  int64: { code: 9, ctor: BigInt64Array, bytes: 8 },
  uint64: { code: 10, ctor: BigUint64Array, bytes: 8 },
  bool: { code: 11, ctor: Uint8Array, bytes: 1 },
  // Node 20 has no Float16Array: half floats travel as their raw 16-bit patterns, as onnxruntime-node does.
  float16: { code: 12, ctor: Uint16Array, bytes: 2 },
};

const byCode: Dtype[] = [];
for (const [name, info] of Object.entries(table)) byCode[info.code] = name as Dtype;

export const DTYPES: readonly Dtype[] = Object.keys(table) as Dtype[];

export function isDtype(value: unknown): value is Dtype {
  return typeof value === 'string' && Object.hasOwn(table, value);
}

export function dtypeInfo(dtype: Dtype): DtypeInfo {
  const info = isDtype(dtype) ? table[dtype] : undefined;
  if (!info) throw new InvalidTensorError(`unknown dtype ${JSON.stringify(dtype)}: use one of ${DTYPES.join(', ')}`, { dtype });
  return info;
}

export function dtypeFromCode(code: number): Dtype | undefined {
  return byCode[code];
}

/** The dtype a typed array stands for when it is put without one. */
export function dtypeOfArray(data: ArrayBufferView): Dtype {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint32Array) return 'uint32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof BigUint64Array) return 'uint64';
  // DataView and other views: their bytes.
  return 'uint8';
}

/** Number of elements a shape holds; throws on negative, fractional or non-finite dimensions. */
export function shapeSize(shape: readonly number[]): number {
  if (!Array.isArray(shape)) throw new InvalidTensorError('shape must be an array of non-negative integers', { shape });
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new InvalidTensorError(`shape ${JSON.stringify(shape)} has a bad dimension ${String(d)}: dimensions are non-negative integers`, { shape });
    }
    n *= d;
  }
  return n;
}
