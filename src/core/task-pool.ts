// Stateless tasks (Ray's remote functions) on a piscina pool. Arguments and results use the same codec
// as actor calls, so errors keep their class, code and stack, and an AbortSignal cancels a task.
// Each pool thread also opens a control channel to the main thread (see task-worker.ts), over which it
// asks for links to actors (handles and getActor() work inside tasks) and hears topics and deaths.
import { createRequire } from 'node:module';
import type { MessagePort } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { assertSerializable, decode, encodeStandalone, type Frame } from './codec.ts';
import { CancelledError } from './errors.ts';
import { InvalidArgumentError } from '../errors/index.ts';
import { callerModule, requireLocation, setLocation } from './locate.ts';
import type { ConnectControl, MainToWorker } from './protocol.ts';
import { snapshot } from './topics.ts';
import { coreModule } from './worker-entry.ts';

export const remoteFunctionKey = Symbol.for('troupe.remoteFunction');

export interface TaskRequest {
  module: string;
  exportName?: string;
  name: string;
  args: Frame;
}

/** A function marked to run on the task pool: call it through runtime.runTask(fn, args). */
export type RemoteFunction<A extends unknown[], R> = ((...args: A) => R) & { readonly [remoteFunctionKey]: (...args: A) => R };

/**
 * Marks an exported function as a task: `export const resize = remote(function resize(img) {...})`.
 * The function must be exported from its module (the pool's threads import it by name).
 */
export function remote<A extends unknown[], R>(fn: (...args: A) => R, options: { module?: string | URL; exportName?: string } = {}): RemoteFunction<A, R> {
  if (typeof fn !== 'function') throw new InvalidArgumentError(`remote() takes a function, got ${typeof fn}`);
  const wrapper = ((...args: A) => fn(...args)) as RemoteFunction<A, R>;
  Object.defineProperty(wrapper, 'name', { value: fn.name });
  Object.defineProperty(wrapper, remoteFunctionKey, { value: fn });
  const module = options.module ?? callerModule();
  if (module) setLocation(wrapper, { module: String(module), exportName: options.exportName });
  return wrapper;
}

/** How the pool's threads reach the runtime. */
export interface TaskControl {
  runtimeId: string;
  /** Serves a thread's request for a link to an actor, as the runtime serves actors' requests. */
  connect(message: ConnectControl, reply: (message: MainToWorker, transfer?: any[]) => void): void;
}

/** The message a pool thread posts on its parentPort (piscina emits it as the pool's 'message'). */
export const taskControlMessage = 'troupe.task-control';

// piscina loads with the first pool: every replica imports troupe, and replicas make no pool.
const require = createRequire(import.meta.url);

export class TaskPool {
  #pool: Piscina;
  #control: TaskControl | undefined;
  /** One control port per live pool thread. */
  #ports = new Set<MessagePort>();

  constructor(threads: number, shared: unknown, control?: TaskControl) {
    this.#control = control;
    const { Piscina: Pool } = require('piscina') as typeof import('piscina');
    this.#pool = new Pool({
      filename: new URL('./task-boot.mjs', import.meta.url).href,
      minThreads: 0,
      maxThreads: threads,
      idleTimeout: 30_000,
      execArgv: [],
      workerData: { store: shared, runtimeId: control?.runtimeId, entry: coreModule('task-worker') },
    });
    this.#pool.on('message', (message: { t?: string; port?: MessagePort }) => {
      if (message?.t === taskControlMessage && message.port) this.#attach(message.port);
    });
  }

  /** Sends a control message (a topic value, a peer's death) to every pool thread. */
  notify(message: MainToWorker): void {
    for (const port of this.#ports) post(port, message);
  }

  #attach(port: MessagePort): void {
    const control = this.#control;
    if (!control) return port.close();
    this.#ports.add(port);
    port.on('message', (message: ConnectControl) => {
      if (message.t === 'connect') control.connect(message, (reply, transfer) => post(port, reply, transfer));
    });
    port.on('close', () => this.#ports.delete(port));
    port.unref(); // an idle pool thread must not keep the process alive
    for (const [topic, value] of snapshot()) post(port, { t: 'publish', topic, value });
  }

  async run(fn: RemoteFunction<unknown[], unknown>, args: unknown[], options: { signal?: AbortSignal }): Promise<unknown> {
    if (typeof fn !== 'function' || !(remoteFunctionKey in fn)) throw new InvalidArgumentError('runTask() takes a function made with remote()');
    const location = requireLocation(fn);
    args.forEach((a, i) => assertSerializable(a, `argument ${i + 1} of task ${fn.name}`));
    const request: TaskRequest = { module: location.module, exportName: location.exportName, name: fn.name, args: encodeStandalone(args) };
    let outcome: { ok: boolean; frame: Frame };
    try {
      outcome = await this.#pool.run(request, { signal: options.signal ?? null });
    } catch (err) {
      if (options.signal?.aborted) throw new CancelledError(`task ${fn.name}`, options.signal.reason);
      throw err;
    }
    const value = decode(outcome.frame);
    if (!outcome.ok) throw value;
    return value;
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
    for (const port of this.#ports) port.close();
    this.#ports.clear();
  }
}

function post(port: MessagePort, message: MainToWorker, transfer: any[] = []): void {
  try {
    port.postMessage(message, transfer);
  } catch {
    // The thread is gone; its port's 'close' drops it.
  }
}
