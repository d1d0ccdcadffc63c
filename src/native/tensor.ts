// troupe's one tensor type and one dtype list: what the addon's bindings, the object store, models and @batch
// take and return. Pure TypeScript (it never loads the addon), in layer 0 because the bindings are its lowest user.
import { DTypeMismatchError, DetachedBufferError, NativeArgumentError, TensorShapeError } from './errors.ts';

/** Element types, named as ONNX Runtime names them. */
export const DTYPES = [
  'float32', 'float64', 'float16', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool',
] as const;

export type Dtype = (typeof DTYPES)[number];

/** The typed array each dtype's data comes in. Node 20 has no Float16Array: float16 travels as raw 16-bit words and
 * bool as one byte each, as onnxruntime-node passes them. */
export interface DataOf {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  uint64: BigUint64Array;
  bool: Uint8Array;
}

export type TensorData = DataOf[Dtype];

/** Every typed array class, Uint8ClampedArray included (the store takes its bytes as uint8). */
export type TypedArray = TensorData | Uint8ClampedArray;

export interface Tensor<D extends Dtype = Dtype> {
  readonly dtype: D;
  /** Dimensions, without a batch axis unless the tensor is a batch. */
  readonly shape: readonly number[];
  readonly data: DataOf[D];
}

export interface TypedArrayClass<T extends TensorData = TensorData> {
  new (length: number): T;
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): T;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
}

/** The typed-array class of each dtype. */
export const ARRAY_OF = {
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
} as unknown as { readonly [D in Dtype]: TypedArrayClass<DataOf[D]> };

export function isDtype(value: unknown): value is Dtype {
  return typeof value === 'string' && Object.hasOwn(ARRAY_OF, value);
}

/** The typed-array class that holds elements of `dtype`; DTypeMismatchError for a name not in DTYPES. */
export function typedArrayFor<D extends Dtype>(dtype: D): TypedArrayClass<DataOf[D]> {
  if (!isDtype(dtype)) throw new DTypeMismatchError(`unknown dtype ${JSON.stringify(dtype)}: use one of ${DTYPES.join(', ')}`);
  return ARRAY_OF[dtype];
}

/** Bytes per element of `dtype`. */
export function dtypeBytes(dtype: Dtype): number {
  return typedArrayFor(dtype).BYTES_PER_ELEMENT;
}

/** A new zero-filled array for `length` elements of `dtype`. */
export function allocateData<D extends Dtype>(dtype: D, length: number): DataOf[D] {
  return new (typedArrayFor(dtype))(length);
}

/** Whether `data` is the typed array that holds `dtype` (Uint8Array for bool, Uint16Array for float16). */
export function dataMatchesDtype(dtype: Dtype, data: unknown): boolean {
  return isDtype(dtype) && data instanceof (ARRAY_OF[dtype] as unknown as typeof Uint8Array);
}

/** The dtype a typed array stands for when it comes without one (Uint16Array: uint16, never float16). */
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

/** Elements a shape holds (no checks: see checkTensor). */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Shapes the addon takes: a rank above this is refused by every binding. */
export const MAX_RANK = 8;

/** Checks one tensor: a known dtype, data of its class, a shape whose size is the data's length. */
export function checkTensor(t: Tensor, index = 0, what = 'tensor'): void {
  if (t === null || typeof t !== 'object') throw new NativeArgumentError(`${what} ${index} is not a tensor object`);
  if (!isDtype(t.dtype)) {
    throw new DTypeMismatchError(`${what} ${index} has unknown dtype '${String(t.dtype)}': use one of ${DTYPES.join(', ')}`);
  }
  const cls = ARRAY_OF[t.dtype];
  if (!dataMatchesDtype(t.dtype, t.data)) {
    const got = (t.data as object | undefined)?.constructor?.name ?? typeof t.data;
    throw new DTypeMismatchError(`${what} ${index} is ${t.dtype} but its data is a ${got}; ${t.dtype} needs a ${cls.name}`);
  }
  if (!Array.isArray(t.shape) || t.shape.length > MAX_RANK) {
    throw new TensorShapeError(`${what} ${index} needs a shape array of rank at most ${MAX_RANK}`);
  }
  for (const d of t.shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new TensorShapeError(`${what} ${index} has a bad dimension ${d} in [${t.shape}]`);
  }
  const n = elementCount(t.shape);
  if (t.data.length !== n) {
    if (t.data.length === 0 && t.data.buffer.byteLength === 0 && n > 0) {
      throw new DetachedBufferError(
        `${what} ${index} is backed by a detached ArrayBuffer (it was transferred to another thread): pass data this thread still owns`,
      );
    }
    throw new TensorShapeError(
      `${what} ${index} has shape [${t.shape}] (${n} elements) but ${t.data.length} elements of data`,
      { details: { index, expected: n, actual: t.data.length } },
    );
  }
}

