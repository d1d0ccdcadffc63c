// The ingress of a model repository: the Open Inference Protocol's REST routes (health, metadata, infer) and
// Triton's repository API (index, load, unload). It keeps which model is loaded and where it runs: a model
// found at start on its own ModelHost deployment, one loaded later on the shared on-demand host. A model found
// at start has its infer routes on its host too, which the proxy sends its requests to directly (one hop, see
// modelRepository()); the infer routes here serve the models loaded later.
import { ingress, get, post, type RouteInput } from '../http/index.ts';
import { setLocation } from '../core/index.ts';
import { callEveryReplica, deployment, type DeploymentHandle, type Unbatched } from '../serve/index.ts';
import { V2RequestError } from './errors.ts';
import type { ModelHost } from './model-host.ts';
import { HEADER_LENGTH, parseInfer, tensorMetadata, type ModelDescription } from './protocol.ts';
import { inferReply, v2 } from './reply.ts';
import { resolveVersion, unloadedModel } from './resolve.ts';
import { scanModel, scanRepository, type ModelSpec } from './scan.ts';
import { V2_SCHEMAS } from './schemas.ts';

type Host = DeploymentHandle<Unbatched<ModelHost>>;

export interface ServerSpec {
  dir: string;
  models: ModelSpec[];
  hosts: Record<string, Host>;
  onDemand: Host;
  serverName: string;
  serverVersion: string;
}

interface ModelState {
  spec: ModelSpec;
  host: Host;
  loaded: boolean;
  /** By version: what its host reported, fetched once. */
  described: Map<string, Promise<ModelDescription>>;
}

