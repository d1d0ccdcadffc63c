// A table from integer ids to values for the bookkeeping every call or request does (pending calls, running
// calls, requests in flight). Not a Map, because of how V8 replaces a Map's hash table: under churn (one
// insert and one delete per call) the table is rebuilt every few dozen calls; a replaced table keeps what it
// held (and a link to its successor), and once a Map's table is in the old generation (a full GC under load
// puts it there) its replacements are allocated there too. From then on every replaced table keeps its
// entries alive through the remembered set until the next full GC, and every call's objects are promoted.
// On the HTTP proxy that cost ~15% of its rate for good (bench/results/http-noop.md;
// test/core/call-garbage.test.ts). Open addressing over arrays has neither.
const EMPTY = 0;

/** Grows to at least twice the most entries it held at once and keeps that size (a few bytes a slot). */
export class IdTable<V> {
  /** id + 1 per slot (0: empty): a typed array, so the keys are no objects for the GC to trace. */
  #keys: Float64Array;
  #values: (V | undefined)[];
  #mask: number;
  #size = 0;

  constructor(capacity = 64) {
    let cap = 8;
    while (cap < capacity) cap *= 2;
    this.#keys = new Float64Array(cap);
    this.#values = new Array<V | undefined>(cap).fill(undefined);
    this.#mask = cap - 1;
  }

  get size(): number {
    return this.#size;
  }

  /** Ids are non-negative integers (call ids count up from 1, so consecutive ids fill consecutive slots). */
  get(id: number): V | undefined {
    const i = this.#find(id);
    return i < 0 ? undefined : this.#values[i];
  }

  has(id: number): boolean {
    return this.#find(id) >= 0;
  }

  set(id: number, value: V): void {
    const at = this.#find(id);
    if (at >= 0) {
      this.#values[at] = value;
      return;
    }
    if ((this.#size + 1) * 2 > this.#keys.length) this.#grow();
    const keys = this.#keys;
    const mask = this.#mask;
    let i = id & mask;
    while (keys[i] !== EMPTY) i = (i + 1) & mask;
    keys[i] = id + 1;
    this.#values[i] = value;
    this.#size++;
  }

  /** Removes the id; returns what it held. */
  delete(id: number): V | undefined {
    let i = this.#find(id);
    if (i < 0) return undefined;
    const keys = this.#keys;
    const values = this.#values;
    const mask = this.#mask;
    const removed = values[i];
    // Backward-shift deletion: later entries of the same probe run move up, so no tombstones are needed.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const key = keys[j];
      if (key === EMPTY) break;
      const home = (key - 1) & mask;
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      keys[i] = key;
      values[i] = values[j];
      i = j;
    }
    keys[i] = EMPTY;
    values[i] = undefined;
    this.#size--;
    return removed;
  }

  /** The values, as a new array (safe to iterate while the table changes). */
  values(): V[] {
    const out: V[] = [];
    const keys = this.#keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== EMPTY) out.push(this.#values[i]!);
    return out;
  }

  clear(): void {
    this.#keys.fill(EMPTY);
    this.#values.fill(undefined);
    this.#size = 0;
  }

  #find(id: number): number {
    const keys = this.#keys;
    const mask = this.#mask;
    const key = id + 1;
    let i = id & mask;
    for (;;) {
      const k = keys[i];
      if (k === key) return i;
      if (k === EMPTY) return -1;
      i = (i + 1) & mask;
    }
  }

  #grow(): void {
    const oldKeys = this.#keys;
    const oldValues = this.#values;
    const cap = oldKeys.length * 2;
    this.#keys = new Float64Array(cap);
    this.#values = new Array<V | undefined>(cap).fill(undefined);
    this.#mask = cap - 1;
    this.#size = 0;
    for (let i = 0; i < oldKeys.length; i++) if (oldKeys[i] !== EMPTY) this.set(oldKeys[i]! - 1, oldValues[i]!);
  }
}
