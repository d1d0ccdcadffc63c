// The store's one mutex: a word in shared memory holding the owner's holder id + 1. Critical sections are
// a few hundred nanoseconds of bookkeeping with no user code, so the main thread spins (it never parks its
// event loop) and workers park briefly with Atomics.wait after spinning. The owner id lets
// `releaseHolder` break the lock of a thread that died inside the store.
import { isMainThread } from 'node:worker_threads';
import { H_LOCK } from './layout.ts';
import { ObjectStoreLockError } from './errors.ts';

const SPINS_BEFORE_PARK = 256;

export function lockOwnerWord(holder: number): number {
  return holder + 1;
}

export function acquireLock(ctrl: Int32Array, holder: number, timeoutMs: number): void {
  const me = holder + 1;
  if (Atomics.compareExchange(ctrl, H_LOCK, 0, me) === 0) return;
  const canPark = !isMainThread;
  const deadline = performance.now() + timeoutMs;
  for (let spin = 1; ; spin++) {
    const seen = Atomics.compareExchange(ctrl, H_LOCK, 0, me);
    if (seen === 0) return;
    if (seen === me) {
      throw new ObjectStoreLockError(`the store lock is already held by this thread (holder ${holder}): two threads were given the same holder id`, { holder });
    }
    if ((spin & 63) === 0 && performance.now() > deadline) {
      throw new ObjectStoreLockError(
        `the object store lock has been held by holder ${seen - 1} for more than ${timeoutMs} ms; if that thread died, call releaseHolder(${seen - 1}) to recover the store`,
        { owner: seen - 1, timeoutMs },
      );
    }
    if (canPark && spin > SPINS_BEFORE_PARK) Atomics.wait(ctrl, H_LOCK, seen, 1);
  }
}

export function releaseLock(ctrl: Int32Array): void {
  Atomics.store(ctrl, H_LOCK, 0);
  Atomics.notify(ctrl, H_LOCK, 1);
}

/** Takes the lock from a holder known to be dead; true if that holder had it. */
export function stealLock(ctrl: Int32Array, deadHolder: number, holder: number): boolean {
  return Atomics.compareExchange(ctrl, H_LOCK, deadHolder + 1, holder + 1) === deadHolder + 1;
}
