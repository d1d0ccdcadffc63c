// A folder of ONNX models served with the Open Inference Protocol (KServe v2) and Triton's repository API:
//
//   const app = modelRepository('./models');        // models/<name>/<version>/model.onnx (+ <name>/config.yaml)
//   await serve.run(app, { port: 8000 });           // POST /v2/models/<name>/infer
//
// One ModelHost deployment per model (replicas, batching and resources from its config.yaml), and the
// V2Server ingress in front of them. `troupe serve-models <dir>` runs it from the command line.
import { Application } from '../serve/index.ts';
import { ModelRepositoryError } from './errors.ts';
import { ModelHost, type HostSpec } from './model-host.ts';
import { checkRepositoryDir, scanRepository, type ModelConfig, type ModelSpec } from './scan.ts';
import { V2Server } from './v2-server.ts';

export { ModelRepositoryError, V2RequestError } from './errors.ts';
export type { ModelConfig, ModelSpec } from './scan.ts';
export { ModelHost } from './model-host.ts';
export { V2Server } from './v2-server.ts';

export interface ModelRepositoryOptions {
  /** What a model without a config.yaml (or a field it leaves out) gets; models loaded after start run with these. */
  defaults?: ModelConfig;
  /** The server's name in GET /v2 (default 'troupe'). */
  serverName?: string;
  /** Replicas of the deployment that runs models loaded after start (default 1). */
  onDemandReplicas?: number;
}

/**
 * The application that serves every model of `dir` (Triton's layout: `<name>/<version>/model.onnx`). A folder
 * with no models yet serves too: add one and POST /v2/repository/models/<name>/load.
 */
export function modelRepository(dir: string, options: ModelRepositoryOptions = {}): Application<V2Server> {
  if (typeof dir !== 'string' || dir === '') throw new ModelRepositoryError('modelRepository(dir) needs the path of a model folder, e.g. modelRepository("./models")');
  const abs = checkRepositoryDir(dir);
  const defaults = options.defaults ?? {};
  const models = scanRepository(abs);
  const hosts: Record<string, Application<ModelHost>> = {};
  for (const m of models) {
    const config = { ...defaults, ...m.config };
    const spec: HostSpec = { name: m.name, models: Object.fromEntries(m.versions.map((v) => [`${m.name}/${v.version}`, v.path])), config };
    // Its infer routes at /v2/models/<name> take its requests from the proxy directly (one hop); V2Server answers
    // the rest of the protocol there. A name is letters, digits, _ . - (scan.ts): nothing to encode in a path.
    // Models loaded later run on the on-demand host, their requests through V2Server (two hops).
    const options = { ...hostOptions(`model-${m.name}`, config, config.numReplicas ?? 1), routePrefix: `/v2/models/${m.name}` };
    hosts[m.name] = (ModelHost.bind(spec) as Application<ModelHost>).options(options);
  }
  // The on-demand host holds nothing until a load: it reserves no CPU, so that the start-up models' replicas are
  // placed (its models still run with the defaults' numCpus ORT threads).
  const loadedLater = hostOptions('models-loaded', defaults, options.onDemandReplicas ?? 1);
  const onDemand = (ModelHost.bind({ models: {}, config: defaults }) as Application<ModelHost>).options({ ...loadedLater, actorOptions: { ...loadedLater.actorOptions, numCpus: 0 } });
  return V2Server.bind({ dir: abs, models, hosts, onDemand, serverName: options.serverName ?? 'troupe', serverVersion: '2' } as never) as Application<V2Server>;
}

function hostOptions(name: string, config: ModelConfig, numReplicas: number) {
  const batch = config.maxBatchSize ?? 8;
  return {
    name,
    numReplicas,
    // Enough calls in a replica at once for its batches to fill.
    maxOngoingRequests: config.maxOngoingRequests ?? Math.max(64, batch * 4),
    actorOptions: { numCpus: config.numCpus ?? 1, numGpus: config.numGpus ?? 0, ...(config.memory ? { memory: config.memory } : {}) },
  };
}

/** The models of a folder as modelRepository() would serve them; throws ModelRepositoryError for a folder it cannot serve. */
export function modelRepositoryFolder(dir: string): ModelSpec[] {
  return scanRepository(checkRepositoryDir(dir));
}

/** A builder for config files: `importPath: troupe:modelRepositoryApp` with `args: { dir: ./models }`. */
export function modelRepositoryApp(args: { dir?: unknown; defaults?: ModelConfig; serverName?: string }): Application<V2Server> {
  if (typeof args?.dir !== 'string') throw new ModelRepositoryError('modelRepositoryApp needs args.dir: the model folder, e.g. args: { dir: ./models }');
  return modelRepository(args.dir, { defaults: args.defaults, serverName: args.serverName });
}
