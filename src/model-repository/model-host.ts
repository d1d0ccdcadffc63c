// The deployment that runs a repository model's versions: one OnnxModel per version, requests batched by
// @batch and run together when the model's first dim is open (and their other dims agree), else one by one.
// Binary inputs arrive as views of the request body in the object store: one batch gathers them straight
// into the ORT input, and a lone request whose data lies aligned runs on the body's memory itself.
// A start-up model's host also has the protocol's infer routes, mounted at /v2/models/<name> (see
// modelRepository()): the proxy sends its requests here directly, one hop instead of two through V2Server.
import { post, type RouteInput } from '../http/index.ts';
import { ModelLoadError, OnnxModel, typedArrayFor, type ExecutionProviderName, type TensorData, type TensorInfo } from '../models/index.ts';
import { setLocation } from '../core/index.ts';
import { batch, configureBatch, deployment, type Batch } from '../serve/index.ts';
import { V2RequestError } from './errors.ts';
import { HEADER_LENGTH, parseInfer, type HostRequest, type HostTensor, type ModelDescription, type ParsedInfer, type WireInput } from './protocol.ts';
import { inferReply, v2Error } from './reply.ts';
import { resolveVersion, unloadedModel } from './resolve.ts';
import { highestFirst, type ModelConfig, type ModelVersionSpec } from './scan.ts';
import { V2_SCHEMAS } from './schemas.ts';

export interface HostSpec {
  /** `<name>/<version>` → model file, loaded at start (highest version first). */
  models: Record<string, string>;
  config: ModelConfig;
  /** The model its infer routes serve: a start-up model's host (the shared on-demand host has none). */
  name?: string;
}

/** The model a host's own routes serve, as the repository API last left it on this replica. load and unload
 *  reach every replica the host has at the time; one that starts later begins from the folder at start. */
interface Served {
  name: string;
  /** Highest first, as the V2Server orders them. */
  versions: ModelVersionSpec[];
  unloaded: boolean;
}

type VersionParams = { version?: string };
const VERSION_PARAMS = { type: 'object', properties: { version: { type: 'string' } } };
const INFER_ACCEPTS = ['application/json', 'application/octet-stream', '*/*'];

interface Entry {
  path: string;
  loading: Promise<OnnxModel | undefined>;
  model?: OnnxModel;
  reason?: string;
}

export const DEFAULT_MAX_BATCH = 8;
export const DEFAULT_BATCH_WAIT_MS = 2;

export class ModelHost {
  readonly #spec: HostSpec;
  readonly #entries = new Map<string, Entry>();
  /** Batch input buffers kept for the next batch of the same size: a fresh 1 MB buffer per batch drove full
   *  collections (see OnnxModel's spares). A buffer is out of the map while its batch runs. */
  readonly #spares = new Map<string, TensorData>();
  readonly #served: Served | undefined;

  constructor(spec: HostSpec) {
    this.#spec = spec;
    if (spec.name !== undefined) {
      const versions = Object.entries(spec.models).map(([key, path]) => ({ version: key.slice(key.lastIndexOf('/') + 1), path }));
      this.#served = { name: spec.name, versions, unloaded: false };
    }
  }

  async init(): Promise<void> {
    const batching = {
      maxBatchSize: this.#spec.config.maxBatchSize ?? DEFAULT_MAX_BATCH,
      batchWaitTimeoutMs: this.#spec.config.batchWaitTimeoutMs ?? DEFAULT_BATCH_WAIT_MS,
    };
    configureBatch(this, 'infer', batching);
    configureBatch(this, 'inferRoute', batching);
    // A version that does not load is reported UNAVAILABLE with why; the others serve.
    await Promise.all(Object.entries(this.#spec.models).map(([key, path]) => this.#load(key, path).loading));
  }

  /** The state of a version (loading it first when this replica has not), with its inputs and outputs. */
  async describe(key: string, path: string): Promise<ModelDescription> {
    const entry = this.#entries.get(key) ?? this.#load(key, path);
    await entry.loading;
    return describeEntry(key, entry);
  }

  /** Loads (again, from the file as it is now) one version. */
  async load(key: string, path: string): Promise<ModelDescription> {
    this.#servedVersion(key, (served, version) => {
      if (!served.versions.some((v) => v.version === version)) {
        served.versions.push({ version, path });
        served.versions.sort(highestFirst);
      }
      served.unloaded = false;
    });
    const old = this.#entries.get(key);
    const entry = this.#load(key, path);
    await entry.loading;
    if (old && old !== entry) void old.loading.then((m) => m?.dispose());
    return describeEntry(key, entry);
  }

