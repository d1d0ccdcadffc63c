// What `troupe --help` and `troupe <command> --help` print.
export const commands: Record<string, { summary: string; usage: string }> = {
  run: {
    summary: 'serve an application, or every application of a config file, in this process',
    usage: `usage: troupe run <module:export | config.yaml> [options]

Serves in the foreground: the HTTP proxy (default http://127.0.0.1:8000), the replicas on worker threads,
and the admin API (default http://127.0.0.1:8265) that troupe deploy/status/shutdown talk to.
Prints a line per replica as it starts, then "listening <url>". Ctrl-C or SIGTERM stops it gracefully
(requests in flight finish); a second Ctrl-C forces it.

  <module:export>       a module (a file, relative to here; extension optional) and its export: an application
                        (Cls.bind(...)) or a builder function (args) => application. "app.ts" means app.ts:app.
  <config.yaml>         a config file (.yaml, .yml or .json; troupe build writes one, troupe schema checks it)

options:
  --host <host>         HTTP host (default: the config's http.host, $HOST, 127.0.0.1)
  --port <port>         HTTP port, 0 for any free one (default: the config's http.port, $PORT, 8000)
  --name <name>         application name for a module:export (default "default")
  --route-prefix <p>    route prefix for a module:export (default "/")
  --admin-host <host>   admin API host (default 127.0.0.1; another host needs a token: admin.token or
                        $TROUPE_ADMIN_TOKEN)
  --admin-port <port>   admin API port (default 8265; when the default is taken, troupe runs without it)
  --no-admin            no admin API (also: admin: false in the config)
  --graceful-timeout <s>  on Ctrl-C or SIGTERM: stop taking connections, let requests in flight (queued ones in
                        order of arrival) finish, and exit within this many seconds (default 10); exit code 3
                        when requests were still in flight at the deadline (cancelled with 503)
  --reload              development: serve from a child process and restart it when a .ts/.js/.json/.yaml file
                        changes in the application's folder (the module's, or the config's and its modules')
  --verbose             print stacks with errors
  -h, --help            this text`,
  },
  build: {
    summary: 'write a config file for one or more applications, with every deployment\'s options',
    usage: `usage: troupe build <module:export>... [-o config.yaml]

Imports each application and writes a config with every deployment and its current options, ready to edit
and to apply with troupe run or troupe deploy. Module paths in it are relative to the file.
One application is named "default" on "/"; several are named after their exports, each on /<name>.

options:
  -o, --output <file>   write it there (default: standard output)
  --verbose             print stacks with errors
  -h, --help            this text`,
  },
  deploy: {
    summary: 'apply a config file to a running server (through its admin API)',
    usage: `usage: troupe deploy <config.yaml> [--address <url>]

Checks the config here, then sends it to the server's admin API and waits until it is applied, printing
replica changes. Declarative: each application in the file is deployed or updated in place under its name
(unchanged deployments keep their replicas; numReplicas, autoscalingConfig, userConfig and
maxOngoingRequests reach live replicas; changed code or actorOptions roll replicas), and running
applications the file does not list are deleted. A config that cannot be applied changes nothing.

options:
  --address <url>       the admin API (default: $TROUPE_ADMIN_ADDRESS, http://127.0.0.1:8265)
                        A server with a token wants it in $TROUPE_ADMIN_TOKEN.
  --verbose             print stacks with errors
  -h, --help            this text`,
  },
  status: {
    summary: 'show applications, deployments, replicas and resources of a running server',
    usage: `usage: troupe status [--watch] [--json] [--address <url>]

options:
  -w, --watch           keep showing it, updated every second, until Ctrl-C
  --json                the admin API's answer as JSON (with --watch: one line per change)
  --address <url>       the admin API (default: $TROUPE_ADMIN_ADDRESS, http://127.0.0.1:8265)
  -h, --help            this text`,
  },
  shutdown: {
    summary: 'stop a running server gracefully',
    usage: `usage: troupe shutdown [--address <url>]

Asks the server to stop (requests in flight finish) and waits until it has.

options:
  --address <url>       the admin API (default: $TROUPE_ADMIN_ADDRESS, http://127.0.0.1:8265)
  -h, --help            this text`,
  },
  schema: {
    summary: 'print the config file\'s JSON Schema (for editors)',
    usage: `usage: troupe schema [-o troupe.schema.json]

Editors that read JSON Schema complete and check the config with it: in VS Code (YAML extension) put
"# yaml-language-server: $schema=./troupe.schema.json" at the top of the config.

options:
  -o, --output <file>   write it there (default: standard output)
  -h, --help            this text`,
  },
  'serve-models': {
    summary: 'serve a folder of ONNX models with the Open Inference Protocol (KServe v2)',
    usage: `usage: troupe serve-models <dir> [options]

Serves every model of <dir> in Triton's layout, <name>/<version>/model.onnx, each on its own deployment with
dynamic batching where its first dim is open; an optional <name>/config.yaml sets numReplicas, maxBatchSize,
batchWaitTimeoutMs, maxOngoingRequests, numCpus, numGpus, memory and executionProviders.
Routes: GET /v2, /v2/health/live, /v2/health/ready, /v2/models/<name>[/versions/<v>][/ready],
POST /v2/models/<name>[/versions/<v>]/infer (JSON or binary tensors), and the repository API:
GET|POST /v2/repository/index, POST /v2/repository/models/<name>/load and /unload. Docs at /docs.

options:
  --host <host>         HTTP host (default $HOST, 127.0.0.1)
  --port <port>         HTTP port, 0 for any free one (default $PORT, 8000)
  --route-prefix <p>    serve the routes under this prefix (default "/")
  --admin-host <host>   admin API host (as for troupe run)
  --admin-port <port>   admin API port (default 8265)
  --no-admin            no admin API
  --verbose             print stacks with errors
  -h, --help            this text`,
  },
  bench: {
    summary: 'run a bench scenario (needs the troupe repository\'s bench/ folder)',
    usage: `usage: troupe bench <scenario> [flags]      (troupe bench --list shows the scenarios)`,
  },
};

export const exitCodes = `exit codes:
  0  done
  1  failed: an invalid config, no server answering, a rejected deploy, a start that failed
  2  usage error: an unknown command or option, a missing or malformed value`;

export function mainUsage(): string {
  const width = Math.max(...Object.keys(commands).map(c => c.length));
  return `usage: troupe <command> [options]

commands:
${Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`).join('\n')}

  troupe <command> --help   the command's options
  troupe --version          troupe's version

${exitCodes}`;
}
