// Models take and return troupe's one tensor type ({ dtype, shape, data }, src/native/tensor.ts): object-store
// tensor views are the same type, so they feed a model without a copy (ONNX Runtime wraps the typed array in place).
// The names below are models' historical names for it, kept as aliases.
export {
  DTYPES as tensorDtypes, isDtype as isTensorDtype, isTensor as isTensorLike, typedArrayFor, allocateData, dataMatchesDtype,
  elementCount, tensor, type Dtype as TensorDtype, type TensorData, type Tensor as TensorLike,
} from '../native/index.ts';
