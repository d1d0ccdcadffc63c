// The plain tensor shape troupe passes around: a dtype name, a shape and a typed
// array. Object-store tensor views have the same three fields, so they can be fed
// to a model without a copy (ONNX Runtime wraps the typed array in place).
import { DTypeMismatchError, TensorShapeError } from '../native/index.ts';
import { DTYPES, dtypeInfo, isDtype, type Dtype } from '../store/index.ts';

/** The store's dtype list: one list of element types for the store, models and batches. */
export type TensorDtype = Dtype;

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
const ctorByDtype = Object.fromEntries(DTYPES.map((d) => [d, dtypeInfo(d).ctor])) as unknown as Record<TensorDtype, TypedArrayCtor>;

export const tensorDtypes: readonly TensorDtype[] = DTYPES;

export function isTensorDtype(value: unknown): value is TensorDtype {
  return isDtype(value);
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
