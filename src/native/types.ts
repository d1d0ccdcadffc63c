// Shapes shared by the native layer's face: tensors, devices, gather/scatter options.

export type DType = 'float32' | 'float16' | 'int32' | 'int64' | 'uint8';

/** float16 travels as raw 16-bit patterns in a Uint16Array. */
export interface DataOf {
  float32: Float32Array;
  float16: Uint16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
}

export type TensorData = DataOf[DType];

export interface Tensor<D extends DType = DType> {
  dtype: D;
  /** Dimensions without any batch axis unless the tensor is a batch. */
  shape: number[];
  data: DataOf[D];
}

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
  /** Value of padded elements (default 0); a bigint or number for int64; a number for float16. */
  padValue?: number | bigint;
  /** Rows of the batch axis (default: the number of tensors); extra rows are filled with padValue. */
  batchSize?: number;
  /** Host array to write the batch into; it must hold exactly the batch. */
  out?: TensorData;
}

export interface GatherResult<D extends DType = DType> {
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
