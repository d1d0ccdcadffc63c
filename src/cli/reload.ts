// `troupe run --reload`: a supervisor that serves nothing itself. It runs `troupe run` with the same arguments minus
// --reload as a child process, watches the application's folders, and when a file changes stops the child gracefully
// and starts a new one. A new process because Node caches imported modules: a redeploy inside the same process would
// not see the changed code (uvicorn --reload and Ray's serve run --reload restart a process too).
import { spawn } from 'node:child_process';
import { readdirSync, statSync, watch, type Dirent, type FSWatcher } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile, parseImportPath, resolveModule } from '../config/index.ts';
import { EXIT } from './args.ts';

export interface ReloadTiming {
  /** Changes closer together than this are one reload (an editor's save, a git checkout). */
  debounceMs: number;
  /** After SIGTERM, how long the child may take to stop before SIGKILL: past its own 10 s bound for requests in flight (run.ts). */
  killAfterMs: number;
  /** How long to wait for the child's ports to stop answering after it exited. */
  portFreeMs: number;
}

const TIMING: ReloadTiming = { debounceMs: 300, killAfterMs: 12_000, portFreeMs: 5_000 };
const IGNORED_DIRS = new Set(['node_modules', '.git', 'dist']);
const WATCHED = /\.(ts|mts|cts|tsx|js|mjs|cjs|json|ya?ml)$/;

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Child {
  readonly exited: Promise<ChildExit>;
  kill(signal: NodeJS.Signals): void;
  /** The addresses it said it listens on ("listening <url>", "admin API on <url>"), to see them free once it exited. */
  readonly urls: string[];
}

/** Every side effect of the supervisor; test/cli/reload.test.ts fakes it. */
export interface ReloadHost {
  start(): Child;
  /** The folders to watch, asked again at each start (a config's import paths may have changed). */
  dirs(): Promise<string[]>;
  watch(dir: string, onFile: (file: string) => void): { close(): void };
  portsFree(urls: string[], timeoutMs: number): Promise<boolean>;
  onSignal(handler: (signal: NodeJS.Signals) => void): () => void;
  log(line: string): void;
}

export interface ReloadTarget {
  target: string;
  isConfig: boolean;
  /** The child's `troupe run` arguments: the supervisor's without --reload. */
  childArgv: string[];
}

export function reloadCommand({ target, isConfig, childArgv }: ReloadTarget): Promise<number> {
  return supervise(processHost(childArgv, () => watchedDirs(target, isConfig)));
}

/**
 * Runs children until a signal: a debounced change stops the child and starts the next; a child that exits with an
 * error waits for the next change; one that stops on its own with exit code 0 (troupe shutdown) ends the supervisor.
 * A second signal kills the child at once.
 */
export async function supervise(host: ReloadHost, timing: ReloadTiming = TIMING): Promise<number> {
  let stopping: string | undefined;
  let child: Child | undefined;
  const changed = new Set<string>();
  let due = false;
  let debounce: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const nudge = () => wake?.();
  /** Resolves at the next signal or debounced change, at once when one is pending. */
  const event = () => (stopping || due ? Promise.resolve() : new Promise<void>(resolve => (wake = resolve)));
  const offSignal = host.onSignal(signal => {
    if (stopping) {
      host.log('troupe: forced exit: killing the server');
      child?.kill('SIGKILL');
      return;
    }
    stopping = signal;
    nudge();
  });
  const onFile = (file: string) => {
    changed.add(file);
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      if (changed.size === 0) return; // a reload already took these files
      due = true;
      nudge();
    }, timing.debounceMs);
  };
  const watchers = new Map<string, { close(): void }>();
  const rewatch = async () => {
    const dirs = await host.dirs();
    for (const [dir, w] of watchers) {
      if (dirs.includes(dir)) continue;
      w.close();
      watchers.delete(dir);
    }
    const added = dirs.filter(dir => !watchers.has(dir));
    for (const dir of added) watchers.set(dir, host.watch(dir, onFile));
    if (added.length) host.log(`troupe: reload: watching ${added.map(show).join(', ')} for changes`);
  };

  try {
    while (!stopping) {
      await rewatch();
      if (stopping) break;
      const current = (child = host.start());
      const exit = await Promise.race([current.exited, event().then(() => undefined)]);
      if (exit && !stopping) {
        if (exit.code === 0) {
          host.log('troupe: reload: the server stopped (exit code 0), so the reloader stops too');
          return EXIT.ok;
        }
        const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
        host.log(`troupe: reload: the server ${how}; waiting for a file to change to start it again`);
        await event();
      }
      if (stopping) break;
      due = false;
      const files = [...changed].map(show);
      changed.clear();
      host.log(`troupe: reload: ${files[0]}${files.length > 1 ? ` and ${files.length - 1} more` : ''} changed; ${exit ? 'starting' : 'restarting'} the server`);
      if (!exit) await stop(current);
      if (!(await host.portsFree(current.urls, timing.portFreeMs))) host.log(`troupe: reload: ${current.urls.join(', ')} still answers after ${timing.portFreeMs / 1000} s; starting anyway`);
    }
    if (child) await stop(child); // a no-op when it has exited
    return EXIT.ok;
  } finally {
    offSignal();
    clearTimeout(debounce);
    for (const w of watchers.values()) w.close();
  }

  async function stop(c: Child): Promise<ChildExit> {
    c.kill('SIGTERM');
    const kill = setTimeout(() => {
      host.log(`troupe: reload: the server did not stop within ${timing.killAfterMs / 1000} s after SIGTERM; killing it`);
      c.kill('SIGKILL');
    }, timing.killAfterMs);
    try {
      return await c.exited;
    } finally {
      clearTimeout(kill);
    }
  }
}

