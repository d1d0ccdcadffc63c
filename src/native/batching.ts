// gather / scatter on host memory: the addon where it is built, the TypeScript
// reference where it is not, with the same checks and results either way.
import { nativeAvailable, loadNative, type RawTensor } from './binding.ts';
import { fromNativeError } from './errors.ts';
import { planGather, typedPad, type BatchLayout } from './layout.ts';
import { checkOut, fillBatch, planScatter, resultOf, scatterReference } from './reference.ts';
import { ARRAY_OF, elementCount, rawView, type Tensor, type TensorData } from './tensor.ts';
import type { GatherOptions, GatherResult, ScatterLengths, ScatterOptions } from './types.ts';

/** The tensors as the addon takes them: each dtype as the addon's type of its element width (views, no copy). */
export function rawTensors(tensors: readonly Tensor[]): RawTensor[] {
  return tensors.map((t) => ({ shape: t.shape as number[], ...rawView(t.dtype, t.data) }));
}

function prepare(tensors: readonly Tensor[], options: GatherOptions): { layout: BatchLayout; out: TensorData } {
  const layout = planGather(tensors, options);
  const n = layout.rows * elementCount(layout.row);
  const out = options.out ?? new ARRAY_OF[layout.dtype](n);
  checkOut(out, layout, n);
  return { layout, out };
}

/**
 * Stacks request tensors into one batch along a new first axis, padding `padDims` to the batch maximum
 * (or bucket). Synchronous: for large batches off the event loop use gatherAsync.
 */
export function gather(tensors: readonly Tensor[], options: GatherOptions = {}): GatherResult {
  const { layout, out } = prepare(tensors, options);
  if (nativeAvailable()) {
    try {
      loadNative().gather(rawTensors(tensors), rawView(layout.dtype, out).data, layout.row, layout.rows, layout.padBits);
    } catch (err) {
      throw fromNativeError(err);
    }
  } else {
    fillBatch(tensors, layout.row, out, typedPad(layout));
  }
  return resultOf(layout, out, tensors.length);
}

/** gather on the libuv thread pool; the input and output arrays must not change until it settles. */
export async function gatherAsync(tensors: readonly Tensor[], options: GatherOptions = {}): Promise<GatherResult> {
  const { layout, out } = prepare(tensors, options);
  if (nativeAvailable()) {
    try {
      await loadNative().gatherAsync(rawTensors(tensors), rawView(layout.dtype, out).data, layout.row, layout.rows, layout.padBits);
    } catch (err) {
      throw fromNativeError(err);
    }
  } else {
    fillBatch(tensors, layout.row, out, typedPad(layout));
  }
  return resultOf(layout, out, tensors.length);
}

/**
 * Splits a batch output into per-request tensors cropped to their true lengths. A request whose crop
 * touches only the first row dimension is a view into the batch (no copy) unless `copy` is set.
 */
export function scatter(batch: Tensor, lengths: ScatterLengths, options: ScatterOptions = {}): Tensor[] {
  if (!nativeAvailable()) return scatterReference(batch, lengths, options);
  const items = planScatter(batch, lengths, options);
  const row = batch.shape.slice(1);
  const rowElems = elementCount(row);
  const copies: { index: number; crop: number[]; out: TensorData }[] = [];
  const result = items.map(({ index, crop, view }) => {
    if (view && !options.copy) {
      const base = index * rowElems;
      return { dtype: batch.dtype, shape: crop, data: batch.data.subarray(base, base + elementCount(crop)) } as Tensor;
    }
    const out = new ARRAY_OF[batch.dtype](elementCount(crop));
    copies.push({ index, crop, out });
    return { dtype: batch.dtype, shape: crop, data: out } as Tensor;
  });
  if (copies.length > 0) {
    try {
      loadNative().scatterCrop(batch.data, row, ARRAY_OF[batch.dtype].BYTES_PER_ELEMENT, copies);
    } catch (err) {
      throw fromNativeError(err);
    }
  }
  return result;
}
