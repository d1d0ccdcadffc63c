// The shared state of a store: object table, per-holder counts and the allocator, all in the control
// SharedArrayBuffer and changed only under the store lock. Every thread that attaches builds one Arena
// over the same buffers; nothing here is thread-local except the views.
import { Tlsf } from './allocator.ts';
import { acquireLock, releaseLock, stealLock } from './lock.ts';
import {
  H_FREES, H_FREE_SEQ, H_HOLDER_RELEASES, H_OBJECTS, H_PEAK_OBJECTS, H_PEAK_UNITS, H_PUTS, H_RECOVERIES,
  H_SLOT_TOP, H_USED_UNITS, type Layout, NIL, SLOT_FREE, SLOT_LIVE, S_DTYPE, S_GEN, S_LENGTH, S_OFF, S_REC,
  S_STATE, S_TOTAL, S_UNITS, UNIT,
} from './layout.ts';
import { InvalidObjectRefError, ObjectNotHeldError, ObjectReleasedError, ObjectStoreConfigError } from './errors.ts';

export interface Allocation {
  readonly slot: number;
  readonly gen: number;
  readonly byteOffset: number;
}

export interface SlotView {
  readonly byteOffset: number;
  readonly length: number;
  readonly dtypeCode: number;
}

/** What a ref claims; checked against the slot before any byte is touched. */
export interface RefClaim {
  readonly id: number;
  readonly gen: number;
  readonly offset: number;
  readonly length: number;
  readonly dtypeCode: number;
}

const MAX_COUNT = 0xffff;

export class Arena {
  readonly layout: Layout;
  readonly ctrl: Int32Array;
  readonly #holds: Uint16Array;
  readonly #tlsf: Tlsf;
  readonly #holder: number;
  readonly #lockTimeoutMs: number;

  constructor(ctrl: Int32Array, layout: Layout, holder: number, lockTimeoutMs: number) {
    this.ctrl = ctrl;
    this.layout = layout;
    this.#holds = new Uint16Array(ctrl.buffer, layout.holdsByteOffset, layout.maxObjects * layout.maxHolders);
    this.#tlsf = new Tlsf(ctrl, layout);
    this.#holder = holder;
    this.#lockTimeoutMs = lockTimeoutMs;
  }

  /** Fills a fresh control block: all slots free, one free block spanning the arena. */
  format(): void {
    const { maxObjects, slotStack } = this.layout;
    for (let i = 0; i < maxObjects; i++) this.ctrl[slotStack + i] = maxObjects - 1 - i;
    this.ctrl[H_SLOT_TOP] = maxObjects;
    this.#tlsf.reset();
  }

