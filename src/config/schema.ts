// The config file's JSON Schema: what `troupe schema` prints for editors, and what every config is checked against
// before anything else happens. Field names are the code's (camelCase), times in ms, as in DeploymentOptions;
// the checks that need more than one field (maxReplicas >= minReplicas, ...) are resolveOptions's, run when the
// application is built.

type Schema = Record<string, unknown>;

const int = (minimum: number, description: string): Schema => ({ type: 'integer', minimum, description });
const num = (minimum: number, description: string): Schema => ({ type: 'number', minimum, description });
const positive = (description: string): Schema => ({ type: 'number', exclusiveMinimum: 0, description });

const actorOptions: Schema = {
  type: 'object',
  description: 'Resources one replica takes. Replaces the code\'s actorOptions whole: a field left out takes its default.',
  additionalProperties: false,
  properties: {
    numCpus: num(0, 'CPUs a replica is expected to use (default 1).'),
    numGpus: num(0, 'GPUs a replica takes: a fraction shares one GPU, above 1 a whole number (default 0).'),
    memory: num(1, "V8 heap limit of the replica's thread, in MiB."),
    gpuMemoryBytes: { type: 'integer', minimum: 1, description: "The replica's native memory slot quota in bytes (default: its numGpus share of the device's pool)." },
  },
};

const autoscalingConfig: Schema = {
  type: 'object',
  description:
    "Autoscale between minReplicas and maxReplicas. Replaces the code's autoscalingConfig whole (a policy function given in code is kept); leave numReplicas out, or set it to \"auto\".",
  additionalProperties: false,
  properties: {
    minReplicas: int(0, 'Fewest replicas (default 1); 0 lets an idle deployment stop all of them.'),
    maxReplicas: int(1, "Most replicas (default 1; with numReplicas \"auto\": this machine's cores / numCpus)."),
    initialReplicas: int(0, 'Replicas started at deploy time (default minReplicas).'),
    targetOngoingRequests: positive('Ongoing requests per replica the policy aims for (default 2).'),
    upscaleDelayMs: num(0, 'How long more replicas must be wanted before they start (default 30000).'),
    downscaleDelayMs: num(0, 'How long fewer replicas must be wanted before some stop (default 600000).'),
    downscaleToZeroDelayMs: num(0, 'How long no replica must be wanted before the last one stops (default downscaleDelayMs).'),
    upscalingFactor: positive('Multiplies each upscale step (default 1).'),
    downscalingFactor: positive('Multiplies each downscale step (default 1).'),
    lookBackPeriodMs: positive('Window the ongoing-request samples are averaged over (default 1000).'),
    metricsIntervalMs: positive('How often ongoing requests are sampled (default 100).'),
  },
};

/** Deployment fields besides `name`, in the order `troupe build` writes them. */
export const deploymentFields: Record<string, Schema> = {
  numReplicas: {
    anyOf: [{ type: 'integer', minimum: 1 }, { const: 'auto' }],
    description: 'Replicas to run (default 1), or "auto" to autoscale. Setting it drops the code\'s autoscalingConfig.',
    'x-expected': 'an integer >= 1 or "auto"',
  },
  autoscalingConfig,
  maxOngoingRequests: int(1, 'Calls one replica runs at once (default 5; 100 for a class with routes or __call__; at least twice its largest @batch size).'),
  maxQueuedRequests: int(0, "Calls that wait in a caller's router when every replica is full (default 4096)."),
  userConfig: { description: "Passed to the replica's reconfigure(config); a change reaches live replicas without a restart. Replaces the code's value whole." },
  actorOptions,
  healthCheckPeriodMs: positive("How often each replica's health is checked (default 10000)."),
  healthCheckTimeoutMs: positive('A health check that has not answered in this many ms failed (default 30000).'),
  healthCheckFailureThreshold: int(1, 'Consecutive failed health checks after which a replica is replaced (default 3).'),
  gracefulShutdownTimeoutMs: num(0, 'How long a stopping replica may finish its calls before it is terminated (default 20000).'),
  logLevel: { enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], description: "The lowest level the deployment's replicas log at (default: the process's)." },
  routePrefix: {
    type: 'string', pattern: '^/.', description: "For a deployment with routes that is not the ingress: serves them itself under this prefix, below the application's (one hop fewer).",
  },
};

