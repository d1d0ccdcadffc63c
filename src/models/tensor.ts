// The plain tensor shape troupe passes around: a dtype name, a shape and a typed
// array. Object-store tensor views have the same three fields, so they can be fed
// to a model without a copy (ONNX Runtime wraps the typed array in place).
import { DTypeMismatchError, TensorShapeError } from '../native/index.ts';

export type TensorDtype =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool';

export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export interface TensorLike {
  readonly dtype: TensorDtype;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

type TypedArrayCtor = { new (length: number): TensorData; readonly BYTES_PER_ELEMENT: number; readonly name: string };

// float16 travels as raw 16-bit words (what ONNX Runtime accepts on Node 20); bool as one byte each.
const ctorByDtype: Record<TensorDtype, TypedArrayCtor> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

export const tensorDtypes: readonly TensorDtype[] = Object.keys(ctorByDtype) as TensorDtype[];

export function isTensorDtype(value: unknown): value is TensorDtype {
  return typeof value === 'string' && Object.hasOwn(ctorByDtype, value);
}

/** The typed-array class that holds elements of `dtype`. */
export function typedArrayFor(dtype: TensorDtype): TypedArrayCtor {
  return ctorByDtype[dtype];
}

/** A new zero-filled typed array for `length` elements of `dtype`. */
export function allocateData(dtype: TensorDtype, length: number): TensorData {
  return new ctorByDtype[dtype](length);
}

/** Whether `data` is the typed array that holds `dtype` (Uint8Array for bool, Uint16Array for float16). */
export function dataMatchesDtype(dtype: TensorDtype, data: unknown): boolean {
  return data instanceof ctorByDtype[dtype];
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function isTensorLike(value: unknown): value is TensorLike {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<TensorLike>;
  return typeof v.dtype === 'string' && Array.isArray(v.shape) && ArrayBuffer.isView(v.data);
}

/** Builds a tensor, checking that the data fits the shape. */
export function tensor(dtype: TensorDtype, shape: readonly number[], data?: TensorData): TensorLike {
  const length = elementCount(shape);
  const body = data ?? allocateData(dtype, length);
  if (!dataMatchesDtype(dtype, body)) {
    throw new DTypeMismatchError(`tensor data for dtype ${dtype} must be a ${ctorByDtype[dtype].name}, got ${body.constructor.name}`);
  }
  if (body.length !== length) {
    throw new TensorShapeError(`tensor of shape [${shape.join(', ')}] needs ${length} elements, got ${body.length}`);
  }
  return { dtype, shape: [...shape], data: body };
}
