// Two-level segregated fit (TLSF) allocator over units of the arena. O(1) allocate and free, immediate
// coalescing of neighbours, fragmentation bounded by the size-class spacing (1/16 of a power of two).
// Block records live in the control block, never in the arena: a user writing past a view's end through
// `view.buffer` cannot corrupt the allocator. Every method expects the store lock to be held.
import {
  FL_COUNT, H_FL_BITMAP, H_REC_TOP, type Layout, NIL, REC_FREE, REC_UNUSED, REC_USED,
  R_NEXT_FREE, R_NEXT_PHYS, R_OFF, R_PREV_FREE, R_PREV_PHYS, R_SIZE, R_STATE, SL_BITS, SL_COUNT,
} from './layout.ts';

function ctz(x: number): number {
  return 31 - Math.clz32(x & -x);
}

export class Tlsf {
  readonly #c: Int32Array;
  readonly #L: Layout;
  #fl = 0;
  #sl = 0;

  constructor(ctrl: Int32Array, layout: Layout) {
    this.#c = ctrl;
    this.#L = layout;
  }

  #get(rec: number, field: number): number {
    return this.#c[this.#L.records + field * this.#L.maxRecords + rec]!;
  }

  #set(rec: number, field: number, value: number): void {
    this.#c[this.#L.records + field * this.#L.maxRecords + rec] = value;
  }

  offsetOf(rec: number): number {
    return this.#get(rec, R_OFF);
  }

  sizeOf(rec: number): number {
    return this.#get(rec, R_SIZE);
  }

  /** No free lists, every record unused and on the record stack. */
  #clear(): void {
    const c = this.#c;
    const L = this.#L;
    c[H_FL_BITMAP] = 0;
    c.fill(0, L.slBitmaps, L.slBitmaps + FL_COUNT);
    c.fill(NIL, L.heads, L.heads + FL_COUNT * SL_COUNT);
    c.fill(REC_UNUSED, L.records + R_STATE * L.maxRecords, L.records + (R_STATE + 1) * L.maxRecords);
    for (let i = 0; i < L.maxRecords; i++) c[L.recStack + i] = L.maxRecords - 1 - i;
    c[H_REC_TOP] = L.maxRecords;
  }

  /** Empties the allocator: one free block spans the arena. */
  reset(): void {
    const L = this.#L;
    this.#clear();
    if (L.capUnits > 0) {
      const rec = this.#newRecord(0, L.capUnits, NIL, NIL);
      this.#insertFree(rec);
    }
  }

  /** Rebuilds the block lists from the live allocations alone (sorted by offset); returns their records. */
  rebuild(live: ReadonlyArray<{ off: number; units: number }>): number[] {
    const c = this.#c;
    const L = this.#L;
    this.#clear();
    const out: number[] = [];
    let prev = NIL;
    let cursor = 0;
    const link = (rec: number) => {
      if (prev !== NIL) this.#set(prev, R_NEXT_PHYS, rec);
      prev = rec;
    };
    for (const { off, units } of live) {
      if (off > cursor) {
        const free = this.#newRecord(cursor, off - cursor, prev, NIL);
        link(free);
        this.#insertFree(free);
      }
      const used = this.#newRecord(off, units, prev, NIL);
      this.#set(used, R_STATE, REC_USED);
      link(used);
      out.push(used);
      cursor = off + units;
    }
    if (cursor < L.capUnits) {
      const free = this.#newRecord(cursor, L.capUnits - cursor, prev, NIL);
      link(free);
      this.#insertFree(free);
    }
    return out;
  }

  /** Allocates `units`; returns the block record, or NIL when no free block is large enough. */
  allocate(units: number): number {
    if (units <= 0 || units > this.#L.capUnits) return NIL;
    let rec = this.#findSuitable(units);
    if (rec === NIL) rec = this.#findExact(units);
    if (rec === NIL) return NIL;
    this.#removeFree(rec);
    const size = this.#get(rec, R_SIZE);
    if (size > units && this.#c[H_REC_TOP]! > 0) {
      const rest = this.#newRecord(this.#get(rec, R_OFF) + units, size - units, rec, this.#get(rec, R_NEXT_PHYS));
      const next = this.#get(rec, R_NEXT_PHYS);
      if (next !== NIL) this.#set(next, R_PREV_PHYS, rest);
      this.#set(rec, R_NEXT_PHYS, rest);
      this.#set(rec, R_SIZE, units);
      this.#insertFree(rest);
    }
    this.#set(rec, R_STATE, REC_USED);
    return rec;
  }

  /** Frees a block and merges it with free neighbours. */
  free(rec: number): void {
    let block = rec;
    const prev = this.#get(block, R_PREV_PHYS);
    if (prev !== NIL && this.#get(prev, R_STATE) === REC_FREE) {
      this.#removeFree(prev);
      this.#absorbNext(prev, block);
      block = prev;
    } else {
      this.#set(block, R_STATE, REC_FREE);
    }
    const next = this.#get(block, R_NEXT_PHYS);
    if (next !== NIL && this.#get(next, R_STATE) === REC_FREE) {
      this.#removeFree(next);
      this.#absorbNext(block, next);
    }
    this.#insertFree(block);
  }

  /** Size in units of the largest free block. */
  largestFree(): number {
    const flMap = this.#c[H_FL_BITMAP]!;
    if (flMap === 0) return 0;
    const fl = 31 - Math.clz32(flMap);
    let best = 0;
    for (let sl = SL_COUNT - 1; sl >= 0; sl--) {
      for (let r = this.#c[this.#L.heads + fl * SL_COUNT + sl]!; r !== NIL; r = this.#get(r, R_NEXT_FREE)) {
        best = Math.max(best, this.#get(r, R_SIZE));
      }
      if (best > 0) return best;
    }
    return best;
  }

  /** Number of free blocks (a fragmentation measure for tests and stats). */
  freeBlocks(): number {
    let n = 0;
    for (let i = 0; i < FL_COUNT * SL_COUNT; i++) {
      for (let r = this.#c[this.#L.heads + i]!; r !== NIL; r = this.#get(r, R_NEXT_FREE)) n++;
    }
    return n;
  }

  #absorbNext(block: number, next: number): void {
    this.#set(block, R_SIZE, this.#get(block, R_SIZE) + this.#get(next, R_SIZE));
    const after = this.#get(next, R_NEXT_PHYS);
    this.#set(block, R_NEXT_PHYS, after);
    if (after !== NIL) this.#set(after, R_PREV_PHYS, block);
    this.#set(block, R_STATE, REC_FREE);
    this.#dropRecord(next);
  }

  #newRecord(off: number, size: number, prevPhys: number, nextPhys: number): number {
    const top = --this.#c[H_REC_TOP]!;
    const rec = this.#c[this.#L.recStack + top]!;
    this.#set(rec, R_OFF, off);
    this.#set(rec, R_SIZE, size);
    this.#set(rec, R_PREV_PHYS, prevPhys);
    this.#set(rec, R_NEXT_PHYS, nextPhys);
    this.#set(rec, R_PREV_FREE, NIL);
    this.#set(rec, R_NEXT_FREE, NIL);
    this.#set(rec, R_STATE, REC_FREE);
    return rec;
  }

  #dropRecord(rec: number): void {
    this.#set(rec, R_STATE, REC_UNUSED);
    this.#c[this.#L.recStack + this.#c[H_REC_TOP]!] = rec;
    this.#c[H_REC_TOP]!++;
  }

  #mapping(size: number): void {
    if (size < SL_COUNT) {
      this.#fl = 0;
      this.#sl = size;
    } else {
      const msb = 31 - Math.clz32(size);
      this.#fl = msb - SL_BITS + 1;
      this.#sl = (size >>> (msb - SL_BITS)) ^ SL_COUNT;
    }
  }

  #insertFree(rec: number): void {
    const c = this.#c;
    this.#mapping(this.#get(rec, R_SIZE));
    const idx = this.#L.heads + this.#fl * SL_COUNT + this.#sl;
    const head = c[idx]!;
    this.#set(rec, R_PREV_FREE, NIL);
    this.#set(rec, R_NEXT_FREE, head);
    if (head !== NIL) this.#set(head, R_PREV_FREE, rec);
    c[idx] = rec;
    this.#set(rec, R_STATE, REC_FREE);
    c[H_FL_BITMAP]! |= 1 << this.#fl;
    c[this.#L.slBitmaps + this.#fl]! |= 1 << this.#sl;
  }

  #removeFree(rec: number): void {
    const c = this.#c;
    const prev = this.#get(rec, R_PREV_FREE);
    const next = this.#get(rec, R_NEXT_FREE);
    if (next !== NIL) this.#set(next, R_PREV_FREE, prev);
    if (prev !== NIL) {
      this.#set(prev, R_NEXT_FREE, next);
    } else {
      this.#mapping(this.#get(rec, R_SIZE));
      const idx = this.#L.heads + this.#fl * SL_COUNT + this.#sl;
      c[idx] = next;
      if (next === NIL) {
        c[this.#L.slBitmaps + this.#fl]! &= ~(1 << this.#sl);
        if (c[this.#L.slBitmaps + this.#fl] === 0) c[H_FL_BITMAP]! &= ~(1 << this.#fl);
      }
    }
    this.#set(rec, R_PREV_FREE, NIL);
    this.#set(rec, R_NEXT_FREE, NIL);
  }

  // Good fit: round the request up to the next class so any block found there is large enough.
  #findSuitable(units: number): number {
    let size = units;
    if (size >= SL_COUNT) {
      const msb = 31 - Math.clz32(size);
      size += (1 << (msb - SL_BITS)) - 1;
      if (size > 0x7fffffff) return NIL;
    }
    this.#mapping(size);
    let fl = this.#fl;
    let slMap = this.#c[this.#L.slBitmaps + fl]! & (~0 << this.#sl);
    if (slMap === 0) {
      const flMap = fl + 1 >= 32 ? 0 : this.#c[H_FL_BITMAP]! & (~0 << (fl + 1));
      if (flMap === 0) return NIL;
      fl = ctz(flMap);
      slMap = this.#c[this.#L.slBitmaps + fl]!;
    }
    return this.#c[this.#L.heads + fl * SL_COUNT + ctz(slMap)]!;
  }

  // The rounding above skips blocks of the request's own class that would fit: look there before failing.
  #findExact(units: number): number {
    this.#mapping(units);
    for (let r = this.#c[this.#L.heads + this.#fl * SL_COUNT + this.#sl]!; r !== NIL; r = this.#get(r, R_NEXT_FREE)) {
      if (this.#get(r, R_SIZE) >= units) return r;
    }
    return NIL;
  }
}
