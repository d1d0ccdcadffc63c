// ObjectRef: the few numbers that name an object in a store. A plain frozen record, so it survives
// structured clone; `toRecord`/`fromRecord` give a flat array for msgpackr extensions and check it back.
import { dtypeFromCode, dtypeInfo, isDtype, shapeSize, type Dtype } from './dtypes.ts';
import { InvalidObjectRefError } from './errors.ts';

export interface ObjectRef {
  /** Id of the store that made the ref; another store rejects it. */
  readonly store: number;
  /** Slot in the object table. */
  readonly id: number;
  /** Slot generation when the object was made; a released object's refs stop matching. */
  readonly gen: number;
  /** Byte offset in the arena. */
  readonly offset: number;
  /** Bytes the object holds. */
  readonly length: number;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
}

/** Flat form: [store, id, gen, offset, length, dtypeCode, ...shape]. */
export type ObjectRefRecord = number[];

const int32 = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= -0x80000000 && (v as number) <= 0x7fffffff;
const nonNegative = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Builds a frozen ref after checking that its dtype and shape agree with its length. */
export function makeRef(store: number, id: number, gen: number, offset: number, length: number, dtype: Dtype, shape: readonly number[]): ObjectRef {
  const fields = { store, id, gen, offset, length, dtype, shape };
  if (!int32(store) || !nonNegative(id) || !int32(gen) || !nonNegative(offset) || !nonNegative(length)) {
    throw new InvalidObjectRefError('object ref fields store, id, gen, offset and length must be integers (id, offset and length non-negative)', { ref: fields });
  }
  if (!isDtype(dtype)) throw new InvalidObjectRefError(`object ref has unknown dtype ${JSON.stringify(dtype)}`, { ref: fields });
  if (!Array.isArray(shape)) throw new InvalidObjectRefError('object ref shape must be an array of non-negative integers', { ref: fields });
  let elements: number;
  try {
    elements = shapeSize(shape);
  } catch (err) {
    throw new InvalidObjectRefError(`object ref shape ${JSON.stringify(shape)} is not a shape`, { ref: fields });
  }
  const bytes = elements * dtypeInfo(dtype).bytes;
  if (bytes !== length) {
    throw new InvalidObjectRefError(
      `object ref says ${dtype} ${JSON.stringify(shape)} (${bytes} bytes) but its length is ${length} bytes: dtype or shape does not match the data`,
      { ref: fields, expectedBytes: bytes },
    );
  }
  return Object.freeze({ store, id, gen, offset, length, dtype, shape: Object.freeze([...shape]) });
}

export function isObjectRef(value: unknown): value is ObjectRef {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return int32(v.store) && nonNegative(v.id) && int32(v.gen) && nonNegative(v.offset) && nonNegative(v.length) && isDtype(v.dtype) && Array.isArray(v.shape);
}

/** Checks any value claimed to be a ref (for instance one rebuilt by structured clone) and returns a frozen ref. */
export function asObjectRef(value: unknown): ObjectRef {
  if (!isObjectRef(value)) {
    throw new InvalidObjectRefError('expected an ObjectRef { store, id, gen, offset, length, dtype, shape } made by an object store', { value: describe(value) });
  }
  if (Object.isFrozen(value)) return value;
  return makeRef(value.store, value.id, value.gen, value.offset, value.length, value.dtype, value.shape);
}

export function toRecord(ref: ObjectRef): ObjectRefRecord {
  return [ref.store, ref.id, ref.gen, ref.offset, ref.length, dtypeInfo(ref.dtype).code, ...ref.shape];
}

export function fromRecord(record: unknown): ObjectRef {
  if (!Array.isArray(record) || record.length < 6) {
    throw new InvalidObjectRefError('an object ref record is an array [store, id, gen, offset, length, dtypeCode, ...shape]', { record: describe(record) });
  }
  const dtype = dtypeFromCode(record[5] as number);
  if (!dtype) throw new InvalidObjectRefError(`object ref record has unknown dtype code ${String(record[5])}`, { record: describe(record) });
  return makeRef(record[0], record[1], record[2], record[3], record[4], dtype, record.slice(6));
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 200) ?? String(value);
  } catch {
    return typeof value;
  }
}
