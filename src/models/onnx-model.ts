// OnnxModel owns one ONNX Runtime session inside a replica.
//
// `session.run` computes on the thread that calls it and holds that thread's event
// loop until it is done, so a model belongs inside a replica (a worker thread),
// never on the proxy's or controller's thread. Thread settings default to one
// intra-op thread: ORT's own default (one per core) oversubscribes the machine as
// soon as two replicas share it; give `numCpus` what the replica reserved.
import { basename } from 'node:path';
import { access, constants } from 'node:fs/promises';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { ExecutionProviderError, ModelDisposedError, ModelInputError, ModelLoadError, ModelRunError } from './errors.ts';
import { InvalidArgumentError } from '../errors/index.ts';
import { formatShape, toTensorInfos, type TensorInfo } from './metadata.ts';
import {
  cudaInstallHint,
  missingProviderReason,
  normalizeProviders,
  toOrtProviders,
  wantsAccelerator,
  type ExecutionProviderSpec,
  type ResolvedProvider,
} from './providers.ts';
import { loadedOrt, loadOrt } from './ort.ts';
import { ortInputData } from './shared-input.ts';
import { concatTensors, splitTensor, stackTensors } from './stack.ts';
import type { CopyPath } from '../serve/tensor-batch.ts';
import { allocateData, elementCount, isTensorLike, type TensorData, type TensorLike } from './tensor.ts';
import { validateInputs } from './validate.ts';
import type { TensorInput } from '../store/index.ts';

/**
 * A tensor as troupe passes it (`{ dtype, shape, data }`, e.g. an object-store view) or an onnxruntime-node Tensor
 * by shape (troupe's declarations must not need onnxruntime-node, an optional peer): what the store's putTensor takes.
 */
export type { TensorInput, OrtTensor as OrtTensorInput } from '../store/index.ts';

export type ModelInputs = Readonly<Record<string, TensorInput>>;
export type ModelOutputs = Record<string, TensorLike>;

export interface WarmupOptions {
  /** Shapes to warm up with, by input name. Symbolic dims not given here are 1 for dim 0 and 32 elsewhere. */
  shapes?: Readonly<Record<string, readonly number[]>>;
  /** How many warm-up runs. Default 1. */
  runs?: number;
}

