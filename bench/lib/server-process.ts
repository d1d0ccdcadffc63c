import { spawn } from 'node:child_process';
import { once } from 'node:events';

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts a server as a child process and waits for it to print `listening http://127.0.0.1:PORT`.
 * stop() sends SIGTERM and, if it has not exited after `killAfterMs`, SIGKILL.
 */
export async function startServerProcess(
  command: string,
  args: string[],
  { readyTimeoutMs = 20_000, killAfterMs = 3000, cwd, env }: { readyTimeoutMs?: number; killAfterMs?: number; cwd?: string; env?: Record<string, string> } = {},
): Promise<RunningServer> {
  const child = spawn(command, args, { cwd, env: env && { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = once(child, 'exit');
  let ready = () => {};
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`no "listening http://…" line within ${readyTimeoutMs} ms`)), readyTimeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /listening (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not start: ${err.message}\n${output.slice(-2000)}`));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', fail);
    const early = (code: number | null, signal: string | null) => fail(new Error(`exited early (code ${code}, signal ${signal})`));
    child.once('exit', early);
    ready = () => child.off('exit', early);
  });
  ready();
  // Stop scanning what the server prints (a served app may log every request).
  child.stdout.removeAllListeners('data');
  child.stderr.removeAllListeners('data');
  child.stdout.resume();
  child.stderr.resume();
  return {
    url,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
