// The CLI as a user runs it: `node bin/troupe.js ...` in a child process, its output, its exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const bin = fileURLToPath(new URL('../../bin/troupe.js', import.meta.url));

export interface Cli {
  child: ChildProcess;
  output: () => string;
  stdout: () => string;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  /** Kills it if it still runs (for teardown). */
  kill(): void;
}

export function cli(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Cli {
  const child = spawn(process.execPath, [bin, ...args], { cwd: options.cwd ?? root, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stdout = '';
  child.stdout!.on('data', (c: Buffer) => {
    output += c.toString();
    stdout += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return {
    child,
    output: () => output,
    stdout: () => stdout,
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Runs a command to its end: exit code and everything it printed. */
export async function cliResult(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<{ code: number | null; output: string; stdout: string }> {
  const run = cli(args, options);
  const [code] = await run.exited;
  return { code, output: run.output(), stdout: run.stdout() };
}

/** Waits for a line matching `pattern` and returns its first group; rejects when the process exits first. */
export function waitFor(run: Cli, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = pattern.exec(run.output());
      if (!m) return;
      run.child.stderr!.off('data', check);
      run.child.off('exit', early);
      resolve(m[1]!);
    };
    const early = () => reject(new Error(`exited before printing ${pattern}:\n${run.output()}`));
    run.child.stderr!.on('data', check);
    run.child.once('exit', early);
    check();
  });
}

/** The "listening http://..." URL of a troupe run. */
export const listening = (run: Cli) => waitFor(run, /listening (http:\/\/127\.0\.0\.1:\d+)/);
/** The admin API's URL a troupe run prints. */
export const adminUrl = (run: Cli) => waitFor(run, /admin API on (http:\/\/127\.0\.0\.1:\d+)/);