  #s(slot: number, field: number): number {
    return this.ctrl[this.layout.slots + field * this.layout.maxObjects + slot]!;
  }

  #setS(slot: number, field: number, value: number): void {
    this.ctrl[this.layout.slots + field * this.layout.maxObjects + slot] = value;
  }

  #lock<T>(fn: () => T): T {
    acquireLock(this.ctrl, this.#holder, this.#lockTimeoutMs);
    try {
      return fn();
    } finally {
      releaseLock(this.ctrl);
    }
  }

  /** Allocates and gives `holder` one hold; 'space' or 'objects' when there is no room. */
  allocate(bytes: number, dtypeCode: number, holder: number): Allocation | 'space' | 'objects' {
    const units = Math.max(1, Math.ceil(bytes / UNIT));
    return this.#lock(() => {
      const c = this.ctrl;
      if (c[H_SLOT_TOP] === 0) return 'objects';
      const rec = this.#tlsf.allocate(units);
      if (rec === NIL) return 'space';
      const slot = c[this.layout.slotStack + --c[H_SLOT_TOP]!]!;
      const size = this.#tlsf.sizeOf(rec);
      const off = this.#tlsf.offsetOf(rec);
      this.#setS(slot, S_REC, rec);
      this.#setS(slot, S_OFF, off);
      this.#setS(slot, S_UNITS, size);
      this.#setS(slot, S_LENGTH, bytes);
      this.#setS(slot, S_DTYPE, dtypeCode);
      this.#setS(slot, S_TOTAL, 1);
      this.#holds[slot * this.layout.maxHolders + holder] = 1;
      this.#setS(slot, S_STATE, SLOT_LIVE);
      const used = (c[H_USED_UNITS]! += size);
      if (used > c[H_PEAK_UNITS]!) c[H_PEAK_UNITS] = used;
      const objects = ++c[H_OBJECTS]!;
      if (objects > c[H_PEAK_OBJECTS]!) c[H_PEAK_OBJECTS] = objects;
      c[H_PUTS]!++;
      return { slot, gen: this.#s(slot, S_GEN), byteOffset: off * UNIT };
    });
  }

  /** Checks a ref against its slot; the view it describes is safe to build while some holder holds it. */
  check(ref: RefClaim): SlotView {
    return this.#lock(() => this.#checkLocked(ref));
  }

  #checkLocked(ref: RefClaim): SlotView {
    const { id, gen } = ref;
    if (id < 0 || id >= this.layout.maxObjects) {
      throw new InvalidObjectRefError(`object ref id ${id} is outside this store's object table (0..${this.layout.maxObjects - 1}): the ref is forged or corrupted`, { id });
    }
    if (this.#s(id, S_STATE) !== SLOT_LIVE || this.#s(id, S_GEN) !== gen) {
      throw new ObjectReleasedError(
        `object ${id} (generation ${gen}) was released by every holder; its memory may already hold another object. Retain a ref before handing it on, and release it only when done`,
        { id, gen, currentGen: this.#s(id, S_GEN) },
      );
    }
    const byteOffset = this.#s(id, S_OFF) * UNIT;
    const length = this.#s(id, S_LENGTH);
    if (ref.offset !== byteOffset || ref.length !== length) {
      throw new InvalidObjectRefError(
        `object ref ${id} claims bytes ${ref.offset}..${ref.offset + ref.length} but the object lives at ${byteOffset}..${byteOffset + length}: the ref was forged or edited`,
        { id, claimed: { offset: ref.offset, length: ref.length }, actual: { offset: byteOffset, length } },
      );
    }
    const dtypeCode = this.#s(id, S_DTYPE);
    if (ref.dtypeCode !== dtypeCode) {
      throw new InvalidObjectRefError(`object ref ${id} claims dtype code ${ref.dtypeCode} but the object was stored as code ${dtypeCode}`, { id });
    }
    return { byteOffset, length, dtypeCode };
  }

  /** Adds `count` holds for `holder`; the object must be live. */
  retain(ref: RefClaim, holder: number, count = 1): void {
    this.#checkHolder(holder);
    this.#lock(() => {
      this.#checkLocked(ref);
      const i = ref.id * this.layout.maxHolders + holder;
      if (this.#holds[i]! + count > MAX_COUNT) {
        throw new ObjectStoreConfigError(`holder ${holder} holds object ${ref.id} ${this.#holds[i]} times; at most ${MAX_COUNT} holds per holder`, { holder });
      }
      this.#holds[i]! += count;
      this.#setS(ref.id, S_TOTAL, this.#s(ref.id, S_TOTAL) + count);
    });
  }

  /** Moves one hold from `from` to `to` (a ref handed from one thread to another); the total is unchanged. */
  move(ref: RefClaim, from: number, to: number): void {
    this.#checkHolder(from);
    this.#checkHolder(to);
    this.#lock(() => {
      this.#checkLocked(ref);
      const { maxHolders } = this.layout;
      const have = this.#holds[ref.id * maxHolders + from]!;
      if (have === 0) {
        throw new ObjectNotHeldError(
          `holder ${from} does not hold object ${ref.id}, so its hold cannot pass to holder ${to}: the sending thread released it or ended before the ref was received`,
          { id: ref.id, from, to },
        );
      }
      if (this.#holds[ref.id * maxHolders + to]! >= MAX_COUNT) {
        throw new ObjectStoreConfigError(`holder ${to} holds object ${ref.id} ${MAX_COUNT} times; at most ${MAX_COUNT} holds per holder`, { holder: to });
      }
      this.#holds[ref.id * maxHolders + from] = have - 1;
      this.#holds[ref.id * maxHolders + to]! += 1;
    });
  }

  /**
   * Drops `count` holds of `holder` ('all' drops every one it has). Returns the holds dropped and frees the
   * object when no holder is left. Throws ObjectNotHeldError when the holder holds fewer than asked.
   */
  release(ref: RefClaim, holder: number, count: number | 'all' = 1): { dropped: number; freed: boolean } {
    this.#checkHolder(holder);
    const result = this.#lock(() => {
      this.#checkLocked(ref);
      const i = ref.id * this.layout.maxHolders + holder;
      const have = this.#holds[i]!;
      const n = count === 'all' ? have : count;
      if (n > have || n === 0 && count !== 'all') {
        throw new ObjectNotHeldError(
          `holder ${holder} holds object ${ref.id} ${have} time(s) and cannot release it ${n} time(s): a double release, or the ref was not retained for this thread before it was sent`,
          { id: ref.id, holder, have, asked: n },
        );
      }
      this.#holds[i] = have - n;
      const total = this.#s(ref.id, S_TOTAL) - n;
      this.#setS(ref.id, S_TOTAL, total);
      if (total === 0 && n > 0) {
        this.#freeLocked(ref.id);
        return { dropped: n, freed: true };
      }
      return { dropped: n, freed: false };
    });
    if (result.freed) this.#wakeWaiters();
    return result;
  }

  /** How many holds `holder` (or all holders) has on a live object. */
  holdCount(ref: RefClaim, holder?: number): number {
    return this.#lock(() => {
      this.#checkLocked(ref);
      return holder === undefined ? this.#s(ref.id, S_TOTAL) : this.#holds[ref.id * this.layout.maxHolders + holder]!;
    });
  }

  /**
   * Drops every hold of a holder (a thread that died): computed from shared memory alone. If the dead thread
   * died holding the store lock, the lock is broken and the allocator rebuilt from the object table.
   */
  releaseHolder(holder: number): { objects: number; holds: number; freed: number; recovered: boolean } {
    this.#checkHolder(holder);
    let recovered = false;
    if (holder !== this.#holder && stealLock(this.ctrl, holder, this.#holder)) {
      recovered = true;
      try {
        this.#recoverLocked();
      } finally {
        releaseLock(this.ctrl);
      }
    }
    const out = this.#lock(() => {
      let objects = 0;
      let holds = 0;
      let freed = 0;
      const { maxObjects, maxHolders } = this.layout;
      for (let slot = 0; slot < maxObjects; slot++) {
        if (this.#s(slot, S_STATE) !== SLOT_LIVE) continue;
        const n = this.#holds[slot * maxHolders + holder]!;
        if (n === 0) continue;
        this.#holds[slot * maxHolders + holder] = 0;
        objects++;
        holds += n;
        const total = this.#s(slot, S_TOTAL) - n;
        this.#setS(slot, S_TOTAL, total);
        if (total <= 0) {
          this.#freeLocked(slot);
          freed++;
        }
      }
      this.ctrl[H_HOLDER_RELEASES]! += holds;
      return { objects, holds, freed, recovered };
    });
    if (out.freed > 0) this.#wakeWaiters();
    return out;
  }

  largestFreeBytes(): number {
    return this.#lock(() => this.#tlsf.largestFree() * UNIT);
  }

  freeBlocks(): number {
    return this.#lock(() => this.#tlsf.freeBlocks());
  }

  #freeLocked(slot: number): void {
    const c = this.ctrl;
    // Generation first: from here on every stale ref fails its check, even if the steps below are cut short.
    this.#setS(slot, S_GEN, (this.#s(slot, S_GEN) + 1) | 0);
    this.#setS(slot, S_STATE, SLOT_FREE);
    this.#holds.fill(0, slot * this.layout.maxHolders, (slot + 1) * this.layout.maxHolders);
    this.#tlsf.free(this.#s(slot, S_REC));
    c[H_USED_UNITS]! -= this.#s(slot, S_UNITS);
    c[H_OBJECTS]!--;
    c[H_FREES]!++;
    c[this.layout.slotStack + c[H_SLOT_TOP]!] = slot;
    c[H_SLOT_TOP]!++;
  }

  // The object table is the truth: rebuild free slots, totals and the allocator from the live slots.
  #recoverLocked(): void {
    const c = this.ctrl;
    const { maxObjects, maxHolders, slotStack } = this.layout;
    const live: { slot: number; off: number; units: number }[] = [];
    let top = 0;
    let used = 0;
    for (let slot = maxObjects - 1; slot >= 0; slot--) {
      let total = 0;
      for (let h = 0; h < maxHolders; h++) total += this.#holds[slot * maxHolders + h]!;
      if (this.#s(slot, S_STATE) === SLOT_LIVE && total > 0) {
        this.#setS(slot, S_TOTAL, total);
        live.push({ slot, off: this.#s(slot, S_OFF), units: this.#s(slot, S_UNITS) });
        used += this.#s(slot, S_UNITS);
      } else {
        if (this.#s(slot, S_STATE) === SLOT_LIVE) this.#setS(slot, S_GEN, (this.#s(slot, S_GEN) + 1) | 0);
        this.#setS(slot, S_STATE, SLOT_FREE);
        this.#holds.fill(0, slot * maxHolders, (slot + 1) * maxHolders);
        c[slotStack + top++] = slot;
      }
    }
    live.sort((a, b) => a.off - b.off);
    const recs = this.#tlsf.rebuild(live);
    live.forEach((entry, i) => this.#setS(entry.slot, S_REC, recs[i]!));
    c[H_SLOT_TOP] = top;
    c[H_USED_UNITS] = used;
    c[H_OBJECTS] = live.length;
    c[H_RECOVERIES]!++;
  }

  #wakeWaiters(): void {
    Atomics.add(this.ctrl, H_FREE_SEQ, 1);
    Atomics.notify(this.ctrl, H_FREE_SEQ);
  }

  #checkHolder(holder: number): void {
    if (!Number.isInteger(holder) || holder < 0 || holder >= this.layout.maxHolders) {
      throw new ObjectStoreConfigError(`holder ${String(holder)} is out of range: holders are integers 0..${this.layout.maxHolders - 1} (raise maxHolders when creating the store)`, { holder });
    }
  }
}