export interface OnnxModelOptions {
  /** Name used in errors and logs. Default: the file's name. */
  name?: string;
  /** CPUs the replica reserved: the intra-op thread count (floor, at least 1). Default 1. */
  numCpus?: number;
  /** Overrides the intra-op thread count derived from numCpus. */
  intraOpThreads?: number;
  /** In order of preference. Default ['cpu']. */
  executionProviders?: readonly ExecutionProviderSpec[];
  /** Device for accelerator providers that do not name one (the replica's GPU slot). */
  deviceId?: number;
  /** When an accelerator provider cannot be loaded, run on the CPU instead of failing. Default false. */
  fallbackToCpu?: boolean;
  /** Run the model once at load so the first request does not pay for lazy initialisation. Default true. */
  warmup?: boolean | WarmupOptions;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

export interface ModelRunOptions {
  /** Output names to fetch. Default: all. */
  outputs?: readonly string[];
}

export interface ModelRunBatchOptions extends ModelRunOptions {
  /**
   * 'concat' (default): each request's tensors already carry a leading batch dim (n_i rows); they are
   * concatenated along it and the outputs split back by n_i. 'stack': each request is one sample without
   * the batch dim; a batch dim is added and removed again.
   */
  mode?: 'concat' | 'stack';
  /** Value for padded positions of ragged dims, for all inputs or by input name. Default 0. */
  padValue?: number | Readonly<Record<string, number>>;
  /**
   * Where each request's outputs live. 'copy' (default): its own arrays, safe to send to another thread on
   * their own. 'view': views of the batch's output arrays (no copy; the batch's arrays stay alive while any is held).
   */
  results?: 'copy' | 'view';
  /**
   * Let ONNX Runtime write outputs into arrays allocated for the batch, where every output dim but the batch dim is
   * fixed in the model; false: ORT allocates. Default: with results 'view' (with 'copy' it measured slower:
   * bench/results/native-batching.md).
   */
  outputsInPlace?: boolean;
  /** Which copy path stacks the inputs: the addon where built ('auto', default), or one forced (tests, benchmarks). */
  copyPath?: CopyPath;
}

export interface ModelInfo {
  name: string;
  source: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  providers: ResolvedProvider[];
  /** Why the requested accelerator was dropped, when fallbackToCpu applied. */
  fallbackReason?: string;
  intraOpThreads: number;
  interOpThreads: number;
  /** Inputs over shared memory that had to be copied (the native addon could not alias them). */
  inputsCopied: number;
  loadMs: number;
  warmupMs: number;
}

export interface ModelStats {
  /** ORT runs (a runBatch is one run). */
  runs: number;
  /** Requests served by runBatch calls. */
  batchedRequests: number;
  /** Time inside ORT, summed and at most, in ms. */
  totalRunMs: number;
  maxRunMs: number;
  /** Batch outputs ORT wrote into arrays allocated for them (runBatch), rather than into its own. */
  outputsInPlace: number;
}

export class OnnxModel {
  readonly #session: InferenceSession;
  readonly #info: ModelInfo;
  #disposed = false;
  // Runs handed to ORT and not yet settled: dispose() waits for them before freeing the session.
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #stats: ModelStats = { runs: 0, batchedRequests: 0, totalRunMs: 0, maxRunMs: 0, outputsInPlace: 0 };
  /**
   * runBatch's input buffers, kept for the next batch of the same dtype and size (a few, the most recent).
   * A fresh batch buffer per run (0.5 to 1 MB for an image batch) is memory outside V8's heap that V8
   * answers with full collections (bench/results/batching.md).
   */
  readonly #spares = new Map<string, TensorData>();
  /** ORT refused outputs in arrays shaped by the model's declared outputs once: it allocates them since. */
  #inPlaceRefused = false;

  private constructor(session: InferenceSession, info: ModelInfo) {
    this.#session = session;
    this.#info = info;
  }

