// Reused AbortControllers for replica calls. On Node 20 making an AbortSignal costs about 10 µs (its prototype
// is swapped after construction), more than the rest of a no-op request, so a controller whose call finished
// without an abort, and that nobody listens to any more, serves the next request.
import { getEventListeners } from 'node:events';

const MAX_POOLED = 1024;

export class SignalPool {
  #free: AbortController[] = [];

  take(): AbortController {
    return this.#free.pop() ?? new AbortController();
  }

  /** Returns a controller once its call has settled; one that was aborted or still has listeners is dropped. */
  give(controller: AbortController): void {
    const signal = controller.signal;
    if (signal.aborted || this.#free.length >= MAX_POOLED || getEventListeners(signal, 'abort').length > 0) return;
    this.#free.push(controller);
  }
}
