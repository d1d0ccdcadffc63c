// Entry of the task pool's worker threads (piscina loads this file): registers tsx, which does not
// reach worker threads by itself, then hands each task to the TypeScript task runner.
import { register } from 'tsx/esm/api';

register();
const runner = import('./task-worker.ts');

export default async function runTask(task) {
  const { runTask } = await runner;
  return runTask(task);
}