const deployment: Schema = {
  type: 'object',
  description: 'Overrides for one deployment of the application, found by its name. Fields given here win over the code.',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1, description: "The deployment's name: its class name, or the name option given in code." },
    ...deploymentFields,
  },
};

const application: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['importPath'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$', description: 'Application name (default "default"); deploying under a name in use updates that application in place.' },
    routePrefix: { type: 'string', pattern: '^/', description: 'HTTP route prefix of its ingress (default "/").' },
    importPath: {
      type: 'string',
      pattern: '^.+:[A-Za-z_$][A-Za-z0-9_$]*$',
      description: 'module:export. The module is a file relative to this config file (app.ts, ./src/app.js) or a package; the export is an application (Cls.bind(...)) or a builder function (args) => application.',
      'x-expected': 'a string module:export, e.g. app.ts:app',
    },
    args: { type: 'object', description: 'Passed to the builder function the import path names.' },
    deployments: { type: 'array', items: deployment, description: 'Per-deployment overrides, by deployment name.' },
  },
};

export const configSchema: Schema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://troupe.dev/schema/config.json',
  title: 'troupe config',
  description: 'What `troupe run config.yaml` serves and `troupe deploy config.yaml` applies. `troupe build` writes one.',
  type: 'object',
  additionalProperties: false,
  required: ['applications'],
  properties: {
    $schema: { type: 'string' },
    http: {
      type: 'object',
      description: 'The public HTTP proxy. Read when the server starts (troupe run); a deploy does not change it.',
      additionalProperties: false,
      properties: {
        host: { type: 'string', minLength: 1, description: 'Default 127.0.0.1; 0.0.0.0 for every interface.' },
        port: { type: 'integer', minimum: 0, maximum: 65535, description: 'Default 8000 (or $PORT); 0 picks a free port.' },
        requestTimeoutMs: positive('A unary call past it answers 504 (default 60000).'),
        maxBodyBytes: int(1, 'Largest request body (default 10 MiB).'),
      },
    },
    admin: {
      type: ['object', 'boolean'],
      description: 'The admin API (troupe deploy/status/shutdown), on its own port; false turns it off. Read when the server starts.',
      additionalProperties: false,
      properties: {
        host: { type: 'string', minLength: 1, description: 'Default 127.0.0.1. Any other host needs a token.' },
        port: { type: 'integer', minimum: 0, maximum: 65535, description: 'Default 8265.' },
        token: { type: 'string', minLength: 1, description: 'Every admin call must send authorization: Bearer <token> (or set TROUPE_ADMIN_TOKEN).' },
      },
    },
    logging: {
      type: 'object',
      description: 'The HTTP log. Read when the server starts.',
      additionalProperties: false,
      properties: {
        encoding: { enum: ['json', 'text'], description: 'json: one JSON object a line; text: one readable line each (default: text on a terminal, json otherwise; or TROUPE_LOG_FORMAT).' },
        level: { enum: ['debug', 'info', 'warn', 'error'], description: 'Lowest level written (default info; warn or error hide the access log).' },
        accessLog: { type: 'boolean', description: 'One line per request (default true).' },
      },
    },
    applications: { type: 'array', items: application, description: 'Applications to run; a deploy removes running ones not listed here.' },
  },
};

/** The schema node that describes the value at `path`, or undefined (inside userConfig or args). */
export function schemaAt(path: readonly (string | number)[]): Schema | undefined {
  let node: Schema | undefined = configSchema;
  for (const part of path) {
    if (!node) return undefined;
    if (typeof part === 'number') node = node.items as Schema | undefined;
    else node = (node.properties as Record<string, Schema> | undefined)?.[part];
  }
  return node;
}
