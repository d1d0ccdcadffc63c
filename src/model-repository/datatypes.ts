// The protocol's datatype names and troupe's tensor dtypes: the two spellings of one set of element types.
import type { TensorDtype } from '../models/index.ts';

const BY_V2: Record<string, TensorDtype> = {
  BOOL: 'bool', UINT8: 'uint8', UINT16: 'uint16', UINT32: 'uint32', UINT64: 'uint64',
  INT8: 'int8', INT16: 'int16', INT32: 'int32', INT64: 'int64', FP16: 'float16', FP32: 'float32', FP64: 'float64',
};
const BY_DTYPE = Object.fromEntries(Object.entries(BY_V2).map(([v2, d]) => [d, v2])) as Record<TensorDtype, string>;
const SIZE: Record<TensorDtype, number> = {
  bool: 1, uint8: 1, int8: 1, uint16: 2, int16: 2, float16: 2, uint32: 4, int32: 4, float32: 4, uint64: 8, int64: 8, float64: 8,
};

/** 'FP32' → 'float32'; undefined for BYTES and names the protocol does not have. */
export function dtypeOfV2(datatype: string): TensorDtype | undefined {
  return Object.hasOwn(BY_V2, datatype) ? BY_V2[datatype] : undefined;
}

/** 'float32' → 'FP32'; ONNX string tensors are BYTES. */
export function v2OfDtype(dtype: string | undefined): string {
  return dtype !== undefined && Object.hasOwn(BY_DTYPE, dtype) ? BY_DTYPE[dtype as TensorDtype] : 'BYTES';
}

export function bytesPerElement(dtype: TensorDtype): number {
  return SIZE[dtype];
}

export const V2_DATATYPES = [...Object.keys(BY_V2), 'BYTES'];