  /** Unloads one version: the model's routes answer "unloaded" until it is loaded again, or with `gone` (the
   *  version left the folder) they no longer know that version. */
  async unload(key: string, gone = false): Promise<boolean> {
    this.#servedVersion(key, (served, version) => {
      if (gone) served.versions = served.versions.filter((v) => v.version !== version);
      else served.unloaded = true;
    });
    const entry = this.#entries.get(key);
    if (!entry) return false;
    this.#entries.delete(key);
    await (await entry.loading)?.dispose();
    return true;
  }

  /** What V2Server calls for the models it routes (those loaded after start). */
  @batch({ maxBatchSize: DEFAULT_MAX_BATCH, batchWaitTimeoutMs: DEFAULT_BATCH_WAIT_MS })
  async infer(requests: Batch<HostRequest>): Promise<(HostTensor[] | Error)[]> {
    return this.#infer(requests);
  }

  /** The protocol's infer route of a start-up model, straight from the proxy: each request answered as V2Server
   *  would (its v2 error, or the JSON or binary reply), batched like infer(). */
  @post('/infer', {
    summary: 'Inference: JSON tensors, or the binary tensor data extension (Inference-Header-Content-Length)',
    tags: ['v2'], params: VERSION_PARAMS, accepts: INFER_ACCEPTS, response: V2_SCHEMAS.inferResponse,
  })
  @batch({ maxBatchSize: DEFAULT_MAX_BATCH, batchWaitTimeoutMs: DEFAULT_BATCH_WAIT_MS })
  async inferRoute(inputs: Batch<RouteInput<unknown, Record<string, unknown>, VersionParams>>): Promise<unknown[]> {
    const replies: unknown[] = new Array(inputs.length);
    const requests: HostRequest[] = [];
    const pending: { at: number; model: ModelDescription; parsed: ParsedInfer }[] = [];
    // Resolved once per version named in the batch (undefined: the latest ready one).
    const resolved = new Map<string | undefined, Promise<{ model: ModelDescription; path: string }>>();
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i]!;
      try {
        const version = input.params.version;
        let r = resolved.get(version);
        if (!r) resolved.set(version, (r = this.#resolve(version)));
        const { model, path } = await r;
        const parsed = parseInfer(model, input.body, input.headers[HEADER_LENGTH]);
        requests.push({ key: `${model.name}/${model.version}`, path, ...parsed.request });
        pending.push({ at: i, model, parsed });
      } catch (err) {
        replies[i] = v2Error(err);
      }
    }
    const results = requests.length > 0 ? await this.#infer(requests) : [];
    pending.forEach(({ at, model, parsed }, k) => {
      const result = results[k]!;
      try {
        replies[at] = result instanceof Error ? v2Error(result) : inferReply(model, parsed, result);
      } catch (err) {
        replies[at] = v2Error(err);
      }
    });
    return replies;
  }

  @post('/versions/:version/infer', {
    summary: 'Inference on one version', tags: ['v2'], params: VERSION_PARAMS, accepts: INFER_ACCEPTS, response: V2_SCHEMAS.inferResponse,
  })
  inferVersionRoute(input: RouteInput<unknown, Record<string, unknown>, VersionParams>): Promise<unknown> {
    return this.inferRoute(input as never) as unknown as Promise<unknown>;
  }

  /** The version of this host's model a request gets, as V2Server's resolution picks it. */
  #resolve(version: string | undefined): Promise<{ model: ModelDescription; path: string }> {
    const served = this.#served;
    if (!served) return Promise.reject(new V2RequestError(404, 'this deployment serves no model on its own routes: use /v2/models/<name>/infer'));
    if (served.unloaded) return Promise.reject(unloadedModel(served.name));
    return resolveVersion(served.name, served.versions, version, (v) => this.describe(`${served.name}/${v.version}`, v.path))
      .then(({ model, chosen }) => ({ model, path: chosen.path }));
  }

  async #infer(requests: HostRequest[]): Promise<(HostTensor[] | Error)[]> {
    const results: (HostTensor[] | Error)[] = new Array(requests.length);
    const byKey = new Map<string, number[]>();
    requests.forEach((r, i) => {
      const list = byKey.get(r.key);
      if (list) list.push(i);
      else byKey.set(r.key, [i]);
    });
    for (const [key, indices] of byKey) {
      const entry = this.#entries.get(key) ?? this.#load(key, requests[indices[0]!]!.path);
      const model = await entry.loading;
      if (!model) {
        const err = new V2RequestError(400, `model version ${key} is not available: ${entry.reason ?? 'it was unloaded'}`);
        for (const i of indices) results[i] = err;
        continue;
      }
      for (const group of groups(model, indices.map((i) => requests[i]!))) {
        const at = group.map((r) => requests.indexOf(r));
        try {
          const outs = await this.#runGroup(model, group);
          outs.forEach((o, k) => (results[at[k]!] = o));
        } catch (err) {
          for (const i of at) results[i] = err as Error;
        }
      }
    }
    return results;
  }

  async #runGroup(model: OnnxModel, group: HostRequest[]): Promise<HostTensor[][]> {
    const taken: [string, TensorData][] = [];
    try {
      return await runGroup(model, group, (dtype, length) => {
        const key = `${dtype}:${length}`;
        const data = this.#spares.get(key) ?? new (typedArrayFor(dtype))(length);
        this.#spares.delete(key);
        taken.push([key, data]);
        return data;
      });
    } finally {
      for (const [key, data] of taken) {
        this.#spares.set(key, data);
        if (this.#spares.size > 4) this.#spares.delete(this.#spares.keys().next().value!);
      }
    }
  }

  /** Runs `change` when `key` is a version of the model this host's routes serve. */
  #servedVersion(key: string, change: (served: Served, version: string) => void): void {
    const slash = key.lastIndexOf('/');
    if (this.#served && key.slice(0, slash) === this.#served.name) change(this.#served, key.slice(slash + 1));
  }

  #load(key: string, path: string): Entry {
    const config = this.#spec.config;
    const entry: Entry = { path, loading: Promise.resolve(undefined) };
    const options = {
      name: key,
      numCpus: config.numCpus ?? 1,
      executionProviders: config.executionProviders as ExecutionProviderName[] | undefined,
      fallbackToCpu: true,
    };
    entry.loading = OnnxModel.load(path, options)
      .catch((err) => {
        // A model whose open dims the default warm-up shapes do not fit still serves: load it without one.
        if (err instanceof ModelLoadError && /warm-up/.test(err.message)) return OnnxModel.load(path, { ...options, warmup: false });
        throw err;
      })
      .then(
        (model) => (entry.model = model),
        (err: Error) => {
          entry.reason = err.message;
          return undefined;
        },
      );
    this.#entries.set(key, entry);
    return entry;
  }
}
// Inside troupe's own sources @deployment cannot tell the module from the call stack: replicas import it from here.
setLocation(ModelHost, { module: import.meta.url, exportName: 'ModelHost' });
deployment(ModelHost, { maxOngoingRequests: 256 });

