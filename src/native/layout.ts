// Checks the tensors of one gather and works out the batch layout: the padded
// row shape, true lengths, and the pad value's raw bits. Pure; shared by the
// native path and the TypeScript reference, so both reject the same inputs.
import {
  DTypeMismatchError, DetachedBufferError, EmptyBatchError, NativeArgumentError, RankMismatchError, TensorShapeError,
} from './errors.ts';
import type { DType, GatherOptions, Tensor, TensorData } from './types.ts';

export const MAX_RANK = 8;

export const ARRAY_OF: Record<DType, { new (n: number): TensorData; BYTES_PER_ELEMENT: number }> = {
  float32: Float32Array,
  float16: Uint16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
};

export interface BatchLayout {
  dtype: DType;
  /** Padded request shape (no batch axis). */
  row: number[];
  rows: number;
  padDims: number[];
  lengths: number[][];
  padBits: bigint;
  padValue: number | bigint;
}

export function checkTensor(t: Tensor, index: number, what = 'tensor'): void {
  if (t === null || typeof t !== 'object') throw new NativeArgumentError(`${what} ${index} is not a tensor object`);
  const cls = ARRAY_OF[t.dtype as DType];
  if (!cls) {
    throw new DTypeMismatchError(`${what} ${index} has unknown dtype '${String(t.dtype)}': use float32, float16, int32, int64 or uint8`);
  }
  if (!(t.data instanceof (cls as unknown as typeof Float32Array))) {
    throw new DTypeMismatchError(
      `${what} ${index} is ${t.dtype} but its data is a ${t.data?.constructor?.name ?? typeof t.data}; ${t.dtype} needs a ${cls.name}`,
    );
  }
  if (!Array.isArray(t.shape) || t.shape.length > MAX_RANK) {
    throw new TensorShapeError(`${what} ${index} needs a shape array of rank at most ${MAX_RANK}`);
  }
  let n = 1;
  for (const d of t.shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new TensorShapeError(`${what} ${index} has a bad dimension ${d} in [${t.shape}]`);
    n *= d;
  }
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

function roundUp(max: number, bucket: GatherOptions['bucket']): number {
  if (bucket === undefined) return max;
  if (typeof bucket === 'number') {
    if (!Number.isSafeInteger(bucket) || bucket <= 0) throw new NativeArgumentError('bucket must be a positive integer or a list of them');
    return Math.ceil(max / bucket) * bucket;
  }
  let best = Infinity;
  for (const b of bucket) if (b >= max && b < best) best = b;
  return best === Infinity ? max : best;
}

export function planGather(tensors: readonly Tensor[], options: GatherOptions = {}): BatchLayout {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw new EmptyBatchError('gather needs at least one tensor: got an empty list');
  }
  tensors.forEach((t, i) => checkTensor(t, i));
  const first = tensors[0]!;
  const rank = first.shape.length;
  const padDims = [...(options.padDims ?? [])];
  for (const d of padDims) {
    if (!Number.isInteger(d) || d < 0 || d >= rank) {
      throw new NativeArgumentError(`padDims entry ${d} is not a dimension of rank-${rank} tensors`);
    }
  }
  const row = [...first.shape];
  for (let i = 1; i < tensors.length; i++) {
    const t = tensors[i]!;
    if (t.dtype !== first.dtype) {
      throw new DTypeMismatchError(`tensor ${i} is ${t.dtype} but tensor 0 is ${first.dtype}: one gather takes one dtype`);
    }
    if (t.shape.length !== rank) {
      throw new RankMismatchError(`tensor ${i} has rank ${t.shape.length} ([${t.shape}]) but tensor 0 has rank ${rank} ([${first.shape}])`);
    }
    for (let d = 0; d < rank; d++) {
      if (t.shape[d] === row[d]) continue;
      if (!padDims.includes(d)) {
        throw new TensorShapeError(
          `tensor ${i} has shape [${t.shape}] but tensor 0 has [${first.shape}]: dimension ${d} differs and is not in padDims`,
        );
      }
      row[d] = Math.max(row[d]!, t.shape[d]!);
    }
  }
  for (const d of padDims) row[d] = roundUp(row[d]!, options.bucket);
  const rows = options.batchSize ?? tensors.length;
  if (!Number.isSafeInteger(rows) || rows < tensors.length) {
    throw new NativeArgumentError(`batchSize ${rows} is smaller than the ${tensors.length} tensors to gather`);
  }
  const padValue = options.padValue ?? 0;
  return {
    dtype: first.dtype,
    row,
    rows,
    padDims,
    lengths: tensors.map((t) => padDims.map((d) => t.shape[d]!)),
    padBits: padBitsOf(first.dtype, padValue),
    padValue,
  };
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
  let e = exp - 127 + 15;
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

export function padBitsOf(dtype: DType, value: number | bigint): bigint {
  switch (dtype) {
    case 'float32':
      f32[0] = Number(value);
      return BigInt(u32[0]!);
    case 'float16':
      return BigInt(toFloat16Bits(Number(value)));
    case 'int32':
    case 'uint8': {
      const v = Number(value);
      if (!Number.isInteger(v)) throw new NativeArgumentError(`padValue ${value} is not an integer, as ${dtype} needs`);
      return dtype === 'int32' ? BigInt(v | 0) & 0xffffffffn : BigInt(v & 0xff);
    }
    case 'int64': {
      if (typeof value === 'number' && !Number.isInteger(value)) {
        throw new NativeArgumentError(`padValue ${value} is not an integer, as int64 needs`);
      }
      return BigInt.asUintN(64, BigInt(value));
    }
  }
}

export function product(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** The typed pad value to `.fill` arrays of the dtype with. */
export function typedPad(layout: BatchLayout): number | bigint {
  switch (layout.dtype) {
    case 'float16':
      return Number(layout.padBits);
    case 'int64':
      return BigInt.asIntN(64, layout.padBits);
    case 'int32':
      return Number(BigInt.asIntN(32, layout.padBits));
    case 'uint8':
      return Number(layout.padBits);
    default:
      return Number(layout.padValue);
  }
}
