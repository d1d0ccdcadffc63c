// Runs inside an actor's worker thread: builds the one instance of the user's class, then serves calls.
import { parentPort, workerData } from 'node:worker_threads';
import { toErrorRecord } from '../errors/index.ts';
import { ModuleLoadError } from './errors.ts';
import { decode } from './codec.ts';
import { CallServer } from './call-server.ts';
import { registerConnector } from './handle.ts';
import { loadExport } from './load-export.ts';
import { runAsInstance } from './import-window.ts';
import { setThreadContext } from './thread-context.ts';
import { WorkerConnector } from './worker-connector.ts';
import { deliver } from './topics.ts';
import type { ActorWorkerData, MainToWorker, WorkerToMain } from './protocol.ts';
import { attachWorkerStore, type WorkerStoreData } from '../store/index.ts';
import { setLogTransport } from '../observability/index.ts';

const data = workerData as ActorWorkerData;
const port = parentPort!;
const post = (message: WorkerToMain) => port.postMessage(message);

const connector = new WorkerConnector(message => post(message));
registerConnector(data.runtimeId, connector);
setThreadContext({ runtimeId: data.runtimeId, actorLabel: data.label, lookup: name => connector.lookup(name) });

for (const [topic, value] of data.topics) deliver(topic, value);
// A replica's log lines go to the main thread on this thread's control port (see installReplicaLogging).
setLogTransport(batch => post({ t: 'log', replica: batch.replica, lines: batch.lines }));

let server: CallServer | undefined;

port.on('message', (message: MainToWorker) => {
  switch (message.t) {
    case 'accept':
      server?.accept(message.port);
      return;
    case 'connected':
      connector.onConnected(message);
      return;
    case 'peer-died':
      connector.onPeerDied(message);
      return;
    case 'publish':
      deliver(message.topic, message.value);
      return;
    case 'stop':
      void (server?.stop() ?? Promise.resolve()).then(() => post({ t: 'stopped' }));
      return;
    case 'exit':
      process.exit(0);
  }
});

try {
  // Large typed arrays in calls arrive as views of the runtime's object store, held by this thread's holder id.
  attachWorkerStore(data.store as WorkerStoreData | undefined);
  const Cls = await loadExport(data.module, data.exportName, data.className);
  if (typeof Cls !== 'function') throw new ModuleLoadError(data.module, data.exportName ?? data.className, `it is a ${typeof Cls}, not a class`);
  const args = decode(data.args) as unknown[];
  // What the instance starts is its own: only the module's top-level code parks (import-window.ts).
  const instance = runAsInstance(() => new Cls(...args));
  if (typeof instance.init === 'function') await runAsInstance(() => instance.init());
  server = new CallServer(instance, data.label, data.maxConcurrency);
  server.accept(data.callPort);
  post({ t: 'ready', methods: server.methods, streams: server.streams });
} catch (err) {
  post({ t: 'init-failed', error: toErrorRecord(err) });
}
