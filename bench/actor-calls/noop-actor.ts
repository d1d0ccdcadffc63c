// The actor on the far side of the call benchmark: a method that does nothing, so that what is measured
// is the runtime's own cost per call.
import { actor, type ActorHandle } from '../../src/index.ts';
import { throughput, type ThroughputResult } from './measure.ts';

@actor()
export class Noop {
  noop(): void {}
  echo<T>(value: T): T {
    return value;
  }
}

/** Calls another actor from inside its own worker thread: the worker-to-worker link, no main thread. */
@actor()
export class Driver {
  async drive(target: ActorHandle<Noop>, inFlight: number, ms: number): Promise<ThroughputResult> {
    await throughput(() => target.noop(), 16, Math.min(300, ms));
    return throughput(() => target.noop(), inFlight, ms);
  }
}
