// Checks the tensors of one gather and works out the batch layout: the padded
// row shape, true lengths, and the pad value's raw bits. Pure; shared by the
// native path and the TypeScript reference, so both reject the same inputs.
import { DTypeMismatchError, EmptyBatchError, NativeArgumentError, RankMismatchError, TensorShapeError } from './errors.ts';
import { checkTensor, elementOfBits, padBitsOf, type Dtype, type Tensor } from './tensor.ts';
import type { GatherOptions } from './types.ts';

export interface BatchLayout {
  dtype: Dtype;
  /** Padded request shape (no batch axis). */
  row: number[];
  rows: number;
  padDims: number[];
  lengths: number[][];
  padBits: bigint;
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
  if (options.padTo !== undefined) applyPadTo(tensors, row, options.padTo);
  const rows = options.batchSize ?? tensors.length;
  if (!Number.isSafeInteger(rows) || rows < tensors.length) {
    throw new NativeArgumentError(`batchSize ${rows} is smaller than the ${tensors.length} tensors to gather`);
  }
  return {
    dtype: first.dtype,
    row,
    rows,
    padDims,
    lengths: tensors.map((t) => padDims.map((d) => t.shape[d]!)),
    padBits: options.padBits ?? padBitsOf(first.dtype, options.padValue ?? 0),
  };
}

/** Raises the row to padTo where given; a tensor larger than its entry is refused. */
function applyPadTo(tensors: readonly Tensor[], row: number[], padTo: NonNullable<GatherOptions['padTo']>): void {
  if (!Array.isArray(padTo) || padTo.length !== row.length) {
    throw new NativeArgumentError(`padTo must list ${row.length} sizes (one per dimension of the tensors, null for "largest"), got ${JSON.stringify(padTo)}`);
  }
  padTo.forEach((size, d) => {
    if (size === null || size === undefined) return;
    if (!Number.isSafeInteger(size) || size < 0) throw new NativeArgumentError(`padTo[${d}] must be a non-negative integer, got ${size}`);
    if (size < row[d]!) {
      const i = tensors.findIndex((t) => t.shape[d]! > size);
      throw new TensorShapeError(
        `tensor ${i} has size ${tensors[i]!.shape[d]} in dimension ${d} ([${tensors[i]!.shape}]) but padTo[${d}] is ${size}; stack pads, it never crops`,
        { details: { index: i, dim: d, size: tensors[i]!.shape[d], padTo: size } },
      );
    }
    row[d] = size;
  });
}

/** The typed pad value to `.fill` arrays of the dtype with. */
export function typedPad(layout: BatchLayout): number | bigint {
  return elementOfBits(layout.dtype, layout.padBits);
}
