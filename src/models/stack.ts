// Batch helpers: many per-request tensors into one batch buffer (padding ragged
// dims up to the largest), and one batch output back into per-request views.
// The copies run in the native addon (serve's stack: gather with padding) where it is built, every dtype
// through a same-width view; the TypeScript loops below stay as the fallback and for odd pad values.
import { allocateData, elementCount, type TensorData, type TensorDtype, type TensorLike } from './tensor.ts';
import { DTypeMismatchError, EmptyBatchError, RankMismatchError, TensorShapeError, type DType, type Tensor, type TensorData as NativeData } from '../native/index.ts';
import { stack, type CopyPath } from '../serve/tensor-batch.ts';

export interface PadOptions {
  /** Value written into padded positions of ragged dims. Default 0. */
  padValue?: number;
  /**
   * Where the batch's memory comes from (default: a fresh array). An allocator may hand out memory that
   * held an earlier batch: every element is written (padding too).
   */
  allocate?: (dtype: TensorDtype, length: number) => TensorData;
  /** Which copy path runs (default 'auto': the addon where built). */
  path?: CopyPath;
}

export interface ConcatResult {
  batch: TensorLike;
  /** Rows (size of dim 0) each input contributed, in order: what `splitTensor` needs. */
  counts: number[];
  /** Each input's own shape before padding. */
  shapes: number[][];
}

/**
 * Concatenates tensors along dim 0 (each already has a leading batch dim), padding
 * every other dim to the largest size among them. All inputs share dtype and rank.
 */
export function concatTensors(tensors: readonly TensorLike[], options: PadOptions = {}): ConcatResult {
  const { dtype, rank } = checkUniform(tensors, 1);
  const shapes = tensors.map((t) => [...t.shape]);
  const out = [0, ...shapes[0].slice(1)];
  for (const s of shapes) {
    out[0] += s[0];
    for (let d = 1; d < rank; d++) if (s[d] > out[d]) out[d] = s[d];
  }
  const padValue = options.padValue ?? 0;
  const length = elementCount(out);
  const data = options.allocate?.(dtype, length) ?? allocateData(dtype, length);
  if (nativeGather(tensors, dtype, out, data, padValue, options.path)) {
    return { batch: { dtype, shape: out, data }, counts: shapes.map((s) => s[0]), shapes };
  }
  // Padded places need the pad value: fresh memory holds zeros, memory from an allocator an earlier batch.
  const padded = shapes.some((s) => s.some((d, i) => i > 0 && d !== out[i]));
  if (padded && (padValue !== 0 || options.allocate)) fill(data, padValue);
  const rowSize = elementCount(out.slice(1));
  let row = 0;
  for (const t of tensors) {
    copyPadded(t.data, t.shape, data, out, row * rowSize);
    row += t.shape[0];
  }
  return { batch: { dtype, shape: out, data }, counts: shapes.map((s) => s[0]), shapes };
}

export interface StackResult {
  batch: TensorLike;
  /** Each input's own shape before padding. */
  shapes: number[][];
}

/** Stacks tensors along a new leading dim, padding ragged dims to the largest. */
export function stackTensors(tensors: readonly TensorLike[], options: PadOptions = {}): StackResult {
  const withBatchDim = tensors.map((t) => ({ dtype: t.dtype, shape: [1, ...t.shape], data: t.data }));
  const { batch, shapes } = concatTensors(withBatchDim, options);
  return { batch, shapes: shapes.map((s) => s.slice(1)) };
}

/**
 * Splits a tensor along dim 0 into pieces of `counts` rows. The pieces are views on
 * the tensor's buffer (no copy); dims other than 0 keep the batch's (padded) size.
 */
export function splitTensor(t: TensorLike, counts: readonly number[]): TensorLike[] {
  if (t.shape.length < 1) throw new TensorShapeError('splitTensor needs a tensor with a leading batch dim');
  const total = counts.reduce((a, b) => a + b, 0);
  if (total !== t.shape[0]) {
    throw new TensorShapeError(`splitTensor: counts add up to ${total} rows but the tensor has ${t.shape[0]}`);
  }
  const rowSize = elementCount(t.shape.slice(1));
  const pieces: TensorLike[] = [];
  let row = 0;
  for (const n of counts) {
    const data = t.data.subarray(row * rowSize, (row + n) * rowSize) as TensorData;
    pieces.push({ dtype: t.dtype, shape: [n, ...t.shape.slice(1)], data });
    row += n;
  }
  return pieces;
}

/** Splits a tensor along dim 0 into one view per row, dropping the batch dim. */
export function unstackTensor(t: TensorLike): TensorLike[] {
  return splitTensor(t, new Array(t.shape[0]).fill(1)).map((p) => ({ dtype: p.dtype, shape: p.shape.slice(1), data: p.data }));
}

/** Copies a tensor out of a padded one: the region [0, shape[d]) of every dim. */
export function cropTensor(t: TensorLike, shape: readonly number[]): TensorLike {
  if (shape.length !== t.shape.length || shape.some((d, i) => d > t.shape[i])) {
    throw new TensorShapeError(`cropTensor: [${shape.join(', ')}] does not fit inside [${t.shape.join(', ')}]`);
  }
  const data = allocateData(t.dtype, elementCount(shape));
  copyRegion(t.data, t.shape, data, shape, shape);
  return { dtype: t.dtype, shape: [...shape], data };
}

