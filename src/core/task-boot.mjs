// Entry of the task pool's worker threads (piscina loads this file). A TypeScript loader is registered only when
// the task runner (troupe from its sources) or a task's module is TypeScript; loaders do not reach workers by themselves.
import { workerData } from 'node:worker_threads';
import { isTypeScript, sourceConditions, typeScriptLoader } from './loader.mjs';

await typeScriptLoader(workerData.entry);
if (isTypeScript(workerData.entry)) sourceConditions();
const runner = import(workerData.entry);

export default async function runTask(task) {
  await typeScriptLoader(task.module);
  const { runTask } = await runner;
  return runTask(task);
}