/** A path as the user sees it: relative to the working directory when under it. */
function show(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

/** The folders of the application: the module's, or the config file's and those of the modules it imports. */
async function watchedDirs(target: string, isConfig: boolean): Promise<string[]> {
  if (!isConfig) return topmost([moduleDir(parseImportPath(target, 'app').module, process.cwd())]);
  const base = path.dirname(path.resolve(target));
  const dirs = [base];
  try {
    const { config } = await loadConfigFile(target);
    for (const app of config.applications) {
      try {
        dirs.push(moduleDir(parseImportPath(app.importPath).module, base));
      } catch {
        // a malformed import path: the child says so
      }
    }
  } catch {
    // an invalid config: the child says why, and its folder is watched for the fix
  }
  return topmost(dirs);
}

/** The folder of a module file, or the nearest folder that is there when it is not (yet); '' for a package. */
function moduleDir(module: string, baseDir: string): string {
  try {
    const url = resolveModule(module, baseDir);
    return url.startsWith('file:') ? path.dirname(fileURLToPath(url)) : '';
  } catch {
    let dir = path.dirname(path.resolve(baseDir, module));
    while (!isDir(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    return dir;
  }
}

/** `dirs` without duplicates and without folders inside another of them (each is watched with its subfolders). */
function topmost(dirs: string[]): string[] {
  const out: string[] = [];
  for (const dir of dirs.filter(Boolean).sort()) if (!out.some(d => dir === d || dir.startsWith(d.endsWith(path.sep) ? d : d + path.sep))) out.push(dir);
  return out;
}

const skipped = (name: string) => name.startsWith('.') || IGNORED_DIRS.has(name);
const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/**
 * Watches `root` and its subfolders, one fs.watch per folder, skipping node_modules, .git, dist and hidden ones.
 * Not fs.watch(root, { recursive: true }): on Linux, Node 20 emulates it with a watcher per file and folder, walks
 * node_modules too, and loses a file for good after an editor's atomic save (write a temp file, rename it over).
 */
function watchTree(root: string, onFile: (file: string) => void): { close(): void } {
  const watchers = new Map<string, FSWatcher>();
  const remove = (dir: string) => {
    for (const [d, w] of watchers) {
      if (d === dir || d.startsWith(dir + path.sep)) {
        w.close();
        watchers.delete(d);
      }
    }
  };
  const add = (dir: string) => {
    if (watchers.has(dir)) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, (_event, name) => {
        if (!name || skipped(name)) return;
        const file = path.join(dir, name);
        if (WATCHED.test(name)) onFile(file);
        else if (isDir(file)) add(file); // a new folder
        else if (watchers.has(file)) remove(file); // a folder gone
      });
    } catch {
      return; // gone, or not a folder
    }
    watcher.on('error', () => remove(dir));
    watchers.set(dir, watcher);
    let entries: Dirent[] = [];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      // gone meanwhile
    }
    for (const e of entries) if (e.isDirectory() && !skipped(e.name)) add(path.join(dir, e.name));
  };
  add(root);
  return {
    close() {
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}

/** The real thing: child processes of this same bin, fs.watch, TCP probes, process signals, stderr. */
function processHost(childArgv: string[], dirs: () => Promise<string[]>): ReloadHost {
  return {
    dirs,
    start() {
      // Its own process group (detached): a Ctrl-C in the terminal reaches only the supervisor, which sends the child
      // one SIGTERM; two signals would make the child force its exit.
      const proc = spawn(process.execPath, [...process.execArgv, process.argv[1]!, 'run', ...childArgv], { stdio: ['ignore', 'inherit', 'pipe'], detached: true });
      const killOnExit = () => proc.kill('SIGKILL'); // the supervisor dies unexpectedly: no server left behind
      process.once('exit', killOnExit);
      const urls: string[] = [];
      let partial = '';
      proc.stderr!.on('data', (chunk: Buffer) => {
        process.stderr.write(chunk);
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop()!;
        for (const line of lines) {
          const m = /(?:listening|admin API on) (http:\/\/\S+)/.exec(line);
          if (m) urls.push(m[1]!);
        }
      });
      const exited = new Promise<ChildExit>(resolve => {
        proc.once('error', err => {
          process.stderr.write(`troupe: reload: cannot start the server: ${err.message}\n`);
          resolve({ code: null, signal: null });
        });
        proc.once('exit', (code, signal) => {
          process.off('exit', killOnExit);
          // Its last lines first; not waiting long, as a process it started may hold its stderr open.
          const done = () => resolve({ code, signal });
          if (proc.stderr!.readableEnded) return done();
          proc.stderr!.once('end', done);
          setTimeout(done, 200);
        });
      });
      return { exited, urls, kill: signal => void proc.kill(signal) };
    },
    watch: watchTree,
    portsFree,
    onSignal(handler) {
      const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
      for (const s of signals) process.on(s, handler);
      return () => {
        for (const s of signals) process.off(s, handler);
      };
    },
    log: line => console.error(line),
  };
}

/** Waits until nothing answers at `urls` (a process the child started may still hold a port); false after `timeoutMs`. */
async function portsFree(urls: string[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (const url of urls) {
    const { hostname, port } = new URL(url);
    while (await answers(hostname.replace(/^\[|\]$/g, ''), Number(port))) {
      if (Date.now() > deadline) return false;
      await new Promise(r => setTimeout(r, 100));
    }
  }
  return true;
}

function answers(host: string, port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
