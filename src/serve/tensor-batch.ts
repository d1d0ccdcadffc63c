// stack / unstack: the tensors of a batch's calls into one batch tensor along a new
// first axis (padding ragged dimensions), and a batch output back into one tensor
// per call (cropping the padding). The copies run in the native addon where it is
// built and in TypeScript otherwise; both give the same bytes and the same errors.
import {
  DTypeMismatchError, EmptyBatchError, NativeArgumentError, RankMismatchError, TensorShapeError,
  ARRAY_OF, checkTensor, fillBatch, fromNativeError, loadNative, nativeAvailable, product, scatter, scatterReference, toFloat16Bits,
  type DType, type Tensor, type TensorData,
} from '../native/index.ts';

export type { DType, Tensor, TensorData } from '../native/index.ts';

/** Which copy path runs: the addon where built ('auto', the default), or one forced (tests, benchmarks). */
export type CopyPath = 'auto' | 'native' | 'typescript';

export interface StackOptions {
  /** Value of padded elements (default 0); a bigint or integer for int64, a number for float16. */
  padValue?: number | bigint;
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

export interface Stacked<D extends DType = DType> {
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

/** The padded row: the largest size per dimension, raised to padTo where given. */
function planRow(tensors: readonly Tensor[], padTo: StackOptions['padTo']): number[] {
  const first = tensors[0]!;
  const rank = first.shape.length;
  const row = [...first.shape];
  tensors.forEach((t, i) => {
    if (t.dtype !== first.dtype) throw new DTypeMismatchError(`stack: tensor ${i} is ${t.dtype} but tensor 0 is ${first.dtype}; one batch takes one dtype`);
    if (t.shape.length !== rank) {
      throw new RankMismatchError(`stack: tensor ${i} has rank ${t.shape.length} ([${t.shape}]) but tensor 0 has rank ${rank} ([${first.shape}])`);
    }
    for (let d = 0; d < rank; d++) if (t.shape[d]! > row[d]!) row[d] = t.shape[d]!;
  });
  if (padTo !== undefined) {
    if (!Array.isArray(padTo) || padTo.length !== rank) {
      throw new NativeArgumentError(`stack: padTo must list ${rank} sizes (one per dimension of the tensors, null for "largest"), got ${JSON.stringify(padTo)}`);
    }
    padTo.forEach((size, d) => {
      if (size === null || size === undefined) return;
      if (!Number.isSafeInteger(size) || size < 0) throw new NativeArgumentError(`stack: padTo[${d}] must be a non-negative integer, got ${size}`);
      if (size < row[d]!) {
        const i = tensors.findIndex(t => t.shape[d]! > size);
        throw new TensorShapeError(
          `stack: tensor ${i} has size ${tensors[i]!.shape[d]} in dimension ${d} ([${tensors[i]!.shape}]) but padTo[${d}] is ${size}; stack pads, it never crops`,
          { details: { index: i, dim: d, size: tensors[i]!.shape[d], padTo: size } },
        );
      }
      row[d] = size;
    });
  }
  return row;
}

/** The pad value as the bits of one element (what the addon fills with), checked against the dtype. */
function padBits(dtype: DType, value: number | bigint): bigint {
  const bad = (why: string) => new NativeArgumentError(`stack: padValue ${String(value)} ${why}`);
  switch (dtype) {
    case 'float32': {
      const f = new Float32Array([Number(value)]);
      return BigInt(new Uint32Array(f.buffer)[0]!);
    }
    case 'float16':
      return BigInt(toFloat16Bits(Number(value)));
    case 'int32': {
      const v = Number(value);
      if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw bad('is not a 32-bit integer, as int32 needs');
      return BigInt.asUintN(32, BigInt(v));
    }
    case 'uint8': {
      const v = Number(value);
      if (!Number.isInteger(v) || v < 0 || v > 255) throw bad('is not an integer from 0 to 255, as uint8 needs');
      return BigInt(v);
    }
    case 'int64': {
      if (typeof value === 'number' && !Number.isSafeInteger(value)) throw bad('is not a safe integer; pass a bigint for int64');
      const v = BigInt(value);
      if (v < -(2n ** 63n) || v >= 2n ** 63n) throw bad('does not fit int64');
      return BigInt.asUintN(64, v);
    }
  }
}

/** The pad value as an element of the typed array (for .fill). */
function padElement(dtype: DType, bits: bigint): number | bigint {
  switch (dtype) {
    case 'float32':
      return new Float32Array(new Uint32Array([Number(bits)]).buffer)[0]!;
    case 'int64':
      return BigInt.asIntN(64, bits);
    case 'int32':
      return Number(BigInt.asIntN(32, bits));
    default:
      return Number(bits);
  }
}

/**
 * Stacks tensors of one dtype and rank along a new first axis. Dimensions whose sizes differ are padded
 * with padValue to the largest (or to padTo); `shapes` keeps each input's own shape for unstack.
 */
export function stack<D extends DType>(tensors: readonly Tensor<D>[], options: StackOptions = {}): Stacked<D> {
  const native = useNative(options.path);
  if (!Array.isArray(tensors) || tensors.length === 0) throw new EmptyBatchError('stack needs at least one tensor: got an empty list');
  tensors.forEach((t, i) => checkTensor(t, i, 'stack: tensor'));
  const dtype: D = tensors[0]!.dtype;
  const row = planRow(tensors, options.padTo);
  const rows = options.batchSize ?? tensors.length;
  if (!Number.isSafeInteger(rows) || rows < tensors.length) {
    throw new NativeArgumentError(`stack: batchSize ${rows} is smaller than the ${tensors.length} tensors to stack`);
  }
  const n = rows * product(row);
  const out = options.out ?? new ARRAY_OF[dtype](n);
  if (!(out instanceof (ARRAY_OF[dtype] as unknown as typeof Float32Array)) || out.length !== n) {
    throw new TensorShapeError(`stack: options.out must be a ${ARRAY_OF[dtype].name} of ${n} elements for a [${rows}, ${row}] batch`);
  }
  const bits = options.padBits ?? padBits(dtype, options.padValue ?? 0);
  if (native) {
    try {
      loadNative().gather(tensors as Tensor[], out, row, rows, bits);
    } catch (err) {
      throw fromNativeError(err);
    }
  } else {
    fillBatch(tensors as Tensor[], row, out, padElement(dtype, bits));
  }
  return {
    batch: { dtype, shape: [rows, ...row], data: out } as Tensor<D>,
    shapes: tensors.map(t => [...t.shape]),
    row,
    count: tensors.length,
  };
}

/**
 * Splits a batch tensor along its first axis into one tensor per call, cropped to `lengths`:
 * - the `shapes` stack returned (each call's full shape: every dimension is cropped),
 * - a list of numbers (each call's size along the first row dimension, as for sequences),
 * - or a count (the first `count` rows, uncropped; rows past it are padding rows of batchSize).
 */
export function unstack<D extends DType>(batch: Tensor<D>, lengths: readonly (readonly number[])[] | readonly number[] | number, options: UnstackOptions = {}): Tensor<D>[] {
  const native = useNative(options.path);
  if (!batch || typeof batch !== 'object' || !Array.isArray(batch.shape) || batch.shape.length < 1) {
    throw new TensorShapeError('unstack needs a batch tensor { dtype, shape, data } with a leading batch axis');
  }
  const cls = ARRAY_OF[batch.dtype];
  if (!cls || !(batch.data instanceof (cls as unknown as typeof Float32Array))) {
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
