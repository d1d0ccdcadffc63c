// stack / unstack: the tensors of a batch's calls into one batch tensor along a new
// first axis (padding ragged dimensions), and a batch output back into one tensor
// per call (cropping the padding). The copies run in the native addon where it is
// built and in TypeScript otherwise; both give the same bytes and the same errors.
import {
  DTypeMismatchError, EmptyBatchError, NativeArgumentError, RankMismatchError, TensorShapeError,
  dataMatchesDtype, fromNativeError, gather, gatherReference, loadNative, nativeAvailable, scatter, scatterReference,
  type Dtype, type Tensor, type TensorData,
} from '../native/index.ts';

export type { Dtype, Tensor, TensorData } from '../native/index.ts';

/** Which copy path runs: the addon where built ('auto', the default), or one forced (tests, benchmarks). */
export type CopyPath = 'auto' | 'native' | 'typescript';

export interface StackOptions {
  /** Value of padded elements (default 0): it must fit the dtype; a bigint or safe integer for 64-bit integers. */
  padValue?: number | bigint | boolean;
  /**
   * The row shape (without the batch axis) to pad every tensor to, for models with fixed input sizes.
   * An entry that is null or undefined takes the largest size in the batch. A tensor larger than its
   * entry is an error: stack never crops.
   */
  padTo?: readonly (number | null | undefined)[];
  /** Rows of the batch axis, for models with a fixed batch size (default: one per tensor); extra rows are padding. */
  batchSize?: number;
  /** Array to write the batch into; it must hold exactly the batch. */
  out?: TensorData;
  path?: CopyPath;
  /** The pad as the raw bits of one element, instead of padValue (models' batches: any dtype through a same-width view). */
  padBits?: bigint;
}

export interface Stacked<D extends Dtype = Dtype> {
  /** [batchSize, ...row] */
  batch: Tensor<D>;
  /** Each input's own shape: what unstack needs to crop the padding off again. */
  shapes: number[][];
  /** The padded row shape. */
  row: number[];
  /** Number of input tensors. */
  count: number;
}

export interface UnstackOptions {
  /** Copy every result out of the batch memory; by default a result that is a contiguous prefix of its row is a view. */
  copy?: boolean;
  path?: CopyPath;
}


function useNative(path: CopyPath | undefined): boolean {
  if (path === 'typescript') return false;
  if (path === 'native') {
    loadNative(); // throws NativeMissingError naming the build command
    return true;
  }
  if (path !== undefined && path !== 'auto') throw new NativeArgumentError(`path must be 'auto', 'native' or 'typescript', got ${String(path)}`);
  return nativeAvailable();
}

/**
 * Stacks tensors of one dtype and rank along a new first axis. Dimensions whose sizes differ are padded
 * with padValue to the largest (or to padTo); `shapes` keeps each input's own shape for unstack.
 */
export function stack<D extends Dtype>(tensors: readonly Tensor<D>[], options: StackOptions = {}): Stacked<D> {
  const native = useNative(options.path);
  if (!Array.isArray(tensors) || tensors.length === 0) throw new EmptyBatchError('stack needs at least one tensor: got an empty list');
  // Every dimension may differ: the native layer's gather with all of them padded, the one pad/stack there is.
  const rank = Array.isArray(tensors[0]?.shape) ? tensors[0].shape.length : 0;
  const gatherOptions = {
    padDims: Array.from({ length: rank }, (_, d) => d),
    ...(options.padTo !== undefined ? { padTo: options.padTo } : {}),
    ...(options.padValue !== undefined ? { padValue: options.padValue } : {}),
    ...(options.padBits !== undefined ? { padBits: options.padBits } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.out !== undefined ? { out: options.out } : {}),
  };
  const result = native ? gather(tensors, gatherOptions) : gatherReference(tensors, gatherOptions);
  return {
    batch: result.batch as Tensor<D>,
    shapes: tensors.map(t => [...t.shape]),
    row: result.batch.shape.slice(1),
    count: tensors.length,
  };
}

/**
 * Splits a batch tensor along its first axis into one tensor per call, cropped to `lengths`:
 * - the `shapes` stack returned (each call's full shape: every dimension is cropped),
 * - a list of numbers (each call's size along the first row dimension, as for sequences),
 * - or a count (the first `count` rows, uncropped; rows past it are padding rows of batchSize).
 */
export function unstack<D extends Dtype>(batch: Tensor<D>, lengths: readonly (readonly number[])[] | readonly number[] | number, options: UnstackOptions = {}): Tensor<D>[] {
  const native = useNative(options.path);
  if (!batch || typeof batch !== 'object' || !Array.isArray(batch.shape) || batch.shape.length < 1) {
    throw new TensorShapeError('unstack needs a batch tensor { dtype, shape, data } with a leading batch axis');
  }
  if (!dataMatchesDtype(batch.dtype, batch.data)) {
    throw new DTypeMismatchError(`unstack: the batch is ${String(batch.dtype)} but its data is a ${(batch.data as object)?.constructor?.name ?? typeof batch.data}`);
  }
  const rank = batch.shape.length - 1;
  let dims: number[] | undefined;
  if (typeof lengths !== 'number' && lengths.length > 0 && Array.isArray(lengths[0])) {
    for (const [i, shape] of (lengths as readonly (readonly number[])[]).entries()) {
      if (!Array.isArray(shape) || shape.length !== rank) {
        throw new RankMismatchError(`unstack: shape ${i} is [${shape}] but the batch rows have rank ${rank} ([${batch.shape.slice(1)}])`);
      }
    }
    dims = Array.from({ length: rank }, (_, d) => d);
  }
  const scatterOptions = { copy: options.copy ?? false, ...(dims ? { dims } : {}) };
  try {
    return (native ? scatter(batch, lengths, scatterOptions) : scatterReference(batch, lengths, scatterOptions)) as Tensor<D>[];
  } catch (err) {
    throw fromNativeError(err);
  }
}
