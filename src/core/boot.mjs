// Entry of every troupe worker thread. Loaders registered in the parent do not reach worker threads, so a
// TypeScript loader is registered here, and only when the entry (troupe from its sources) or the user's module is
// TypeScript: a compiled troupe with a JavaScript application loads no loader at all.
import { workerData } from 'node:worker_threads';
import { isTypeScript, sourceConditions, typeScriptLoader } from './loader.mjs';

await typeScriptLoader(workerData.entry, workerData.module);
if (isTypeScript(workerData.entry)) sourceConditions();
await import(workerData.entry);