function describeEntry(key: string, entry: Entry): ModelDescription {
  const slash = key.lastIndexOf('/');
  const base = { name: key.slice(0, slash), version: key.slice(slash + 1) };
  if (!entry.model) return { ...base, state: 'UNAVAILABLE', reason: entry.reason ?? 'not loaded', inputs: [], outputs: [] };
  return { ...base, state: 'READY', inputs: [...entry.model.inputs], outputs: [...entry.model.outputs] };
}

const openFirstDim = (t: TensorInfo) => t.shape.length > 0 && (typeof t.shape[0] === 'string' || (t.shape[0] as number) < 0);

/** Requests that can share one run: same dims after the first (and the same outputs) where the first dim is open. */
function groups(model: OnnxModel, requests: HostRequest[]): HostRequest[][] {
  const batchable = model.inputs.length > 0 && model.inputs.every(openFirstDim) && model.outputs.every(openFirstDim);
  if (!batchable) return requests.map((r) => [r]);
  const out = new Map<string, HostRequest[]>();
  for (const r of requests) {
    const sig = r.inputs.map((i) => `${i.name}:${i.shape.slice(1).join(',')}`).sort().join(';') + `|${r.outputs?.join(',') ?? '*'}`;
    const list = out.get(sig);
    if (list) list.push(r);
    else out.set(sig, [r]);
  }
  return [...out.values()];
}

type Allocate = (dtype: WireInput['dtype'], length: number) => TensorData;

