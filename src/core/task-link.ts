// The control channel of a task pool thread (the worker side of TaskPool's). piscina owns the thread's
// parentPort, so the thread makes its own MessageChannel and posts one end to the main thread through
// parentPort (piscina emits it as the pool's 'message'). Over it, a WorkerConnector asks for links to
// actors, as actors do: handles passed to a task and getActor() inside one work. Topic values and peer
// deaths come back the same way.
import { MessageChannel, parentPort, workerData } from 'node:worker_threads';
import { registerConnector } from './handle.ts';
import type { MainToWorker } from './protocol.ts';
import { taskControlMessage } from './task-pool.ts';
import { setThreadContext } from './thread-context.ts';
import { WorkerConnector } from './worker-connector.ts';

/** Opens the channel (once, when the thread starts); a no-op outside a pool thread that knows its runtime. */
export function openTaskLink(): void {
  const runtimeId = (workerData as { runtimeId?: string } | null)?.runtimeId;
  if (!parentPort || !runtimeId) return;
  const { port1, port2 } = new MessageChannel();
  const connector = new WorkerConnector(message => port1.postMessage(message));
  registerConnector(runtimeId, connector);
  setThreadContext({ runtimeId, lookup: name => connector.lookup(name) });
  port1.on('message', (message: MainToWorker) => connector.onControl(message));
  // piscina keeps the thread alive while it runs a task; this port must not keep it alive otherwise.
  port1.unref();
  parentPort.postMessage({ t: taskControlMessage, port: port2 }, [port2]);
}
