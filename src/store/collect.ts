// A view that owns a hold gives its arena memory back only when it is released or garbage-collected. V8 does
// not know that these small objects pin large amounts of shared memory, and a thread that allocates little may
// not collect them for a long time: an echo actor kept every argument it had received, the whole arena, until
// it died (bench/results/object-store.md). So a thread that has adopted more than a share of the arena since its last
// collection asks V8 for one. Major: minor collections do not clear FinalizationRegistry targets (checked on
// Node 20). `gc` is exposed through V8's flag and a fresh context, which V8 allows at run time.
import v8 from 'node:v8';
import vm from 'node:vm';

/** The share of the arena a thread may adopt between two collections it asks for. */
const SHARE = 1 / 8;

/** After a collection asked for here, the views still in use then (calls in flight, queued) are collected by
 *  these later ones: without them a burst's bodies stayed held until the thread next adopted a share of the
 *  arena, which an idle thread never does (bench/results/soak.md). */
const TRAILING_MS = [2000, 10_000, 30_000];

let collector: (() => void) | null | undefined;
let adopted = 0;
let scheduled = false;
let trailing: NodeJS.Timeout | undefined;

function gc(): (() => void) | null {
  if (collector === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      collector = vm.runInNewContext('gc') as () => void;
    } catch {
      collector = null; // no collector: holds still come back on release, on GC and when the thread ends
    }
  }
  return collector;
}

/** An adopted view given back by release(): its bytes no longer wait for a collection. */
export function noteReleased(bytes: number): void {
  adopted = Math.max(0, adopted - bytes);
}

/** Counts bytes this thread adopted; past the share, a collection runs once the current turn is done. */
export function noteAdopted(bytes: number, capacity: number): void {
  adopted += bytes;
  if (scheduled || adopted < capacity * SHARE) return;
  scheduled = true;
  setImmediate(() => {
    scheduled = false;
    adopted = 0;
    gc()?.();
    trail(0);
  }).unref();
}

function trail(step: number): void {
  clearTimeout(trailing);
  trailing = undefined;
  const ms = TRAILING_MS[step];
  if (ms === undefined) return;
  trailing = setTimeout(() => {
    gc()?.();
    trail(step + 1);
  }, ms).unref();
}