/** The addon's dtype of the same element width, and the pad value as that dtype's element (undefined: not exact). */
function sameWidth(dtype: TensorDtype, padValue: number): { as: DType; pad: number | bigint } | undefined {
  // An integer dtype takes an integer pad (the TypeScript fill decides what anything else becomes).
  if (dtype !== 'float32' && dtype !== 'float64' && dtype !== 'float16' && !Number.isSafeInteger(padValue)) return undefined;
  switch (dtype) {
    case 'float32':
    case 'int32':
    case 'uint8':
      return { as: dtype, pad: padValue };
    case 'uint32':
      return { as: 'int32', pad: padValue | 0 };
    case 'int8':
    case 'bool':
      return { as: 'uint8', pad: padValue & 0xff };
    case 'int64':
    case 'uint64':
      return { as: 'int64', pad: BigInt.asIntN(64, BigInt(padValue)) };
    case 'float64':
      return { as: 'int64', pad: new BigInt64Array(Float64Array.of(padValue).buffer)[0]! };
    default:
      // 16-bit: the addon reads a pad value as a float16 number, these take it as raw bits; only 0 is the same.
      return padValue === 0 ? { as: 'float16', pad: 0 } : undefined;
  }
}

const VIEW_OF: Record<DType, { new (buffer: ArrayBufferLike, byteOffset: number, length: number): NativeData }> = {
  float32: Float32Array,
  float16: Uint16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
};

function viewAs(data: TensorData, as: DType): NativeData {
  const cls = VIEW_OF[as];
  return data instanceof cls ? (data as NativeData) : new cls(data.buffer, data.byteOffset, data.length);
}

/**
 * Concatenation as the addon's gather: every row of every input (a view, no copy) becomes one tensor to stack,
 * padded to the batch row. False where the TypeScript path must run (no addon, path 'typescript', an odd pad).
 */
function nativeGather(tensors: readonly TensorLike[], dtype: TensorDtype, out: number[], data: TensorData, padValue: number, path: CopyPath | undefined): boolean {
  if (path === 'typescript') return false;
  const width = sameWidth(dtype, padValue);
  if (!width || out.length - 1 > 8) {
    if (path === 'native') throw new TensorShapeError(`the native copy cannot batch ${dtype} of rank ${out.length - 1} padded with ${padValue}: use path 'auto'`);
    return false;
  }
  const rows: Tensor[] = [];
  for (const t of tensors) {
    const rowShape = t.shape.slice(1);
    const rowSize = elementCount(rowShape);
    const whole = viewAs(t.data, width.as);
    for (let r = 0; r < t.shape[0]; r++) rows.push({ dtype: width.as, shape: rowShape, data: whole.subarray(r * rowSize, (r + 1) * rowSize) } as Tensor);
  }
  if (rows.length === 0) return false;
  try {
    stack(rows, { padValue: width.pad, padTo: out.slice(1), out: viewAs(data, width.as), path: path ?? 'auto' });
  } catch (err) {
    // No addon under 'auto': the TypeScript loops below.
    if (path === undefined || path === 'auto') {
      if ((err as { code?: string }).code === 'TROUPE_ERR_NATIVE_MISSING') return false;
    }
    throw err;
  }
  return true;
}

function checkUniform(tensors: readonly TensorLike[], minRank: number): { dtype: TensorDtype; rank: number } {
  if (tensors.length === 0) throw new EmptyBatchError('cannot batch an empty list of tensors');
  const { dtype } = tensors[0];
  const rank = tensors[0].shape.length;
  if (rank < minRank) throw new RankMismatchError(`tensors to batch need at least ${minRank} dim(s), got rank ${rank}`);
  tensors.forEach((t, i) => {
    if (t.dtype !== dtype) throw new DTypeMismatchError(`tensor ${i} has dtype ${t.dtype}, tensor 0 has ${dtype}: a batch holds one dtype`);
    if (t.shape.length !== rank) throw new RankMismatchError(`tensor ${i} has rank ${t.shape.length}, tensor 0 has ${rank}`);
    if (t.data.length !== elementCount(t.shape)) {
      throw new TensorShapeError(`tensor ${i}: shape [${t.shape.join(', ')}] needs ${elementCount(t.shape)} elements, data has ${t.data.length}`);
    }
  });
  return { dtype, rank };
}

function fill(data: TensorData, value: number): void {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) data.fill(BigInt(value));
  else (data as Float32Array).fill(value);
}

// Copies a dense `srcShape` tensor into the top-left corner of a `dstShape` one starting at `dstOffset`.
function copyPadded(src: TensorData, srcShape: readonly number[], dst: TensorData, dstShape: readonly number[], dstOffset: number): void {
  const rank = srcShape.length;
  const rows = srcShape[0];
  const dstRow = [rows, ...dstShape.slice(1)];
  const view = dst.subarray(dstOffset, dstOffset + elementCount(dstRow)) as TensorData;
  copyRegion(src, srcShape, view, dstRow, srcShape, rank);
}

// Copies region [0, region[d]) of every dim from src (shape srcShape) to dst (shape dstShape), one contiguous run of the last dim at a time.
function copyRegion(
  src: TensorData,
  srcShape: readonly number[],
  dst: TensorData,
  dstShape: readonly number[],
  region: readonly number[],
  rank = region.length,
): void {
  if (rank === 0) {
    (dst as Float32Array)[0] = (src as Float32Array)[0];
    return;
  }
  const srcStrides = strides(srcShape);
  const dstStrides = strides(dstShape);
  const last = region[rank - 1];
  const walk = (dim: number, srcBase: number, dstBase: number): void => {
    if (dim === rank - 1) {
      (dst as Float32Array).set((src as Float32Array).subarray(srcBase, srcBase + last), dstBase);
      return;
    }
    for (let i = 0; i < region[dim]; i++) walk(dim + 1, srcBase + i * srcStrides[dim], dstBase + i * dstStrides[dim]);
  };
  walk(0, 0, 0);
}

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}
