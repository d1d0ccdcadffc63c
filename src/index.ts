// troupe's public API. Nothing outside src/ imports a deeper path.
export { TroupeError } from './errors/index.ts';
export {
  Runtime,
  actor,
  remote,
  getActor,
  callContext,
  callActor,
  transfer,
  ActorDiedError,
  UnknownMethodError,
  ModuleLoadError,
  UnserializableError,
  ActorLimitError,
  ActorNameTakenError,
  ActorNotFoundError,
  CancelledError,
  RuntimeClosedError,
  UnlocatableClassError,
  type RuntimeOptions,
  type SpawnOptions,
  type ActorInfo,
  type ActorHandle,
  type RemoteFunction,
  type CallContext,
  objectStore,
} from './core/index.ts';
export {
  ObjectStore,
  ObjectStoreFullError,
  ObjectReleasedError,
  ForeignObjectRefError,
  InvalidObjectRefError,
  InvalidTensorError,
  ObjectNotHeldError,
  type ObjectRef,
  type ObjectStoreStats,
  type Tensor,
  type Dtype,
} from './store/index.ts';
export {
  deployment,
  bind,
  batch,
  configureBatch,
  batchStats,
  Application,
  DeploymentResponse,
  withSignal,
  BackPressureError,
  ReplicaDiedError,
  DeploymentOptionError,
  NotADeploymentError,
  DeploymentFailedError,
  DeploymentGoneError,
  ApplicationNotFoundError,
  InsufficientResourcesError,
  MultiplexOptionError,
  NoModelIdError,
  MalformedRequestBodyError,
  multiplexed,
  getMultiplexedModelId,
  replicaContext,
  type ReplicaContext,
  type ReplicaGpu,
  type DeploymentHandle,
  type HandleOptions,
  type MultiplexedOptions,
  type Batch,
  type Unbatched,
  type ServeRequest,
  type BatchOptions,
  type DeploymentOptions,
  type ActorOptions,
  type AutoscalingConfig,
  type AutoscalingPolicy,
  type AutoscalingContext,
  defaultAutoscalingPolicy,
  type ServeStatus,
  type DeploymentStatusInfo,
  type RunOptions,
} from './serve/index.ts';
export {
  ingress,
  get,
  post,
  put,
  patch,
  del,
  route,
  websocket,
  fileSchema,
  httpResponse,
  HttpError,
  type RouteInput,
  type RequestRecord,
  type WebSocketEvent,
  type UploadedFile,
} from './http/index.ts';
export { serve, type StartOptions } from './admin/index.ts';
export { DeployFailedError, AdminListenError, AdminExposedError, type AdminStatus } from './admin/index.ts';
export { ConfigError, ImportPathError, UnknownDeploymentError, type ConfigIssue, type TroupeConfig } from './config/index.ts';
export {
  OnnxModel,
  ModelLoadError,
  ModelInputError,
  ModelRunError,
  ExecutionProviderError,
  ModelDisposedError,
  OnnxRuntimeMissingError,
  type OnnxModelOptions,
  type TensorLike,
} from './models/index.ts';
export { modelRepository, modelRepositoryApp, ModelRepositoryError, V2RequestError, type ModelRepositoryOptions, type ModelConfig } from './model-repository/index.ts';
export { registerError } from './errors/index.ts';
export {
  logger, configureLogging, channels, CHANNEL_NAMES, parseTraceparent, type Logger, type LogLevel, type LogFormat, type TraceInfo,
  type HttpLogger, type AccessLogEntry,
  type RequestStartMessage, type RequestEndMessage, type ReplicaStateMessage, type BatchFlushMessage, type AutoscaleDecisionMessage,
} from './observability/index.ts';
// The rest of the error catalog's classes (src/errors/catalog.ts; test/errors/catalog.test.ts checks that each is exported).
export { InvalidArgumentError } from './errors/index.ts';
export { StreamMethodError } from './core/index.ts';
export {
  ServeOptionError, HealthCheckTimeoutError, BatchOptionsError, BatchMethodError, NotBatchedError, BatchQueueFullError, BatchResultError,
} from './serve/index.ts';
export {
  RouteNotFoundError, MethodNotAllowedError, MalformedBodyError, ValidationError, BodyTooLargeError, UnsupportedMediaTypeError,
  RequestTimeoutError, ShuttingDownError, BadRequestFramingError, RouteDefinitionError, ProxyListenError, ProxyStateError,
} from './http/index.ts';
export { ServeNotStartedError } from './admin/index.ts';
export { ObjectStoreLockError, ObjectStoreConfigError } from './store/index.ts';
export {
  NativeMissingError, NativeArgumentError, EmptyBatchError, DTypeMismatchError, RankMismatchError, TensorShapeError, DetachedBufferError,
  SlotQuotaError, SlotFragmentedError, SlotReleasedError, SlotBufferFreedError, SlotRangeError, PoolExhaustedError, PoolReservedError,
  DeviceNotFoundError, NotHostMemoryError, DeviceError, NativeInternalError,
  type Slot, type SlotBuffer, type DeviceIndex,
} from './native/index.ts';
export { LoggingOptionError, LogQueryError } from './observability/index.ts';
export { BenchOptionsError, BenchTargetNotLocalError } from './cli/bench/errors.ts';
export {
  Counter, Gauge, Histogram, MetricNameClashError, MetricDefinitionError, type MetricOptions, type HistogramOptions,
} from './observability/index.ts';
