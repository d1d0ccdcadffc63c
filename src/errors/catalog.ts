// Every TROUPE_ERR_* code troupe throws or answers with, in one table: the class a caller catches, the HTTP
// status a request ended by it gets, and what to do next. src/http/error-mapping.ts reads the status from here;
// the README's error list is generated from it (scripts/errors-readme.ts); test/errors/catalog.test.ts checks
// that every code in src/ and native/src/ has a row and every row's class is exported from src/index.ts.

export interface CatalogEntry {
  code: string;
  /** The exported class that carries the code; null for an answer that no class carries (an admin reply). */
  class: string | null;
  /** The HTTP status of a request this error ends; 500 is an internal error (message hidden, stack logged);
   *  0: no answer (the client went away). */
  status: number;
  /** The error carries its own status in details.status (an HttpError); `status` is the usual one. */
  ownStatus?: boolean;
  /** Overloaded: the answer says when to come back (Retry-After). */
  retryAfter?: boolean;
  /** What the caller does next. */
  next: string;
}

const e = (code: string, cls: string | null, status: number, next: string, more: Partial<CatalogEntry> = {}): CatalogEntry =>
  ({ code: `TROUPE_ERR_${code}`, class: cls, status, next, ...more });

export const ERROR_CATALOG: readonly CatalogEntry[] = [
  // Arguments (any layer)
  e('INVALID_ARGUMENT', 'InvalidArgumentError', 500, 'pass what the message says the function or option takes'),
  // Actors (src/core)
  e('ACTOR_DIED', 'ActorDiedError', 500, 'spawn the actor again, or give it maxRestarts so the runtime restarts it'),
  e('UNKNOWN_METHOD', 'UnknownMethodError', 500, 'call one of the methods the message lists'),
  e('MODULE_LOAD', 'ModuleLoadError', 500, 'check the module path and that the class or function is exported under that name'),
  e('UNSERIALIZABLE', 'UnserializableError', 500, 'pass plain data, typed arrays or actor handles'),
  e('ACTOR_LIMIT', 'ActorLimitError', 500, 'kill actors you no longer need, or raise maxActors'),
  e('ACTOR_NAME_TAKEN', 'ActorNameTakenError', 500, 'reach the actor with getActor(name), or pick another name'),
  e('ACTOR_NOT_FOUND', 'ActorNotFoundError', 500, 'spawn it with { name } first'),
  e('CANCELLED', 'CancelledError', 0, 'nothing: the caller cancelled the call (or the client went away)'),
  e('RUNTIME_CLOSED', 'RuntimeClosedError', 500, 'start a new Runtime before spawning or calling'),
  e('UNLOCATABLE', 'UnlocatableClassError', 500, 'decorate the class with @actor() or @deployment(), or pass { module: import.meta.url }'),
  e('NOT_A_STREAM', 'StreamMethodError', 500, 'make the method an async generator (async *method), or call it without .stream()'),
  e('TYPESCRIPT_LOADER', null, 500, 'npm install tsx, or compile the module to JavaScript (a plain Error from the module loader)'),
  // Deployments (src/serve)
  e('BACKPRESSURE', 'BackPressureError', 503, 'retry later, add replicas, or raise maxQueuedRequests', { retryAfter: true }),
  e('REPLICA_DIED', 'ReplicaDiedError', 503, 'retry if the call is safe to repeat'),
  e('DEPLOYMENT_OPTION', 'DeploymentOptionError', 500, 'fix the deployment option the message names'),
  e('SERVE_OPTION', 'ServeOptionError', 500, 'fix the option of serve.run or handle.options that the message names'),
  e('NOT_A_DEPLOYMENT', 'NotADeploymentError', 500, 'decorate the class with @deployment() and pass Cls.bind(...)'),
  e('DEPLOYMENT_FAILED', 'DeploymentFailedError', 500, 'fix the constructor or init() and run the application again'),
  e('NO_REPLICA', 'DeploymentGoneError', 503, 'run the application again'),
  e('APP_NOT_FOUND', 'ApplicationNotFoundError', 404, 'use a name that serve.status() lists'),
  e('INSUFFICIENT_RESOURCES', 'InsufficientResourcesError', 500, 'lower numCpus, numGpus, memory or numReplicas, or free them'),
  e('HEALTH_CHECK_TIMEOUT', 'HealthCheckTimeoutError', 500, 'make checkHealth() answer sooner, or raise healthCheckTimeoutMs'),
  e('MULTIPLEX_OPTION', 'MultiplexOptionError', 500, 'fix the @multiplexed option or multiplexedModelId the message names'),
  e('NO_MODEL_ID', 'NoModelIdError', 400, "send the x-troupe-model-id header, or call with handle.options({ multiplexedModelId })"),
  e('BATCH_OPTIONS', 'BatchOptionsError', 500, 'fix the @batch option the message names'),
  e('BATCH_METHOD', 'BatchMethodError', 500, 'put @batch on an async method that takes an array'),
  e('NOT_BATCHED', 'NotBatchedError', 500, 'name one of the @batch methods the message lists'),
  e('BATCH_QUEUE_FULL', 'BatchQueueFullError', 503, 'retry later, add replicas, or raise maxQueuedCalls', { retryAfter: true }),
  e('BATCH_RESULT', 'BatchResultError', 500, 'return an array with one result per call, in order'),
  e('REQUEST_JSON', 'MalformedRequestBodyError', 400, 'send a JSON body: request.json() in __call__ found none'),
  // HTTP (src/http)
  e('HTTP', 'HttpError', 500, 'what the application says in the message', { ownStatus: true }),
  e('ROUTE_NOT_FOUND', 'RouteNotFoundError', 404, "use a route that the admin API's GET /api/routes lists", { ownStatus: true }),
  e('METHOD_NOT_ALLOWED', 'MethodNotAllowedError', 405, 'use a method the Allow header lists', { ownStatus: true }),
  e('MALFORMED_BODY', 'MalformedBodyError', 400, 'send a body that parses as the content type says', { ownStatus: true }),
  e('VALIDATION', 'ValidationError', 400, 'fix the fields that details.errors lists', { ownStatus: true }),
  e('BODY_TOO_LARGE', 'BodyTooLargeError', 413, 'send less, or raise maxBodyBytes', { ownStatus: true }),
  e('UNSUPPORTED_MEDIA_TYPE', 'UnsupportedMediaTypeError', 415, 'send one of the content types the message lists', { ownStatus: true }),
  e('BODY_TIMEOUT', 'RequestTimeoutError', 408, 'send the body sooner', { ownStatus: true }),
  e('REQUEST_TIMEOUT', 'RequestTimeoutError', 504, 'raise requestTimeoutMs for slow models'),
  e('SHUTTING_DOWN', 'ShuttingDownError', 503, 'retry against another instance, or start the server again'),
  e('BAD_REQUEST_FRAMING', 'BadRequestFramingError', 400, 'send one Content-Length or chunked, and headers under 16 KiB (400, 431 or 501)', { ownStatus: true }),
  e('ROUTE_DEFINITION', 'RouteDefinitionError', 500, 'fix the route decorator the message names'),
  e('LISTEN', 'ProxyListenError', 500, 'pick another port, or port 0 for a free one'),
  e('PROXY_STATE', 'ProxyStateError', 500, 'start the proxy before mounting, and mount each application once'),
  e('INTERNAL', null, 500, 'read the server log under the answer\'s requestId (TROUPE_EXPOSE_ERRORS=1 shows it in development)'),
  // Admin API and serve (src/admin)
  e('DEPLOY_FAILED', 'DeployFailedError', 500, 'fix what the message names and deploy again; the message says what was put back'),
  e('ADMIN_LISTEN', 'AdminListenError', 500, 'pick another admin port, or turn the admin API off'),
  e('ADMIN_EXPOSED', 'AdminExposedError', 500, 'set admin.token (TROUPE_ADMIN_TOKEN), or keep admin.host at 127.0.0.1'),
  e('ADMIN_TOKEN', null, 401, 'send authorization: Bearer <the server\'s admin.token>'),
  e('ADMIN_FORBIDDEN', null, 403, 'call the admin API from this machine, or set admin.token'),
  e('NOT_FOUND', null, 404, 'use a path the admin API or the dashboard has'),
  e('SERVE_NOT_STARTED', 'ServeNotStartedError', 500, 'call serve.run(app) (or serve.start()) first'),
  // Config files (src/config)
  e('CONFIG', 'ConfigError', 400, 'fix each problem at the file:line:column the message lists'),
  e('IMPORT_PATH', 'ImportPathError', 500, 'point the import path (module:export) at an exported application'),
  e('UNKNOWN_DEPLOYMENT', 'UnknownDeploymentError', 500, 'name one of the deployments the message lists'),
  // Models (src/models, src/model-repository)
  e('MODEL_LOAD', 'ModelLoadError', 500, 'check the model file\'s path and that it is an ONNX model'),
  e('MODEL_INPUT', 'ModelInputError', 500, 'give the inputs the names, dtypes and shapes the model declares'),
  e('MODEL_RUN', 'ModelRunError', 500, 'read ONNX Runtime\'s reason in the message (cause)'),
  e('EXECUTION_PROVIDER', 'ExecutionProviderError', 500, 'use an execution provider this ONNX Runtime build has, or cpu'),
  e('MODEL_DISPOSED', 'ModelDisposedError', 500, 'load the model again with OnnxModel.load()'),
  e('ONNXRUNTIME_MISSING', 'OnnxRuntimeMissingError', 500, 'npm install onnxruntime-node'),
  e('MODEL_REPOSITORY', 'ModelRepositoryError', 500, 'fix the model folder or config.yaml the message names'),
  e('V2_REQUEST', 'V2RequestError', 400, 'fix the v2 inference request as the message says (400 or 404)', { ownStatus: true }),
  // Object store (src/store)
  e('OBJECT_RELEASED', 'ObjectReleasedError', 500, 'hold the object (retain) until you are done with its ref'),
  e('OBJECT_STORE_FULL', 'ObjectStoreFullError', 500, 'release objects you no longer need, or give the store more capacity'),
  e('FOREIGN_OBJECT_REF', 'ForeignObjectRefError', 500, 'use refs of this runtime\'s store'),
  e('INVALID_OBJECT_REF', 'InvalidObjectRefError', 500, 'pass a ref as the store returned it'),
  e('INVALID_TENSOR', 'InvalidTensorError', 500, 'make the tensor\'s dtype, shape and data length agree'),
  e('OBJECT_NOT_HELD', 'ObjectNotHeldError', 500, 'release each hold once'),
  e('OBJECT_STORE_LOCK', 'ObjectStoreLockError', 500, 'restart the process: a thread probably died inside the store'),
  e('OBJECT_STORE_CONFIG', 'ObjectStoreConfigError', 500, 'fix the store option the message names, or use a store that is open'),
  // Native addon and GPU slots (src/native, native/src)
  e('NATIVE_MISSING', 'NativeMissingError', 500, 'build the addon with npm run build:native'),
  e('NATIVE_ARGUMENT', 'NativeArgumentError', 500, 'pass what the message says the function takes'),
  e('EMPTY_BATCH', 'EmptyBatchError', 500, 'gather at least one tensor'),
  e('DTYPE_MISMATCH', 'DTypeMismatchError', 500, 'give every tensor of one batch the same dtype'),
  e('NATIVE_DTYPE', 'DTypeMismatchError', 500, 'use a dtype the addon supports (it reaches you as TROUPE_ERR_DTYPE_MISMATCH)'),
  e('RANK_MISMATCH', 'RankMismatchError', 500, 'give every tensor of one batch the same rank'),
  e('SHAPE_MISMATCH', 'TensorShapeError', 500, 'make shapes agree with the data, and along dimensions that are not padded'),
  e('DETACHED_BUFFER', 'DetachedBufferError', 500, 'pass a buffer that was not transferred away'),
  e('SLOT_QUOTA', 'SlotQuotaError', 500, 'free slot buffers, or acquire a larger slot'),
  e('SLOT_FRAGMENTED', 'SlotFragmentedError', 500, 'free and reallocate slot buffers, or acquire a larger slot'),
  e('SLOT_RELEASED', 'SlotReleasedError', 500, 'acquire a new slot'),
  e('BUFFER_FREED', 'SlotBufferFreedError', 500, 'allocate a new slot buffer'),
  e('OUT_OF_RANGE', 'SlotRangeError', 500, 'stay within the buffer\'s length'),
  e('POOL_EXHAUSTED', 'PoolExhaustedError', 500, 'release slots, or reserve a larger pool'),
  e('POOL_RESERVED', 'PoolReservedError', 500, 'close the pool before reserving it again'),
  e('NO_SUCH_DEVICE', 'DeviceNotFoundError', 500, 'use a device index that devices() lists'),
  e('NOT_HOST_MEMORY', 'NotHostMemoryError', 500, 'copy the GPU buffer to the host first'),
  e('NATIVE_INTERNAL', 'NativeInternalError', 500, 'report it as a bug with the message'),
  e('CUDA', 'DeviceError', 500, 'read CUDA\'s reason in the message; check the driver with nvidia-smi'),
  e('DEVICE_OUT_OF_MEMORY', 'DeviceError', 500, 'free GPU memory, or use smaller slots or batches'),
  e('HOST_OUT_OF_MEMORY', 'DeviceError', 500, 'free host memory, or use smaller slots'),
  e('NATIVE_OUT_OF_MEMORY', 'DeviceError', 500, 'free memory, or use smaller buffers'),
  e('NATIVE_NO_CUDA', 'DeviceError', 500, 'rebuild the addon with CUDA, or use host slots'),
  // Logs and metrics (src/observability)
  e('LOGGING_OPTION', 'LoggingOptionError', 500, 'use a level or format the message lists (or fix TROUPE_LOG_LEVEL / TROUPE_LOG_FORMAT)'),
  e('LOG_QUERY', 'LogQueryError', 400, 'fix the /api/logs query parameter the message names'),
  e('METRIC_NAME_CLASH', 'MetricNameClashError', 500, 'choose another metric name, or define it once'),
  e('METRIC_DEFINITION', 'MetricDefinitionError', 500, 'use a name, labels and buckets Prometheus accepts'),
  // Load generator (src/cli/bench)
  e('BENCH_OPTIONS', 'BenchOptionsError', 500, 'fix the bench option the message names'),
  e('BENCH_TARGET_NOT_LOCAL', 'BenchTargetNotLocalError', 500, 'start the server locally and point the bench at 127.0.0.1'),
];

const byCode = new Map(ERROR_CATALOG.map((entry) => [entry.code, entry]));

/** The catalog's row for a code, or undefined for a code troupe does not define (a user's own). */
export function catalogEntry(code: string): CatalogEntry | undefined {
  return byCode.get(code);
}

/** The README's error list: one markdown table row per code. */
export function renderErrorList(): string {
  const status = (x: CatalogEntry) =>
    x.status === 0 ? 'none (client gone)' : `${x.status}${x.ownStatus ? ' or its own' : ''}${x.retryAfter ? ' + Retry-After' : ''}`;
  return [
    '| code | class | HTTP | what to do next |',
    '|---|---|---|---|',
    ...ERROR_CATALOG.map((x) => `| \`${x.code}\` | ${x.class ? `\`${x.class}\`` : '—'} | ${status(x)} | ${x.next.replace(/\|/g, '\\|')} |`),
  ].join('\n');
}
