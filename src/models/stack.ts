// Batch helpers: many per-request tensors into one batch buffer (padding ragged
// dims up to the largest), and one batch output back into per-request views.
// The copies are serve's stack/unstack (the addon's gather and scatter where it is built, their TypeScript
// reference where not): one pad/stack implementation.
import { allocateData, elementCount, type TensorData, type TensorDtype, type TensorLike } from './tensor.ts';
import { DTypeMismatchError, EmptyBatchError, RankMismatchError, TensorShapeError, fillBitsOf } from '../native/index.ts';
import { stack, unstack, type CopyPath } from '../serve/tensor-batch.ts';

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
  gatherRows(tensors, dtype, out, data, padValue, options.path);
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
  const [cropped] = unstack({ dtype: t.dtype, shape: [1, ...t.shape], data: t.data }, [[...shape]], { copy: true });
  return cropped!;
}

/**
 * Concatenation as serve's stack (the addon's gather, or its TypeScript reference): every row of every input (a
 * view, no copy) is one tensor to stack, padded to the batch row.
 */
function gatherRows(tensors: readonly TensorLike[], dtype: TensorDtype, out: number[], data: TensorData, padValue: number, path: CopyPath | undefined): void {
  const rows: TensorLike[] = [];
  for (const t of tensors) {
    const rowShape = t.shape.slice(1);
    const rowSize = elementCount(rowShape);
    for (let r = 0; r < t.shape[0]; r++) rows.push({ dtype, shape: rowShape, data: t.data.subarray(r * rowSize, (r + 1) * rowSize) as TensorData } as TensorLike);
  }
  if (rows.length === 0) return; // no rows: an empty batch, nothing to copy
  // A models' pad means what array.fill makes of it (float16 as raw bits, -1 in uint16 as 65535).
  stack(rows, { padBits: fillBitsOf(dtype, padValue), padTo: out.slice(1), out: data, path });
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