  /**
   * Loads a model from a file path (or its bytes), creates the session with thread and provider
   * settings for a replica, and warms it up. Call it from a deployment's `init()`.
   */
  static async load(source: string | Uint8Array, options: OnnxModelOptions = {}): Promise<OnnxModel> {
    const started = performance.now();
    const sourceName = typeof source === 'string' ? source : `<${source.byteLength} bytes>`;
    const name = options.name ?? (typeof source === 'string' ? basename(source) : 'onnx-model');
    const intraOpThreads = threadsFrom(options);
    const requested = normalizeProviders(options.executionProviders, options.deviceId);

    if (typeof source === 'string') {
      try {
        await access(source, constants.R_OK);
      } catch (cause) {
        throw new ModelLoadError(`model "${name}": cannot read the model file ${source}; check the path (relative paths resolve from ${process.cwd()})`, {
          cause,
          details: { model: name, path: source },
        });
      }
    } else if (!(source instanceof Uint8Array) || source.byteLength === 0) {
      throw new ModelLoadError(`model "${name}": model bytes must be a non-empty Uint8Array`, { details: { model: name } });
    }

    const sessionOptions = (providers: readonly ResolvedProvider[]): InferenceSession.SessionOptions => ({
      executionProviders: toOrtProviders(providers) as InferenceSession.ExecutionProviderConfig[],
      intraOpNumThreads: intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    });

    let providers = requested;
    let fallbackReason: string | undefined;
    const missing = requested.map((p) => [p.name, missingProviderReason(p.name)] as const).filter(([, why]) => why !== undefined);
    if (missing.length > 0) {
      const reason = missing.map(([p, why]) => `${p}: ${why}`).join('; ');
      if (!options.fallbackToCpu) {
        throw new ExecutionProviderError(`model "${name}": execution provider ${missing.map(([p]) => p).join(', ')} is not available (${reason}); ${cudaInstallHint}`, {
          details: { model: name, providers: requested },
        });
      }
      fallbackReason = reason;
      providers = requested.filter((p) => !missing.some(([m]) => m === p.name));
      if (!providers.some((p) => p.name === 'cpu')) providers.push({ name: 'cpu' });
    }
    await loadOrt(); // OnnxRuntimeMissingError says what to install; not a model load failure
    let session: InferenceSession;
    try {
      session = await create(source, sessionOptions(providers));
    } catch (cause) {
      const message = errorMessage(cause);
      const providerFailure = wantsAccelerator(providers) && !isModelFileFailure(message);
      if (providerFailure && options.fallbackToCpu) {
        fallbackReason = `${providers.filter((p) => p.name !== 'cpu').map((p) => p.name).join(', ')} failed to load: ${firstLine(message)}`;
        providers = [{ name: 'cpu' }];
        try {
          session = await create(source, sessionOptions(providers));
        } catch (cpuCause) {
          throw loadError(name, sourceName, cpuCause);
        }
      } else if (providerFailure) {
        throw new ExecutionProviderError(
          `model "${name}": execution provider ${providers.map((p) => p.name).join(', ')} could not be loaded (${firstLine(message)}); ${cudaInstallHint}`,
          { cause, details: { model: name, providers: requested } },
        );
      } else {
        throw loadError(name, sourceName, cause);
      }
    }

    const info: ModelInfo = {
      name,
      source: sourceName,
      inputs: toTensorInfos(session.inputMetadata as any),
      outputs: toTensorInfos(session.outputMetadata as any),
      providers,
      ...(fallbackReason === undefined ? {} : { fallbackReason }),
      intraOpThreads,
      interOpThreads: 1,
      inputsCopied: 0,
      loadMs: 0,
      warmupMs: 0,
    };
    const model = new OnnxModel(session, info);
    info.loadMs = performance.now() - started;
    if (options.warmup !== false) {
      const warmStarted = performance.now();
      try {
        await model.#warmup(options.warmup === true || options.warmup === undefined ? {} : options.warmup);
      } catch (cause) {
        await session.release().catch(() => {});
        throw new ModelLoadError(
          `model "${name}": the warm-up run failed (${firstLine(errorMessage(cause))}); pass warmup: { shapes: { <input>: [...] } } with shapes the model accepts, or warmup: false`,
          { cause, details: { model: name, path: sourceName } },
        );
      }
      info.warmupMs = performance.now() - warmStarted;
    }
    return model;
  }