/** Builds a tensor (zero-filled when no data is given), checked as checkTensor checks. */
export function tensor<D extends Dtype>(dtype: D, shape: readonly number[], data?: DataOf[D]): Tensor<D> {
  if (!isDtype(dtype)) throw new DTypeMismatchError(`unknown dtype ${JSON.stringify(dtype)}: use one of ${DTYPES.join(', ')}`);
  const t = { dtype, shape: [...shape], data: data ?? allocateData(dtype, Array.isArray(shape) ? elementCount(shape) : 0) };
  checkTensor(t as Tensor);
  return t;
}

export function isTensor(value: unknown): value is Tensor {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Tensor>;
  return typeof v.dtype === 'string' && Array.isArray(v.shape) && ArrayBuffer.isView(v.data);
}

// The addon copies elements by width only: any dtype goes through as the addon's type of the same width.
const RAW_OF_WIDTH: Record<number, 'uint8' | 'float16' | 'int32' | 'int64'> = { 1: 'uint8', 2: 'float16', 4: 'int32', 8: 'int64' };

/** The array of a tensor's bytes as the addon's dtype of the same element width (no copy). */
export function rawView(dtype: Dtype, data: TensorData): { dtype: 'uint8' | 'float16' | 'int32' | 'int64'; data: TensorData } {
  const as = RAW_OF_WIDTH[data.BYTES_PER_ELEMENT]!;
  if (as === dtype) return { dtype: as, data };
  return { dtype: as, data: new ARRAY_OF[as](data.buffer, data.byteOffset, data.length) };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half precision bits of a number (round to nearest even). */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  return sign | half;
}

const INT_RANGE: Partial<Record<Dtype, [bigint, bigint]>> = {
  int8: [-(2n ** 7n), 2n ** 7n - 1n],
  uint8: [0n, 255n],
  bool: [0n, 1n],
  int16: [-(2n ** 15n), 2n ** 15n - 1n],
  uint16: [0n, 2n ** 16n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

/**
 * A pad value as the raw bits of one element of `dtype` (what the addon fills with): floats are rounded to the
 * dtype, integers must fit it (a bigint or a safe integer), bool is 0 or 1 (or false/true).
 */
export function padBitsOf(dtype: Dtype, value: number | bigint | boolean): bigint {
  const bad = (why: string) => new NativeArgumentError(`padValue ${String(value)} ${why}`);
  if (!isDtype(dtype)) throw new DTypeMismatchError(`unknown dtype '${String(dtype)}': use one of ${DTYPES.join(', ')}`);
  if (typeof value === 'boolean') value = value ? 1 : 0;
  switch (dtype) {
    case 'float16':
      return BigInt(toFloat16Bits(Number(value)));
    case 'float32':
      f32[0] = Number(value);
      return BigInt(u32[0]!);
    case 'float64': {
      const bits = new BigUint64Array(new Float64Array([Number(value)]).buffer);
      return bits[0]!;
    }
    default: {
      if (typeof value === 'number' && !Number.isSafeInteger(value)) throw bad(`is not a safe integer, as ${dtype} needs (pass a bigint for 64-bit values)`);
      const v = BigInt(value);
      const [lo, hi] = INT_RANGE[dtype]!;
      if (v < lo || v > hi) throw bad(`does not fit ${dtype}: use an integer from ${lo} to ${hi}`);
      return BigInt.asUintN(dtypeBytes(dtype) * 8, v);
    }
  }
}

/** The element whose raw bits are `bits`, as `.fill` on an array of `dtype` takes it. */
export function elementOfBits(dtype: Dtype, bits: bigint): number | bigint {
  const one = new ARRAY_OF[dtype](1);
  const raw = rawView(dtype, one).data;
  if (raw instanceof BigInt64Array) raw[0] = BigInt.asIntN(64, bits);
  else raw[0] = Number(raw instanceof Int32Array ? BigInt.asIntN(32, bits) : bits);
  return one[0]!;
}

/** The raw bits `array.fill(value)` stores in one element of `dtype` (no range check: fill's own conversion). */
export function fillBitsOf(dtype: Dtype, value: number | bigint): bigint {
  const one = new ARRAY_OF[dtype](1);
  if (one instanceof BigInt64Array || one instanceof BigUint64Array) one[0] = BigInt(value);
  else one[0] = Number(value);
  const raw = rawView(dtype, one).data;
  return BigInt.asUintN(one.BYTES_PER_ELEMENT * 8, BigInt(raw[0]!));
}
