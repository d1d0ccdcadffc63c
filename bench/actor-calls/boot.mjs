// tsx does not register itself in workers: do it, then load the .ts entry named in workerData.
import { register } from 'tsx/esm/api';
register();
const { workerData } = await import('node:worker_threads');
await import(workerData.entry);
