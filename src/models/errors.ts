// Errors a user sees from the ONNX Runtime integration. Each names the model, and
// where it applies the input, and what was expected, so a bad request can be fixed
// without reading troupe's source.
import { TroupeError, registerError } from '../errors/index.ts';

/** The model file is missing, unreadable, not an ONNX model, or failed its warm-up run. */
export class ModelLoadError extends TroupeError {
  constructor(message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super('TROUPE_ERR_MODEL_LOAD', message, options);
  }
}

/** An input given to `run`/`runBatch` does not match what the model declares (name, dtype, rank, fixed dims, data length). */
export class ModelInputError extends TroupeError {
  constructor(message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super('TROUPE_ERR_MODEL_INPUT', message, options);
  }
}

/** ONNX Runtime failed while running a model whose inputs passed validation. */
export class ModelRunError extends TroupeError {
  constructor(message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super('TROUPE_ERR_MODEL_RUN', message, options);
  }
}

/** An execution provider was requested that this installation of ONNX Runtime cannot load. */
export class ExecutionProviderError extends TroupeError {
  constructor(message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super('TROUPE_ERR_EXECUTION_PROVIDER', message, options);
  }
}

/** The model was used after `dispose()`. */
export class ModelDisposedError extends TroupeError {
  constructor(model: string) {
    super('TROUPE_ERR_MODEL_DISPOSED', `model "${model}" was disposed; load it again with OnnxModel.load() before running it`, {
      details: { model },
    });
  }
}

/** OnnxModel was used where onnxruntime-node (an optional peer dependency of troupe) is not installed. */
export class OnnxRuntimeMissingError extends TroupeError {
  constructor(cause?: unknown) {
    super('TROUPE_ERR_ONNXRUNTIME_MISSING', 'OnnxModel needs onnxruntime-node, an optional peer dependency of troupe that is not installed: run `npm install onnxruntime-node` in your project', {
      cause,
    });
  }
}

registerError('ModelLoadError', ModelLoadError);
registerError('OnnxRuntimeMissingError', OnnxRuntimeMissingError);
registerError('ModelInputError', ModelInputError);
registerError('ModelRunError', ModelRunError);
registerError('ExecutionProviderError', ExecutionProviderError);
registerError('ModelDisposedError', ModelDisposedError);