async function runGroup(model: OnnxModel, group: HostRequest[], allocate: Allocate): Promise<HostTensor[][]> {
  const first = group[0]!;
  const feeds: Record<string, { dtype: WireInput['dtype']; shape: number[]; data: TensorData }> = {};
  for (const input of first.inputs) {
    const parts = group.map((r) => r.inputs.find((i) => i.name === input.name)!);
    const rows = parts.reduce((n, p) => n + p.shape[0]!, 0);
    const shape = [rows, ...input.shape.slice(1)];
    feeds[input.name] = { dtype: input.dtype, shape, data: parts.length === 1 ? view(parts[0]!, first.body, allocate) : gather(input, parts, group, shape, allocate) };
  }
  const outputs = await model.run(feeds, first.outputs ? { outputs: first.outputs } : {});
  const names = first.outputs ?? model.outputNames;
  if (group.length === 1) return [names.map((name) => ({ name, ...(outputs[name] as Omit<HostTensor, 'name'>) }))];
  const rowsOf = group.map((r) => r.inputs[0]!.shape[0]!);
  const total = rowsOf.reduce((a, b) => a + b, 0);
  const per: HostTensor[][] = group.map(() => []);
  for (const name of names) {
    const t = outputs[name]!;
    if (t.shape[0] !== total) throw new V2RequestError(400, `output "${name}" of model ${model.name} has no batch dim to split; send one request at a time`);
    const rowSize = t.shape.slice(1).reduce((a, b) => a * b, 1);
    let at = 0;
    group.forEach((_, k) => {
      const n = rowsOf[k]!;
      per[k]!.push({ name, dtype: t.dtype, shape: [n, ...t.shape.slice(1)], data: t.data.slice(at * rowSize, (at + n) * rowSize) as TensorData });
      at += n;
    });
  }
  return per;
}

function bytesOf(input: WireInput, body: Uint8Array | undefined): Uint8Array {
  if (input.data) return new Uint8Array(input.data.buffer, input.data.byteOffset, input.data.byteLength);
  return body!.subarray(input.offset!, input.offset! + input.byteLength!);
}

/** One request's input: the body's own memory when it lies aligned for its type, else a copy. */
function view(input: WireInput, body: Uint8Array | undefined, allocate: Allocate): TensorData {
  if (input.data) return input.data;
  const Ctor = typedArrayFor(input.dtype);
  const start = body!.byteOffset + input.offset!;
  const count = input.byteLength! / Ctor.BYTES_PER_ELEMENT;
  // Shared memory 8-byte aligned is what ORT's input path reads fast (aliased, or copied by V8 at full speed).
  const align = body!.buffer instanceof SharedArrayBuffer ? 8 : Ctor.BYTES_PER_ELEMENT;
  if (start % align === 0) return new (Ctor as unknown as new (b: ArrayBufferLike, o: number, n: number) => TensorData)(body!.buffer, start, count);
  const copy = allocate(input.dtype, count);
  copyBytes(new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength), 0, bytesOf(input, body));
  return copy;
}

/** The inputs of several requests, one after another along the first dim: the batch's one copy. */
function gather(input: WireInput, parts: WireInput[], group: HostRequest[], shape: number[], allocate: Allocate): TensorData {
  const out = allocate(input.dtype, shape.reduce((a, b) => a * b, 1));
  const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  let at = 0;
  parts.forEach((p, k) => {
    const src = bytesOf(p, group[k]!.body);
    copyBytes(bytes, at, src);
    at += src.byteLength;
  });
  return out;
}

let scratch = new Uint8Array(0);

/** V8 copies out of shared memory byte by byte unless the source is 8-byte aligned (55 against 9 µs for 110 KB
 *  here), and a binary tensor after a JSON header of any length rarely is: such a tensor is read as the aligned
 *  span around it into a scratch buffer, then copied on from there (8 µs in all). */
function copyBytes(dst: Uint8Array, at: number, src: Uint8Array): void {
  const sab = src.buffer;
  if (!(sab instanceof SharedArrayBuffer) || src.byteOffset % 8 === 0) {
    dst.set(src, at);
    return;
  }
  const start = src.byteOffset - (src.byteOffset % 8);
  const end = Math.min(sab.byteLength, Math.ceil((src.byteOffset + src.byteLength) / 8) * 8);
  const span = end - start;
  // Kept for the next tensor up to 4 MiB; a larger one gets a buffer of its own.
  const buffer = span <= scratch.byteLength ? scratch : new Uint8Array(span);
  if (span > scratch.byteLength && span <= 4 * 2 ** 20) scratch = buffer;
  buffer.set(new Uint8Array(sab, start, span));
  const from = src.byteOffset - start;
  dst.set(buffer.subarray(from, from + src.byteLength), at);
}
