// troupe's ONNX Runtime integration (layer 4): the only place that imports onnxruntime-node.
export {
  OnnxModel,
  type OnnxModelOptions,
  type WarmupOptions,
  type RunOptions,
  type RunBatchOptions,
  type ModelInfo,
  type ModelStats,
  type ModelInputs,
  type ModelOutputs,
  type TensorInput,
} from './onnx-model.ts';
export { type TensorInfo, formatShape } from './metadata.ts';
export { type ExecutionProviderName, type ExecutionProviderSpec, type ResolvedProvider } from './providers.ts';
export {
  type TensorLike,
  type TensorDtype,
  type TensorData,
  tensor,
  tensorDtypes,
  isTensorDtype,
  isTensorLike,
  typedArrayFor,
  allocateData,
  elementCount,
} from './tensor.ts';
export { concatTensors, stackTensors, splitTensor, unstackTensor, cropTensor, type BatchOptions, type ConcatResult, type StackResult } from './stack.ts';
export { ModelLoadError, ModelInputError, ModelRunError, ExecutionProviderError, ModelDisposedError } from './errors.ts';
