// Worker entry for worker.test.ts: loaders registered in the parent (tsx, tap's) do
// not reach worker threads, so register tsx here before importing the .ts entry.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
