// Which holder ids (see ObjectStore) are in use by live threads. One Int32 per id in shared memory, so the
// runtime (for actor threads) and pool threads (for themselves) claim ids without talking to each other.
// Id 0 is the main thread's and is never handed out.
import { ObjectStoreConfigError } from './errors.ts';

const FREE = 0;

export class HolderTable {
  readonly #slots: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.#slots = new Int32Array(buffer);
  }

  /** A table for ids 0..maxHolders-1 (id 0 reserved for the main thread). */
  static create(maxHolders: number): HolderTable {
    const table = new HolderTable(new SharedArrayBuffer(maxHolders * 4));
    table.#slots[0] = -1;
    return table;
  }

  get buffer(): SharedArrayBuffer {
    return this.#slots.buffer as SharedArrayBuffer;
  }

  /** Claims a free id for `owner` (a nonzero tag: a thread id, or -1 for one the runtime assigned). */
  claim(owner: number): number {
    for (let id = 1; id < this.#slots.length; id++) {
      if (Atomics.compareExchange(this.#slots, id, FREE, owner) === FREE) return id;
    }
    throw new ObjectStoreConfigError(
      `all ${this.#slots.length - 1} object store holder ids are taken by live threads: raise maxActors (the runtime sizes the store by it) or end actors`,
      { maxHolders: this.#slots.length },
    );
  }

  free(id: number): void {
    if (id > 0 && id < this.#slots.length) Atomics.store(this.#slots, id, FREE);
  }

  /** Ids claimed now, excluding the main thread's. */
  claimed(): number[] {
    const ids: number[] = [];
    for (let id = 1; id < this.#slots.length; id++) if (Atomics.load(this.#slots, id) !== FREE) ids.push(id);
    return ids;
  }
}
