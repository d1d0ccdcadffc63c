// Runs one task inside a pool thread: loads the remote function's module, calls it, encodes the outcome.
import { decode, encode, type Frame } from './codec.ts';
import { loadExport } from './load-export.ts';
import { runAsInstance } from './import-window.ts';
import { ModuleLoadError } from './errors.ts';
import { remoteFunctionKey, type TaskRequest } from './task-pool.ts';
import { openTaskLink } from './task-link.ts';
import { attachWorkerStore } from '../store/index.ts';

// Large typed results go back as refs to the runtime's object store (workerData.store), held by this thread until the caller adopts them.
attachWorkerStore();

// Handles and getActor() inside tasks reach actors through the main thread's runtime.
openTaskLink();

export async function runTask(task: TaskRequest): Promise<{ ok: boolean; frame: Frame }> {
  try {
    const exported = await loadExport(task.module, task.exportName, task.name);
    const fn = exported?.[remoteFunctionKey] ?? exported;
    if (typeof fn !== 'function') throw new ModuleLoadError(task.module, task.exportName ?? task.name, 'the export is not a function');
    const args = decode(task.args) as unknown[];
    const value = await runAsInstance(() => fn(...args));
    return { ok: true, frame: encode(value).frame };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    e.stack = `${e.stack ?? ''}\n    at <task ${task.name}>`;
    return { ok: false, frame: encode(e).frame };
  }
}
