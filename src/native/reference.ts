// Plain TypeScript gather and scatter: the specification the addon is tested
// against, and the implementation used when the binary is missing.
import { NativeArgumentError, TensorShapeError } from './errors.ts';
import { planGather, typedPad, type BatchLayout } from './layout.ts';
import { ARRAY_OF, elementCount, type Tensor, type TensorData } from './tensor.ts';
import type { GatherOptions, GatherResult, ScatterLengths, ScatterOptions } from './types.ts';

function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let d = dims.length - 2; d >= 0; d--) s[d] = s[d + 1]! * dims[d + 1]!;
  return s;
}

/** Writes the tensors into `out` (already sized) as rows of shape `row`, every other element `pad` (a typed element). */
export function fillBatch(tensors: readonly Tensor[], row: readonly number[], out: TensorData, pad: number | bigint): void {
  const rowElems = elementCount(row);
  (out as Float32Array).fill(pad as number);
  const dst = strides(row);
  tensors.forEach((t, b) => {
    const src = strides(t.shape);
    const base = b * rowElems;
    const rank = t.shape.length;
    if (rank === 0 || t.shape.every((d, i) => d === row[i])) {
      (out as Float32Array).set(t.data as Float32Array, base);
      return;
    }
    // Copy innermost runs; the pad is already in place.
    const inner = t.shape[rank - 1]!;
    const outer = elementCount(t.shape.slice(0, -1));
    const coord = new Array<number>(rank - 1).fill(0);
    for (let o = 0; o < outer; o++) {
      let s = 0;
      let d0 = base;
      for (let k = 0; k < rank - 1; k++) {
        s += coord[k]! * src[k]!;
        d0 += coord[k]! * dst[k]!;
      }
      (out as Float32Array).set((t.data as Float32Array).subarray(s, s + inner), d0);
      for (let k = rank - 2; k >= 0; k--) {
        if (++coord[k]! < t.shape[k]!) break;
        coord[k] = 0;
      }
    }
  });
}

export function gatherReference(tensors: readonly Tensor[], options: GatherOptions = {}): GatherResult {
  const layout = planGather(tensors, options);
  const n = layout.rows * elementCount(layout.row);
  const out = options.out ?? new ARRAY_OF[layout.dtype](n);
  checkOut(out, layout, n);
  fillBatch(tensors, layout.row, out, typedPad(layout));
  return resultOf(layout, out, tensors.length);
}

export function checkOut(out: TensorData, layout: BatchLayout, n: number): void {
  if (!(out instanceof (ARRAY_OF[layout.dtype] as unknown as typeof Uint8Array)) || out.length !== n) {
    throw new TensorShapeError(
      `options.out must be a ${ARRAY_OF[layout.dtype].name} of ${n} elements for a [${layout.rows}, ${layout.row}] batch`,
    );
  }
}

export function resultOf(layout: BatchLayout, out: TensorData, count: number): GatherResult {
  return {
    batch: { dtype: layout.dtype, shape: [layout.rows, ...layout.row], data: out } as Tensor,
    lengths: layout.lengths,
    padDims: layout.padDims,
    count,
  };
}

export interface ScatterItem {
  index: number;
  /** The request's row shape after cropping. */
  crop: number[];
  /** True when the cropped data is a contiguous prefix of the row, so a view serves. */
  view: boolean;
}

/** Works out, per request, the crop shape and whether a view suffices. */
export function planScatter(batch: Tensor, lengths: ScatterLengths, options: ScatterOptions = {}): ScatterItem[] {
  if (!batch || !Array.isArray(batch.shape) || batch.shape.length < 1) {
    throw new TensorShapeError('scatter needs a batch tensor with a leading batch axis');
  }
  if (batch.data.length !== elementCount(batch.shape)) {
    throw new TensorShapeError(`the batch has shape [${batch.shape}] but ${batch.data.length} elements of data`);
  }
  const row = batch.shape.slice(1);
  let rows: readonly (readonly number[])[];
  if (typeof lengths === 'number') {
    rows = Array.from({ length: lengths }, () => []);
  } else if (lengths.length > 0 && typeof lengths[0] === 'number') {
    rows = (lengths as readonly number[]).map((l) => [l]);
  } else {
    rows = lengths as readonly (readonly number[])[];
  }
  if (rows.length > batch.shape[0]!) {
    throw new TensorShapeError(`scatter asked for ${rows.length} requests from a batch of ${batch.shape[0]}`);
  }
  const width = rows.reduce((m, r) => Math.max(m, r.length), 0);
  const dims = [...(options.dims ?? Array.from({ length: width }, (_, i) => i))];
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d >= row.length) {
      throw new NativeArgumentError(`scatter dims entry ${d} is not a dimension of the batch rows [${row}]`);
    }
  }
  return rows.map((r, index) => {
    if (r.length !== dims.length) {
      throw new NativeArgumentError(`lengths of request ${index} has ${r.length} entries but dims has ${dims.length}`);
    }
    const crop = [...row];
    r.forEach((len, k) => {
      const d = dims[k]!;
      if (!Number.isSafeInteger(len) || len < 0 || len > row[d]!) {
        throw new TensorShapeError(`length ${len} of request ${index} does not fit dimension ${d} of size ${row[d]}`);
      }
      crop[d] = len;
    });
    // Only the leading dimension cropped: the data is a prefix of the row.
    const view = crop.every((c, d) => d === 0 || c === row[d]);
    return { index, crop, view };
  });
}

export function scatterReference(batch: Tensor, lengths: ScatterLengths, options: ScatterOptions = {}): Tensor[] {
  const items = planScatter(batch, lengths, options);
  const row = batch.shape.slice(1);
  const rowElems = elementCount(row);
  return items.map(({ index, crop, view }) => {
    const base = index * rowElems;
    const n = elementCount(crop);
    if (view) {
      const v = (batch.data as Float32Array).subarray(base, base + n);
      return { dtype: batch.dtype, shape: crop, data: (options.copy ? v.slice() : v) as unknown } as Tensor;
    }
    const out = new ARRAY_OF[batch.dtype](n) as Float32Array;
    const src = strides(row);
    const dst = strides(crop);
    const rank = crop.length;
    const inner = crop[rank - 1]!;
    const outer = elementCount(crop.slice(0, -1));
    const coord = new Array<number>(rank - 1).fill(0);
    for (let o = 0; o < outer; o++) {
      let s = base;
      let d0 = 0;
      for (let k = 0; k < rank - 1; k++) {
        s += coord[k]! * src[k]!;
        d0 += coord[k]! * dst[k]!;
      }
      out.set((batch.data as Float32Array).subarray(s, s + inner), d0);
      for (let k = rank - 2; k >= 0; k--) {
        if (++coord[k]! < crop[k]!) break;
        coord[k] = 0;
      }
    }
    return { dtype: batch.dtype, shape: crop, data: out as unknown } as Tensor;
  });
}
