// troupe as a user gets it: `npm pack`, the tarball installed with `npm install` into a new project (the registry
// only; onnxruntime-node not installed), an app in TypeScript compiled by that project's own tsc with standard
// decorators and run with plain node, the same app in JavaScript, and `npx troupe run app.ts:app`. Slow (a pack, an
// install, a compile); every child process and the temporary folders go at the end.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

t.setTimeout(900_000);

const root = fileURLToPath(new URL('../..', import.meta.url));
const repo = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };

// An npm started by `npm test` passes its own settings down as npm_* variables (the prefix among them): the inner
// npm must see a user's environment, not this repository's.
const env: Record<string, string> = {};
for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^npm_/i.test(k) && k !== 'NODE_OPTIONS') env[k] = v;
env.npm_config_audit = 'false';
env.npm_config_fund = 'false';
env.npm_config_update_notifier = 'false';

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}) in ${cwd}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const children = new Set<ChildProcess>();
/** Starts a server process and resolves with the port from its "listening" line. */
async function server(cmd: string, args: string[], cwd: string): Promise<{ port: number; stop: () => Promise<number | null>; output: () => string }> {
  // A process group of its own: npx does not pass a signal on to the troupe it started, so stop() signals the group.
  const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.add(child);
  let output = '';
  const exited = once(child, 'exit');
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /listening (?:http:\/\/[^:\s]+:)?(\d+)/.exec(output);
      if (m) resolve(Number(m[1]));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => reject(new Error(`${cmd} ${args.join(' ')} exited before listening:\n${output}`)));
  });
  return {
    port,
    output: () => output,
    stop: async () => {
      process.kill(-child.pid!, 'SIGTERM');
      const [code] = await exited;
      children.delete(child);
      return code as number | null;
    },
  };
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'troupe-package-'));
t.teardown(() => {
  for (const child of children) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(tmp, { recursive: true, force: true });
});

const appTs = `import { deployment, ingress, get, type DeploymentHandle, type RouteInput } from 'troupe';

@deployment()
export class Doubler {
  double(x: number): number {
    return 2 * x;
  }
}

@deployment()
@ingress()
export class Api {
  constructor(private doubler: DeploymentHandle<Doubler>) {}

  @get('/double')
  async double({ query }: RouteInput<unknown, { x?: string }>) {
    return { y: await this.doubler.double(Number(query.x)) };
  }
}

export const app = Api.bind(Doubler.bind());
`;

// serve.run from a main module of its own; SIGTERM shuts it down.
const mainTs = `import { serve } from 'troupe';
import { app } from './app.js';

await serve.start({ http: { port: 0 } });
await serve.run(app);
console.log(\`listening \${serve.address!.port}\`);
process.once('SIGTERM', () => void serve.shutdown().then(() => process.exit(0)));
`;

const appJs = `import { bind, deployment } from 'troupe';

export class Doubler {
  double(x) {
    return 2 * x;
  }
}
deployment(Doubler);

export class Api {
  constructor(doubler) {
    this.doubler = doubler;
  }
  async __call__(request) {
    return { y: await this.doubler.double(Number(request.query.x)) };
  }
}
deployment(Api);

export const app = bind(Api, bind(Doubler));
`;

const mainJs = mainTs.replace('console.log(`listening ${serve.address!.port}`);', 'console.log(`listening ${serve.address.port}`);');

const tsconfig = {
  compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', types: ['node'] },
  include: ['*.ts'],
};

const project = path.join(tmp, 'app');
let tarball = '';

t.test('npm pack makes a tarball of the compiled package only', async t => {
  const out = run('npm', ['pack', '--json', '--pack-destination', tmp], root);
  const [info] = JSON.parse(out.slice(out.search(/^\[\s*$/m))) as [{ filename: string; files: { path: string }[] }];
  tarball = path.join(tmp, info.filename);
  const files = info.files.map(f => f.path);
  for (const needed of ['package.json', 'LICENSE', 'README.md', 'bin/troupe.js', 'dist/index.js', 'dist/index.d.ts', 'dist/core/boot.mjs', 'dist/core/actor-worker.js']) {
    t.ok(files.includes(needed), `${needed} is in the package`);
  }
  t.same(files.filter(f => /^(src|test|bench|examples|\.ci)\//.test(f)), [], 'no sources, tests, benches or examples');
  if (process.platform === 'linux' && process.arch === 'x64') t.ok(files.includes('prebuilds/linux-x64/troupe_native.node'), 'the native addon ships prebuilt');
});

t.test('npm install of the tarball into a new project, without onnxruntime-node', async t => {
  rmSync(project, { recursive: true, force: true });
  run('mkdir', ['-p', project], tmp);
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'troupe-user', private: true, type: 'module' }, null, 2));
  run('npm', ['install', '--prefer-offline', tarball, `typescript@${repo.devDependencies.typescript}`, `@types/node@${repo.devDependencies['@types/node']}`], project);
  const installed = JSON.parse(readFileSync(path.join(project, 'node_modules/troupe/package.json'), 'utf8')) as { version: string };
  t.equal(installed.version, repo.version);
  t.throws(() => run(process.execPath, ['-e', "require.resolve('onnxruntime-node')"], project), 'onnxruntime-node is not installed');
});

t.test('a TypeScript app compiled by the project\'s own tsc (standard decorators) runs with plain node', async t => {
  writeFileSync(path.join(project, 'app.ts'), appTs);
  writeFileSync(path.join(project, 'main.ts'), mainTs);
  writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  run(process.execPath, [path.join(project, 'node_modules/typescript/bin/tsc'), '-p', '.'], project);
  const s = await server(process.execPath, ['out/main.js'], project);
  const res = await fetch(`http://127.0.0.1:${s.port}/double?x=21`);
  t.equal(res.status, 200);
  t.same(await res.json(), { y: 42 }, 'the ingress called the Doubler deployment through its handle');
  t.equal(await s.stop(), 0);
});

t.test('the same app in plain JavaScript runs with plain node', async t => {
  run('mkdir', ['-p', 'js'], project);
  writeFileSync(path.join(project, 'js/app.js'), appJs);
  writeFileSync(path.join(project, 'js/main.js'), mainJs);
  const s = await server(process.execPath, ['js/main.js'], project);
  const res = await fetch(`http://127.0.0.1:${s.port}/?x=4`);
  t.equal(res.status, 200);
  t.same(await res.json(), { y: 8 });
  t.equal(await s.stop(), 0);
});

t.test('npx troupe run app.ts:app loads the TypeScript module', async t => {
  const s = await server('npx', ['troupe', 'run', 'app.ts:app', '--port', '0', '--no-admin'], project);
  const res = await fetch(`http://127.0.0.1:${s.port}/double?x=5`);
  t.same(await res.json(), { y: 10 });
  await s.stop();
});

t.test('OnnxModel without onnxruntime-node says what to install', async t => {
  writeFileSync(path.join(project, 'model.onnx'), 'not a model');
  const script = "import { OnnxModel } from 'troupe'; OnnxModel.load('model.onnx').then(() => console.log('loaded'), e => console.log(e.code, e.message));";
  const out = run(process.execPath, ['--input-type=module', '-e', script], project);
  t.match(out, /^TROUPE_ERR_ONNXRUNTIME_MISSING .*npm install onnxruntime-node/);
});
