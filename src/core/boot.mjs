// Entry of every troupe worker thread. Loaders registered in the parent (tsx, tap's) do not reach
// worker threads, so this registers tsx here before loading the TypeScript entry named in workerData.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
