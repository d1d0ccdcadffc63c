// Shapes shared by the native layer's face: devices, gather/scatter options (the tensor type is in tensor.ts).

import type { Dtype, Tensor, TensorData } from './tensor.ts';

export interface DeviceInfo {
  index: number;
  name: string;
  totalMemory: number;
  freeMemory: number;
  /** [major, minor] */
  computeCapability: [number, number];
  pciBusId: string;
}

export interface GatherOptions {
  /** Request dimensions (0-based, without the batch axis) that may differ between requests; they are padded. */
  padDims?: readonly number[];
  /**
   * Size the padded dimensions are rounded up to: a number rounds up to a multiple of it; a list picks the
   * smallest entry that holds the batch maximum (the maximum itself when none does).
   */
  bucket?: number | readonly number[];
  /** Value of padded elements (default 0): it must fit the dtype; a bigint or safe integer for 64-bit integers. */
  padValue?: number | bigint | boolean;
  /** The pad as the raw bits of one element, instead of padValue. */
  padBits?: bigint;
  /**
   * The padded row shape (without the batch axis), for models with fixed input sizes: an entry that is null or
   * undefined takes the batch maximum (or bucket). A tensor larger than its entry is an error: padding never crops.
   */
  padTo?: readonly (number | null | undefined)[];
  /** Rows of the batch axis (default: the number of tensors); extra rows are filled with padValue. */
  batchSize?: number;
  /** Host array to write the batch into; it must hold exactly the batch. */
  out?: TensorData;
}

export interface GatherResult<D extends Dtype = Dtype> {
  /** [batchSize, ...padded request shape] */
  batch: Tensor<D>;
  /** True sizes along padDims, one row per request. */
  lengths: number[][];
  padDims: number[];
  /** Number of requests (batch.shape[0] may be larger with batchSize). */
  count: number;
}

export interface ScatterOptions {
  /**
   * Row dimensions (without the batch axis) that the columns of `lengths` crop; default: the first
   * dimensions in order (`[0]` for a one-column lengths).
   */
  dims?: readonly number[];
  /** Copy every result out of the batch memory even where a view would do (default false). */
  copy?: boolean;
}

/** Per request true lengths: rows of sizes along `dims`, one size each (shorthand for dims [0]), or a count. */
export type ScatterLengths = readonly (readonly number[])[] | readonly number[] | number;