  get name(): string {
    return this.#info.name;
  }
  get inputs(): readonly TensorInfo[] {
    return this.#info.inputs;
  }
  get outputs(): readonly TensorInfo[] {
    return this.#info.outputs;
  }
  get inputNames(): string[] {
    return this.#info.inputs.map((i) => i.name);
  }
  get outputNames(): string[] {
    return this.#info.outputs.map((o) => o.name);
  }
  /** Everything known about the loaded model: metadata, providers actually used, threads, load times. */
  get info(): Readonly<ModelInfo> {
    return this.#info;
  }
  /** Counters since load (warm-up included): runs, requests batched, time inside ORT. */
  get stats(): Readonly<ModelStats> {
    return { ...this.#stats };
  }
  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * Validates `inputs` against the model's declared names, dtypes, ranks and fixed dims, then runs the
   * model once. Blocks this thread's event loop for the duration of the computation.
   */
  async run(inputs: ModelInputs, options: ModelRunOptions = {}): Promise<ModelOutputs> {
    return this.#run(inputs, options);
  }

  /** run(), with `into`: outputs ORT writes into arrays of ours (their shapes must be what the model makes). */
  async #run(inputs: ModelInputs, options: ModelRunOptions, into?: Readonly<Record<string, TensorLike>>): Promise<ModelOutputs> {
    if (this.#disposed) throw new ModelDisposedError(this.#info.name);
    const plain = toPlainInputs(this.#info.name, inputs);
    validateInputs(this.#info.name, this.#info.inputs, plain);
    const names = this.#fetches(options.outputs);
    const ort = loadedOrt()!; // a model exists, so its load loaded ORT
    let fetches: string[] | Record<string, OrtTensor | null> | undefined = names;
    if (into) {
      const table: Record<string, OrtTensor | null> = {};
      for (const name of names ?? this.outputNames) {
        const t = into[name];
        table[name] = t ? new ort.Tensor(t.dtype as any, t.data as any, t.shape as number[]) : null;
      }
      fetches = table;
    }
    const feeds: Record<string, OrtTensor> = {};
    for (const [key, value] of Object.entries(inputs)) {
      // ORT wraps the typed array in place: no copy of object-store memory.
      const t = plain[key];
      if (value instanceof ort.Tensor) {
        feeds[key] = value;
        continue;
      }
      const input = ortInputData(t.data);
      this.#info.inputsCopied += input.via === 'copy' ? 1 : 0;
      feeds[key] = new ort.Tensor(t.dtype, input.data as any, t.shape as number[]);
    }
    let results: InferenceSession.OnnxValueMapType;
    try {
      const pending = fetches ? this.#session.run(feeds, fetches) : this.#session.run(feeds);
      this.#inFlight.add(pending);
      const started = performance.now();
      try {
        results = await pending;
      } finally {
        this.#inFlight.delete(pending);
      }
      const ms = performance.now() - started;
      this.#stats.runs++;
      this.#stats.totalRunMs += ms;
      if (ms > this.#stats.maxRunMs) this.#stats.maxRunMs = ms;
    } catch (cause) {
      throw new ModelRunError(`model "${this.#info.name}": ONNX Runtime failed: ${firstLine(errorMessage(cause))}`, {
        cause,
        details: { model: this.#info.name, shapes: Object.fromEntries(Object.entries(plain).map(([k, v]) => [k, [...v.shape]])) },
      });
    }
    const out: ModelOutputs = {};
    for (const [key, value] of Object.entries(results)) {
      const mine = into?.[key];
      if (mine) {
        out[key] = mine; // ORT wrote into our array
        continue;
      }
      const t = value as OrtTensor;
      out[key] = { dtype: t.type as TensorLike['dtype'], shape: [...t.dims], data: t.data as TensorData };
    }
    return out;
  }

  /** Arrays for the outputs whose shape is known before the run: every dim fixed but the batch dim (`rows`). */
  #outputArrays(names: readonly string[] | undefined, rows: number): Record<string, TensorLike> | undefined {
    const wanted = new Set(names ?? this.outputNames);
    let into: Record<string, TensorLike> | undefined;
    for (const o of this.#info.outputs) {
      if (!wanted.has(o.name) || !o.isTensor || o.dtype === undefined || o.dtype === 'string' || o.shape.length === 0) continue;
      const rest = o.shape.slice(1);
      if (!rest.every((d) => typeof d === 'number' && d >= 0)) continue;
      const fixedRows = o.shape[0];
      if (typeof fixedRows === 'number' && fixedRows >= 0 && fixedRows !== rows) continue;
      const shape = [rows, ...(rest as number[])];
      (into ??= {})[o.name] = { dtype: o.dtype, shape, data: allocateData(o.dtype, elementCount(shape)) };
    }
    return into;
  }

  /**
   * Runs many requests as one batch: their tensors are concatenated (or stacked) into one buffer with
   * ragged dims padded, the model runs once, and each output is split back per request (copied, so a
   * result can be sent to another thread on its own). Outputs keep the batch's padded size in dims
   * other than the batch dim.
   */
  async runBatch(requests: readonly ModelInputs[], options: ModelRunBatchOptions = {}): Promise<ModelOutputs[]> {
    if (this.#disposed) throw new ModelDisposedError(this.#info.name);
    if (!Array.isArray(requests) || requests.length === 0) return [];
    const taken: [string, TensorData][] = [];
    const allocate = (dtype: TensorLike['dtype'], length: number): TensorData => {
      const key = `${dtype}:${length}`;
      const data = this.#spares.get(key) ?? allocateData(dtype, length);
      this.#spares.delete(key); // in use until this batch has run: a concurrent batch gets another
      taken.push([key, data]);
      return data;
    };
    try {
      return await this.#runBatch(requests, options, allocate);
    } finally {
      for (const [key, data] of taken) this.#spare(key, data);
    }
  }

  #spare(key: string, data: TensorData): void {
    this.#spares.delete(key);
    this.#spares.set(key, data);
    if (this.#spares.size > 4) this.#spares.delete(this.#spares.keys().next().value!);
  }

  async #runBatch(requests: readonly ModelInputs[], options: ModelRunBatchOptions, allocate: (dtype: TensorLike['dtype'], length: number) => TensorData): Promise<ModelOutputs[]> {
    const mode = options.mode ?? 'concat';
    const plain = requests.map((r) => toPlainInputs(this.#info.name, r));
    const batched: Record<string, TensorLike> = {};
    let counts: number[] = [];
    for (const info of this.#info.inputs) {
      const parts = plain.map((p, i) => {
        const t = p[info.name];
        if (t === undefined) {
          throw new ModelInputError(`model "${this.#info.name}": request ${i} of the batch has no input "${info.name}"`, {
            details: { model: this.#info.name, input: info.name, request: i },
          });
        }
        return t;
      });
      const padValue = typeof options.padValue === 'number' ? options.padValue : (options.padValue?.[info.name] ?? 0);
      try {
        if (mode === 'stack') {
          batched[info.name] = stackTensors(parts, { padValue, allocate, path: options.copyPath }).batch;
          counts = parts.map(() => 1);
        } else {
          const result = concatTensors(parts, { padValue, allocate, path: options.copyPath });
          batched[info.name] = result.batch;
          counts = result.counts;
        }
      } catch (cause) {
        throw new ModelInputError(
          `model "${this.#info.name}": cannot batch input "${info.name}" (${errorMessage(cause)}); expected ${info.dtype} ${formatShape(info.shape)} per request`,
          { cause, details: { model: this.#info.name, input: info.name } },
        );
      }
    }
    const total = counts.reduce((a, b) => a + b, 0);
    // Fresh arrays per batch (not the spares): with results 'view' the requests' outputs live in them.
    const inPlace = options.outputsInPlace ?? options.results === 'view';
    let into = !inPlace || this.#inPlaceRefused ? undefined : this.#outputArrays(options.outputs, total);
    let outputs: ModelOutputs;
    try {
      outputs = await this.#run(batched, options, into);
    } catch (err) {
      if (!into || !(err instanceof ModelRunError)) throw err;
      // A model whose declared output shapes are not what it makes: let ORT allocate from now on.
      this.#inPlaceRefused = true;
      into = undefined;
      outputs = await this.#run(batched, options);
    }
    if (into) this.#stats.outputsInPlace += Object.keys(into).length;
    this.#stats.batchedRequests += requests.length;
    const perRequest: ModelOutputs[] = requests.map(() => ({}));
    for (const [key, t] of Object.entries(outputs)) {
      if (t.shape.length === 0 || t.shape[0] !== total) {
        throw new ModelRunError(
          `model "${this.#info.name}": output "${key}" has shape [${t.shape.join(', ')}], not a leading batch dim of ${total}; it cannot be split per request, use run()`,
          { details: { model: this.#info.name, output: key } },
        );
      }
      splitTensor(t, counts).forEach((piece, i) => {
        let data = piece.data;
        if (options.results !== 'view') {
          data = allocateData(piece.dtype, piece.data.length);
          (data as Float32Array).set(piece.data as Float32Array);
        }
        perRequest[i][key] = { dtype: piece.dtype, shape: mode === 'stack' ? piece.shape.slice(1) : piece.shape, data };
      });
    }
    return perRequest;
  }

  /** Frees the native session once runs already started have finished. Later runs fail with ModelDisposedError. Safe to call twice. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await Promise.allSettled([...this.#inFlight]);
    await this.#session.release();
  }

  #fetches(names: readonly string[] | undefined): string[] | undefined {
    if (!names) return undefined;
    const known = new Set(this.outputNames);
    for (const n of names) {
      if (!known.has(n)) {
        throw new ModelInputError(`model "${this.#info.name}" has no output "${n}"; its outputs are ${this.outputNames.map((o) => `"${o}"`).join(', ')}`, {
          details: { model: this.#info.name, output: n },
        });
      }
    }
    return [...names];
  }

  async #warmup(options: WarmupOptions): Promise<void> {
    const feeds: Record<string, TensorLike> = {};
    for (const input of this.#info.inputs) {
      if (!input.isTensor || input.dtype === undefined || input.dtype === 'string') {
        throw new ModelLoadError(`input "${input.name}" is not a numeric tensor, so the warm-up run cannot make one: load with warmup: false`);
      }
      const given = options.shapes?.[input.name];
      const shape = given ? [...given] : input.shape.map((d, i) => (typeof d === 'number' && d >= 0 ? d : i === 0 ? 1 : 32));
      feeds[input.name] = { dtype: input.dtype, shape, data: allocateData(input.dtype, elementCount(shape)) };
    }
    const runs = Math.max(1, options.runs ?? 1);
    for (let i = 0; i < runs; i++) await this.run(feeds);
  }
}

function threadsFrom(options: OnnxModelOptions): number {
  if (options.intraOpThreads !== undefined) {
    if (!Number.isInteger(options.intraOpThreads) || options.intraOpThreads < 1) {
      throw new InvalidArgumentError(`intraOpThreads must be a positive integer, got ${options.intraOpThreads}`);
    }
    return options.intraOpThreads;
  }
  const cpus = options.numCpus ?? 1;
  if (typeof cpus !== 'number' || !(cpus > 0)) throw new InvalidArgumentError(`numCpus must be a positive number, got ${cpus}`);
  return Math.max(1, Math.floor(cpus));
}

function toPlainInputs(model: string, inputs: ModelInputs): Record<string, TensorLike> {
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) {
    throw new ModelInputError(`model "${model}": inputs must be an object keyed by input name, e.g. { x: { dtype, shape, data } }`, {
      details: { model },
    });
  }
  const plain: Record<string, TensorLike> = {};
  for (const [key, value] of Object.entries(inputs)) {
    if (isOrtTensor(value)) {
      plain[key] = { dtype: value.type as TensorLike['dtype'], shape: value.dims, data: value.data as TensorData };
    } else if (isTensorLike(value)) {
      plain[key] = value;
    } else {
      throw new ModelInputError(`model "${model}": input "${key}" must be a { dtype, shape, data } tensor or an ORT Tensor`, {
        details: { model, input: key },
      });
    }
  }
  return plain;
}

function isOrtTensor(value: unknown): value is OrtTensor {
  const ort = loadedOrt();
  return ort !== undefined && value instanceof ort.Tensor;
}

async function create(source: string | Uint8Array, options: InferenceSession.SessionOptions): Promise<InferenceSession> {
  const ort = await loadOrt();
  return typeof source === 'string' ? ort.InferenceSession.create(source, options) : ort.InferenceSession.create(source, options);
}

function loadError(name: string, source: string, cause: unknown): ModelLoadError {
  const message = errorMessage(cause);
  const what = /protobuf|parse|invalid model|model format/i.test(message)
    ? 'is not a valid ONNX model (corrupt or another format)'
    : /doesn't exist|no such file|not found/i.test(message)
      ? 'does not exist'
      : 'could not be loaded';
  return new ModelLoadError(`model "${name}": ${source} ${what}: ${firstLine(message)}`, {
    cause,
    details: { model: name, path: source },
  });
}

function isModelFileFailure(message: string): boolean {
  return /protobuf|load model|doesn't exist|no such file/i.test(message);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function firstLine(message: string): string {
  return message.split('\n')[0].trim();
}
