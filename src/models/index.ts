// troupe's ONNX Runtime integration (layer 4): the only place that imports onnxruntime-node.
//
//   @deployment({ numReplicas: 2, actorOptions: { numCpus: 1 } })
//   class Classifier {
//     model!: OnnxModel;
//     async init() { this.model = await OnnxModel.load('model.onnx', { numCpus: 1 }); }  // warm-up runs here
//     @batch({ maxBatchSize: 16 })
//     async classify(xs: TensorLike[]) { return (await this.model.runBatch(xs.map((x) => ({ x })))).map((o) => o.probs); }
//   }
//
// A model run computes on the calling thread and blocks its event loop: models belong in
// replicas (worker threads), never on the proxy's thread.
export {
  OnnxModel,
  type OnnxModelOptions,
  type WarmupOptions,
  type ModelRunOptions,
  type ModelRunBatchOptions,
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
export { concatTensors, stackTensors, splitTensor, unstackTensor, cropTensor, type PadOptions, type ConcatResult, type StackResult } from './stack.ts';
export { ModelLoadError, ModelInputError, ModelRunError, ExecutionProviderError, ModelDisposedError, OnnxRuntimeMissingError } from './errors.ts';