type Params = { name: string; version?: string };
const MODEL_PARAMS = { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' } } };

@ingress({ title: 'troupe model repository (Open Inference Protocol v2)', version: '2.0.0' })
export class V2Server {
  readonly #spec: ServerSpec;
  readonly #models = new Map<string, ModelState>();

  constructor(spec: ServerSpec) {
    this.#spec = spec;
    for (const m of spec.models) this.#models.set(m.name, { spec: m, host: spec.hosts[m.name]!, loaded: true, described: new Map() });
  }

  @get('/v2', { summary: 'Server metadata', tags: ['v2'], response: V2_SCHEMAS.serverMetadata })
  metadata() {
    return { name: this.#spec.serverName, version: this.#spec.serverVersion, extensions: ['binary_tensor_data', 'model_repository'] };
  }

  @get('/v2/health/live', { summary: 'Server live', tags: ['v2'] })
  live() {
    return { live: true };
  }

  @get('/v2/health/ready', { summary: 'Server ready: every loaded model has been loaded (or has failed to)', tags: ['v2'] })
  async ready() {
    return v2(async () => {
      for (const state of this.#models.values()) {
        if (state.loaded) for (const v of state.spec.versions) await this.#describe(state, v.version);
      }
      return { ready: true };
    });
  }

  @get('/v2/models/:name', { summary: 'Model metadata (latest ready version)', tags: ['v2'], params: MODEL_PARAMS, response: V2_SCHEMAS.modelMetadata })
  async modelMetadata(input: RouteInput<unknown, Record<string, unknown>, Params>) {
    return v2(async () => {
      const { state, model } = await this.#resolve(input.params);
      return {
        name: model.name,
        versions: state.spec.versions.map((v) => v.version),
        platform: 'onnxruntime_onnx',
        inputs: model.inputs.map(tensorMetadata),
        outputs: model.outputs.map(tensorMetadata),
      };
    });
  }

  @get('/v2/models/:name/versions/:version', { summary: 'Model version metadata', tags: ['v2'], params: MODEL_PARAMS, response: V2_SCHEMAS.modelMetadata })
  versionMetadata(input: RouteInput<unknown, Record<string, unknown>, Params>) {
    return this.modelMetadata(input);
  }

  @get('/v2/models/:name/ready', { summary: 'Model ready (200) or not (400)', tags: ['v2'], params: MODEL_PARAMS })
  async modelReady(input: RouteInput<unknown, Record<string, unknown>, Params>) {
    return v2(async () => {
      const { model } = await this.#resolve(input.params);
      return { name: model.name, version: model.version, ready: true };
    });
  }

  @get('/v2/models/:name/versions/:version/ready', { summary: 'Model version ready (200) or not (400)', tags: ['v2'], params: MODEL_PARAMS })
  versionReady(input: RouteInput<unknown, Record<string, unknown>, Params>) {
    return this.modelReady(input);
  }

  @post('/v2/models/:name/infer', {
    summary: 'Inference: JSON tensors, or the binary tensor data extension (Inference-Header-Content-Length)',
    tags: ['v2'], params: MODEL_PARAMS, accepts: ['application/json', 'application/octet-stream', '*/*'], response: V2_SCHEMAS.inferResponse,
  })
  async infer(input: RouteInput<unknown, Record<string, unknown>, Params>) {
    return v2(async () => {
      const { state, model, path } = await this.#resolve(input.params);
      const parsed = parseInfer(model, input.body, input.headers[HEADER_LENGTH]);
      const tensors = await state.host.infer({ key: `${model.name}/${model.version}`, path, ...parsed.request });
      return inferReply(model, parsed, tensors);
    });
  }

  @post('/v2/models/:name/versions/:version/infer', {
    summary: 'Inference on one version', tags: ['v2'], params: MODEL_PARAMS, accepts: ['application/json', 'application/octet-stream', '*/*'], response: V2_SCHEMAS.inferResponse,
  })
  inferVersion(input: RouteInput<unknown, Record<string, unknown>, Params>) {
    return this.infer(input);
  }

  @get('/v2/repository/index', { summary: 'Every model of the folder and its state', tags: ['repository'], response: V2_SCHEMAS.index })
  async index() {
    return v2(() => this.#index(false));
  }

  @post('/v2/repository/index', { summary: 'Every model of the folder and its state ({ "ready": true }: only the ready ones)', tags: ['repository'], accepts: ['application/json', '*/*'], response: V2_SCHEMAS.index })
  async indexPost(input: RouteInput<unknown>) {
    return v2(() => this.#index((input.body as { ready?: unknown } | undefined)?.ready === true));
  }

  @post('/v2/repository/models/:name/load', { summary: 'Loads a model (again) from the folder, new versions included', tags: ['repository'], params: MODEL_PARAMS, accepts: ['application/json', '*/*'] })
  async load(input: RouteInput<unknown, Record<string, unknown>, Params>) {
    return v2(async () => {
      const name = input.params.name;
      let spec: ModelSpec | undefined;
      try {
        spec = scanModel(this.#spec.dir, name);
      } catch (err) {
        throw new V2RequestError(400, `cannot load model "${name}": ${(err as Error).message}`);
      }
      if (!spec) throw new V2RequestError(404, `no model "${name}" in ${this.#spec.dir}: add ${name}/<version>/model.onnx there and load it again`);
      const old = this.#models.get(name);
      const host = old?.host ?? this.#spec.hosts[name] ?? this.#spec.onDemand;
      const state: ModelState = { spec, host, loaded: true, described: new Map() };
      const failed: string[] = [];
      for (const v of spec.versions) {
        const described = everyReplica(host, 'load', [`${name}/${v.version}`, v.path]) as Promise<ModelDescription>;
        state.described.set(v.version, described);
        const d = await described;
        if (d.state !== 'READY') failed.push(`version ${v.version}: ${d.reason}`);
      }
      for (const v of old?.spec.versions ?? []) {
        if (!spec.versions.some((n) => n.version === v.version)) await everyReplica(host, 'unload', [`${name}/${v.version}`, true]);
      }
      this.#models.set(name, state);
      if (failed.length > 0) throw new V2RequestError(400, `failed to load model "${name}": ${failed.join('; ')}`);
      return {};
    });
  }

  @post('/v2/repository/models/:name/unload', { summary: 'Unloads a model: its requests answer 400 until it is loaded again', tags: ['repository'], params: MODEL_PARAMS, accepts: ['application/json', '*/*'] })
  async unload(input: RouteInput<unknown, Record<string, unknown>, Params>) {
    return v2(async () => {
      const state = this.#models.get(input.params.name);
      if (!state) throw unknownModel(input.params.name, this.#spec.dir);
      state.loaded = false;
      state.described.clear();
      for (const v of state.spec.versions) await everyReplica(state.host, 'unload', [`${state.spec.name}/${v.version}`]);
      return {};
    });
  }

  async #index(onlyReady: boolean) {
    const rows: { name: string; version: string; state: string; reason?: string }[] = [];
    let onDisk: ModelSpec[] = [];
    try {
      onDisk = scanRepository(this.#spec.dir);
    } catch {
      onDisk = []; // the folder is gone: the models loaded from it still serve
    }
    const names = new Set([...this.#models.keys(), ...onDisk.map((m) => m.name)]);
    for (const name of [...names].sort()) {
      const state = this.#models.get(name);
      const versions = state?.spec.versions ?? onDisk.find((m) => m.name === name)!.versions;
      for (const v of versions) {
        if (!state?.loaded) {
          rows.push({ name, version: v.version, state: 'UNAVAILABLE', reason: state ? 'unloaded' : 'not loaded' });
          continue;
        }
        const d = await this.#describe(state, v.version);
        rows.push({ name, version: v.version, state: d.state, ...(d.reason ? { reason: d.reason } : {}) });
      }
    }
    return onlyReady ? rows.filter((r) => r.state === 'READY') : rows;
  }

  #describe(state: ModelState, version: string): Promise<ModelDescription> {
    const known = state.described.get(version);
    if (known) return known;
    const path = state.spec.versions.find((v) => v.version === version)!.path;
    const d = Promise.resolve(state.host.describe(`${state.spec.name}/${version}`, path));
    state.described.set(version, d);
    // A failed call (no replica yet) is asked again next time.
    d.catch(() => state.described.get(version) === d && state.described.delete(version));
    return d;
  }

  /** The model version a request names (the latest ready one when it names none), ready to serve. */
  async #resolve(params: Params): Promise<{ state: ModelState; model: ModelDescription; path: string }> {
    const state = this.#models.get(params.name);
    if (!state) throw unknownModel(params.name, this.#spec.dir);
    if (!state.loaded) throw unloadedModel(params.name);
    const { model, chosen } = await resolveVersion(params.name, state.spec.versions, params.version, (v) => this.#describe(state, v.version));
    return { state, model, path: chosen.path };
  }
}
// Inside troupe's own sources @deployment cannot tell the module from the call stack: replicas import it from here.
setLocation(V2Server, { module: import.meta.url, exportName: 'V2Server' });
// No CPU reserved: it answers metadata and the repository API and forwards on-demand models' calls, while each
// start-up model's replicas reserve their numCpus (a full CPU here left a model's second replica PENDING on 2 cores).
deployment(V2Server, { name: 'v2-server', numReplicas: 1, maxOngoingRequests: 1024, maxQueuedRequests: 4096, actorOptions: { numCpus: 0 } });

/** Loads and unloads reach every replica of the model's host: a start-up model's infer goes to them directly, so
 *  each must know. Resolves with the first replica's answer; rejects only when none answered. */
async function everyReplica(host: Host, method: 'load' | 'unload', args: unknown[]): Promise<unknown> {
  const outcomes = await callEveryReplica(host, method, args);
  const answered = outcomes.find((o) => o.status === 'fulfilled');
  if (answered) return answered.value;
  throw (outcomes[0] as PromiseRejectedResult).reason;
}

function unknownModel(name: string, dir: string): V2RequestError {
  return new V2RequestError(404, `no model "${name}" is served; GET /v2/repository/index lists the models of ${dir}`);
}
