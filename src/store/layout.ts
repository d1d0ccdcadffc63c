// Named offsets of the store's control block: one SharedArrayBuffer of Int32 words (header, allocator,
// object table) followed by the per-holder counts as Uint16. Every thread computes the same layout from
// the header, so only the buffers travel in the share descriptor.

export const MAGIC = 0x7472_7370; // "trsp"
export const VERSION = 1;

/** Allocation granule in bytes: cache-line sized, so every dtype is aligned and neighbours never share a line. */
export const UNIT = 64;

// Header words.
export const H_MAGIC = 0;
export const H_VERSION = 1;
export const H_STORE_ID = 2;
export const H_LOCK = 3; // 0 free, else owner holder + 1
export const H_FREE_SEQ = 4; // bumped on every free; puts waiting for room wait on it
export const H_CAP_UNITS = 5;
export const H_MAX_OBJECTS = 6;
export const H_MAX_HOLDERS = 7;
export const H_MAX_RECORDS = 8;
export const H_USED_UNITS = 9;
export const H_PEAK_UNITS = 10;
export const H_OBJECTS = 11;
export const H_FAILED_PUTS = 12;
export const H_PUTS = 13;
export const H_FREES = 14;
export const H_SLOT_TOP = 15; // entries on the free-slot stack
export const H_REC_TOP = 16; // entries on the free-record stack
export const H_FL_BITMAP = 17;
export const H_INLINE_THRESHOLD = 18;
export const H_PEAK_OBJECTS = 19;
export const H_GC_RELEASES = 20;
export const H_HOLDER_RELEASES = 21;
export const H_RECOVERIES = 22;
export const H_PUT_TIMEOUT_MS = 23;
export const HEADER_WORDS = 32;

// Two-level segregated fit: first level by power of two, second level splits each into 16.
export const SL_BITS = 4;
export const SL_COUNT = 1 << SL_BITS;
export const FL_COUNT = 32;

// Block record fields (struct of arrays, one array per field).
export const R_OFF = 0; // units from arena start
export const R_SIZE = 1; // units
export const R_PREV_PHYS = 2;
export const R_NEXT_PHYS = 3;
export const R_PREV_FREE = 4;
export const R_NEXT_FREE = 5;
export const R_STATE = 6; // REC_UNUSED, REC_FREE, REC_USED
export const R_FIELDS = 7;
export const REC_UNUSED = 0;
export const REC_FREE = 1;
export const REC_USED = 2;

// Object slot fields.
export const S_GEN = 0; // bumped when the slot is freed: stale refs stop matching
export const S_STATE = 1; // SLOT_FREE, SLOT_LIVE
export const S_REC = 2;
export const S_OFF = 3; // units, kept beside the record so the allocator can be rebuilt from slots alone
export const S_UNITS = 4;
export const S_LENGTH = 5; // bytes the object holds
export const S_TOTAL = 6; // sum of the holders' counts
export const S_DTYPE = 7;
export const S_FIELDS = 8;
export const SLOT_FREE = 0;
export const SLOT_LIVE = 1;

export const NIL = -1;

export interface Layout {
  readonly capUnits: number;
  readonly maxObjects: number;
  readonly maxHolders: number;
  readonly maxRecords: number;
  readonly slBitmaps: number; // FL_COUNT words
  readonly heads: number; // FL_COUNT * SL_COUNT words
  readonly records: number; // R_FIELDS * maxRecords words, field-major
  readonly recStack: number;
  readonly slots: number; // S_FIELDS * maxObjects words, field-major
  readonly slotStack: number;
  readonly int32Words: number;
  readonly holdsByteOffset: number; // Uint16 counts, maxObjects * maxHolders
  readonly totalBytes: number;
}

export function computeLayout(capUnits: number, maxObjects: number, maxHolders: number): Layout {
  // Each live object splits at most one free block, and free blocks never touch: 2n + 1 records suffice.
  const maxRecords = 2 * maxObjects + 2;
  const slBitmaps = HEADER_WORDS;
  const heads = slBitmaps + FL_COUNT;
  const records = heads + FL_COUNT * SL_COUNT;
  const recStack = records + R_FIELDS * maxRecords;
  const slots = recStack + maxRecords;
  const slotStack = slots + S_FIELDS * maxObjects;
  const int32Words = slotStack + maxObjects;
  const holdsByteOffset = int32Words * 4;
  const totalBytes = holdsByteOffset + maxObjects * maxHolders * 2;
  return { capUnits, maxObjects, maxHolders, maxRecords, slBitmaps, heads, records, recStack, slots, slotStack, int32Words, holdsByteOffset, totalBytes };
}
