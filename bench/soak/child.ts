// The soak server as a child process: started like bench/lib/server-process.ts, with an IPC channel for kill and memory.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export interface Memory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** The object store's arena: bytes allocated now, the most ever, objects now. */
  storeUsed: number;
  storePeak: number;
  storeObjects: number;
}

export interface SoakServer {
  url: string;
  child: ChildProcess;
  memory(): Promise<Memory>;
  kill(deployment: string): Promise<string>;
  stop(): Promise<void>;
}

const root = fileURLToPath(new URL('../..', import.meta.url));

export async function startSoakServer(env: Record<string, string> = {}): Promise<SoakServer> {
  const child = fork(fileURLToPath(new URL('./server.ts', import.meta.url)), [], {
    cwd: root,
    execArgv: ['--conditions=troupe-source', '--import', 'tsx', '--min-semi-space-size=8'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line within 120 s:\n${output.slice(-2000)}`)), 120_000);
    const onData = (c: Buffer) => {
      output += c.toString();
      const m = /listening (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the soak server exited (${code}):\n${output.slice(-2000)}`)));
  });
  child.stdout!.removeAllListeners('data');
  child.stderr!.removeAllListeners('data');
  // The last of what it prints, shown if it exits before stop(): why a soak server died is a finding.
  let tail = '';
  const keep = (c: Buffer) => (tail = (tail + c.toString()).slice(-8000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let stopping = false;
  child.once('exit', (code, signal) => {
    if (!stopping) console.error(`the soak server exited (code ${code}, signal ${signal}); its last output:\n${tail}`);
  });
  let seq = 0;
  const ask = <T>(body: object): Promise<T> =>
    new Promise((resolve) => {
      const id = ++seq;
      const onMessage = (m: { id: number }) => {
        if (m.id !== id) return;
        child.off('message', onMessage);
        resolve(m as T);
      };
      child.on('message', onMessage);
      if (!child.connected) throw new Error('the soak server is gone');
      child.send({ id, ...body });
    });
  return {
    url,
    child,
    memory: () => ask<Memory>({ memory: true }),
    kill: async (deployment) => (await ask<{ killed?: string; error?: string }>({ kill: deployment })).killed ?? 'none',
    async stop() {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await once(child, 'exit');
      clearTimeout(timer);
    },
  };
}
