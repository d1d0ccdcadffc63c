// The one owner of msgpackr. Every value that crosses a thread boundary goes through encode/decode:
// typed arrays travel as binary, errors keep their class and code, actor handles and other
// registered types ride as extensions, and values marked with transfer() move without a copy.
// Call traffic goes through encodeMessages/decodeMessages, which write batches of simple messages
// in a compact frame of their own and hand everything else to msgpackr (see the end of this file).
import { Packr, addExtension } from 'msgpackr';
import type { TransferListItem } from 'node:worker_threads';
import { EventEmitter } from 'node:events';
import { fromErrorRecord, toErrorRecord, type ErrorRecord } from '../errors/index.ts';
import { UnserializableError } from './errors.ts';
import type { CallMessage } from './protocol.ts';
import {
  adoptRecord, dropRecords, refRecord, threadObjectStore, travelsByRef, type ObjectRef, type ObjectStore, type TypedArray,
} from '../store/index.ts';

const packr = new Packr({ structuredClone: true, useRecords: false, moreTypes: true });

/** Per-call scratch shared by the extensions while one frame is packed or unpacked (both synchronous). */
let attachments: unknown[] = [];

class Transfer<T> {
  constructor(readonly value: T, readonly list: TransferListItem[]) {}
}

/**
 * Marks a value so that its ArrayBuffer moves to the receiving thread instead of being copied.
 * The sender's copy becomes detached (length 0) after the call.
 */
export function transfer<T extends ArrayBuffer | ArrayBufferView>(value: T): T {
  const buffer = ArrayBuffer.isView(value) ? value.buffer : value;
  return new Transfer(value, [buffer as ArrayBuffer]) as unknown as T;
}

export interface ExtensionSpec<T> {
  Class: abstract new (...args: any[]) => T;
  /** Extension type byte: troupe's layers use 0x10..0x2f (msgpackr itself uses 0x42, 0x62, 0x65, 0x69, 0x70, 0x73, 0x74, 0x78). */
  type: number;
  write(value: T): unknown;
  read(data: any): unknown;
}

/** Lets a part of troupe (handles, object refs) teach the codec a type of its own. */
export function registerExtension<T>(spec: ExtensionSpec<T>): void {
  addExtension({ Class: spec.Class as any, type: spec.type, write: spec.write as any, read: spec.read });
}

addExtension({
  Class: Error,
  type: 0x10,
  write: (err: Error) => toErrorRecord(err),
  read: (record: ErrorRecord) => fromErrorRecord(record),
});

addExtension({
  Class: Transfer,
  type: 0x11,
  write(t: Transfer<unknown>) {
    attachments.push(t);
    return attachments.length - 1;
  },
  read: (index: number) => attachments[index],
});

// ---- ObjectRef extension (0x13): large typed arrays travel through the object store ----
// While a frame is packed, `outgoing` is the store of the runtime on the other end (a worker thread's own
// store, or the one the main thread's link names); typed arrays of at least its inline threshold are put
// there and only a ref record is packed. The lifetime rule is in src/store/wire.ts. No store (constructor
// arguments kept for restarts, runtimes with objectStore: false), a full arena, or a small array: inline.
let outgoing: ObjectStore | undefined;
/** Refs made for the frame being packed: given back if packing fails. */
let madeRefs: ObjectRef[] = [];
/** The array being written inline after the arena had no room (so the extension lets msgpackr have it). */
let inlineOnce: unknown;

class StoreBound {
  static [Symbol.hasInstance](value: unknown): boolean {
    return outgoing !== undefined && value !== inlineOnce && travelsByRef(value, outgoing);
  }
}

addExtension({
  Class: StoreBound as never,
  type: 0x13,
  pack(value: TypedArray, allocateForWrite: (n: number) => unknown, pack: (v: unknown) => void) {
    const record = refRecord(value, outgoing!, madeRefs);
    if (record) return record;
    // msgpackr's own typed-array form, for a new view of the same bytes: `value` itself is already in
    // msgpackr's structured-clone reference map, and packing it again would write a pointer to itself.
    allocateForWrite(0);
    const same = new (value.constructor as new (b: ArrayBufferLike, o: number, n: number) => TypedArray)(value.buffer, value.byteOffset, value.length);
    inlineOnce = same;
    try {
      pack(same);
    } finally {
      inlineOnce = undefined;
    }
  },
  unpack: (bytes: Uint8Array) => adoptRecord(bytes),
} as never);

export interface Frame {
  bytes: Uint8Array;
  /** Values that travel beside the bytes by structured clone with transfer (see transfer()). */
  attachments?: unknown[];
}

/**
 * Packs a value with msgpackr. Large typed arrays go by ref through `store` (default: this worker thread's
 * store; null: inline, for frames decoded more than once or by a thread outside the runtime).
 */
export function encode(value: unknown, store: ObjectStore | null = threadObjectStore() ?? null): { frame: Frame; transferList: TransferListItem[] } {
  attachments = [];
  outgoing = store ?? undefined;
  madeRefs = [];
  let packed: Uint8Array;
  try {
    packed = packr.pack(value);
  } catch (err) {
    if (outgoing) dropRecords(madeRefs, outgoing);
    throw err;
  } finally {
    var taken = attachments as Transfer<unknown>[];
    attachments = [];
    outgoing = undefined;
    madeRefs = [];
  }
  // pack() returns a view on msgpackr's reusable buffer: copy out exactly the frame's bytes.
  const bytes = Uint8Array.prototype.slice.call(packed);
  if (taken.length === 0) return { frame: { bytes }, transferList: [bytes.buffer] };
  const transferList: TransferListItem[] = [bytes.buffer];
  for (const t of taken) transferList.push(...t.list);
  return { frame: { bytes, attachments: taken.map(t => t.value) }, transferList };
}

export function decode(frame: Frame): unknown {
  attachments = frame.attachments ?? [];
  try {
    return packr.unpack(frame.bytes);
  } finally {
    attachments = [];
  }
}

/** Encodes a value once (constructor arguments kept for restarts). */
export function encodeStandalone(value: unknown): Frame {
  return encode(value, null).frame;
}

/**
 * Throws UnserializableError naming the argument (and the path inside it) when a value cannot
 * cross threads: functions, symbols, promises, sockets and other event emitters, weak collections.
 * Typed arrays and buffers are not walked. `where` may be a function, called only to build the error.
 */
export function assertSerializable(value: unknown, where: string | (() => string), depth = 0, seen?: Set<object>): void {
  // The common case is a value with nothing wrong: check it without building a path string per
  // property; walk again with paths only to name what is wrong.
  if (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol') return;
  if (!hasProblem(value, depth, new Set(seen))) return;
  describeProblem(value, typeof where === 'function' ? where() : where, depth, new Set(seen));
}

/**
 * assertSerializable for every argument of a call to `owner.method`. The per-call path of every actor and
 * handle call: it builds no path string and no set unless a value is wrong or nested deep enough to need one.
 */
export function assertSerializableArgs(args: unknown[], owner: string, method: string): void {
  for (let i = 0; i < args.length; i++) {
    const value = args[i];
    if (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol') continue;
    if (!hasProblem(value, 0, undefined)) continue;
    describeProblem(value, `argument ${i + 1} of ${owner}.${method}`, 0, new Set());
  }
}

/** Below this depth a value is walked without a seen-set: cycles and shared parts are only tracked past it. */
const TRACK_FROM_DEPTH = 6;

/** Same acceptance rules as describeProblem, without the paths. */
function hasProblem(value: unknown, depth: number, seen: Set<object> | undefined): boolean {
  switch (typeof value) {
    case 'function':
    case 'symbol':
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null || ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return false;
  if (value instanceof Transfer || value instanceof Error || value instanceof Date || value instanceof RegExp) return false;
  if (depth >= TRACK_FROM_DEPTH) {
    seen ??= new Set();
    if (seen.has(value) || depth > 64) return false;
    seen.add(value);
  }
  if (value instanceof Promise || value instanceof EventEmitter || value instanceof WeakMap || value instanceof WeakSet || value instanceof WeakRef) return true;
  if (isExtensionValue(value)) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (hasProblem(value[i], depth + 1, seen)) return true;
    return false;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) if (hasProblem(k, depth + 1, seen) || hasProblem(v, depth + 1, seen)) return true;
    return false;
  }
  if (value instanceof Set) {
    for (const v of value) if (hasProblem(v, depth + 1, seen)) return true;
    return false;
  }
  for (const key of Object.keys(value)) if (hasProblem((value as any)[key], depth + 1, seen)) return true;
  return false;
}

function describeProblem(value: unknown, where: string, depth: number, seen: Set<object>): void {
  switch (typeof value) {
    case 'function':
      throw new UnserializableError(where, `a function (${(value as Function).name || 'anonymous'})`);
    case 'symbol':
      throw new UnserializableError(where, 'a symbol');
    case 'object':
      break;
    default:
      return;
  }
  if (value === null || ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return;
  if (value instanceof Transfer || value instanceof Error || value instanceof Date || value instanceof RegExp) return;
  if (seen.has(value) || depth > 64) return;
  seen.add(value);
  if (value instanceof Promise) throw new UnserializableError(where, 'a Promise (await it first)');
  if (value instanceof EventEmitter) throw new UnserializableError(where, `a ${value.constructor?.name ?? 'EventEmitter'} (sockets, streams and emitters hold thread-local resources)`);
  if (value instanceof WeakMap || value instanceof WeakSet || value instanceof WeakRef) throw new UnserializableError(where, `a ${value.constructor.name}`);
  if (isExtensionValue(value)) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) describeProblem(value[i], `${where}[${i}]`, depth + 1, seen);
    return;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) {
      describeProblem(k, `${where} (a Map key)`, depth + 1, seen);
      describeProblem(v, `${where}.get(${String(k)})`, depth + 1, seen);
    }
    return;
  }
  if (value instanceof Set) {
    for (const v of value) describeProblem(v, `${where} (a Set member)`, depth + 1, seen);
    return;
  }
  for (const key of Object.keys(value)) describeProblem((value as any)[key], `${where}.${key}`, depth + 1, seen);
}

const extensionClasses = new Set<Function>();
/** Values of these classes are encoded by their extension and not walked by assertSerializable. */
export function markExtensionClass(cls: Function): void {
  extensionClasses.add(cls);
}
function isExtensionValue(value: object): boolean {
  for (const cls of extensionClasses) if (value instanceof cls) return true;
  return false;
}

// ---- call traffic: a compact frame for batches of simple messages ----
// msgpackr's fixed cost per pack()/unpack() (a reference Map for structured clone, buffer setup) made up
// a third of a no-op call's round trip (bench/results/actor-calls.md). Batches whose messages are simple (ids, method names and
// values that are undefined, null, booleans, numbers, short ASCII strings, or typed arrays that go by ref
// through the object store) are written by hand instead, as are plain objects and arrays of such values
// (shared and cyclic ones included); anything else (class instances, small typed arrays, Dates, Maps,
// errors, handles, big ids) goes through msgpackr.
// A compact frame starts with 0xc1, a byte msgpack never uses, so either kind decodes.

const COMPACT = 0xc1;
const kinds = ['call', 'cancel', 'credit', 'ok', 'err', 'item', 'end'] as const;
const kindCode: Record<string, number> = Object.fromEntries(kinds.map((k, i) => [k, i]));
const enum Tag { Undefined, Null, True, False, Number, String, Array, Object, Ref, StoreRef }
const MAX_INLINE_STRING = 255;
const MAX_INLINE_ARGS = 16;
/** Plain objects and arrays are written inline up to this depth, this many keys or items each, and this many values per message. */
const MAX_INLINE_DEPTH = 16;
const MAX_INLINE_ITEMS = 255;
const MAX_INLINE_VALUES = 2048;
const MAX_COMPACT_FRAME = 1024 * 1024;

/**
 * Objects already written in this frame, by their order of first appearance: one met again (shared,
 * or a cycle) is written as a reference to that index, so identity and cycles survive as they do
 * with structured clone. (msgpackr 2.1.3 cannot decode a cyclic plain object with useRecords: false.)
 */
let seenObjects = new Map<object, number>();
let valuesLeft = 0;

/**
 * Object keys and method names already written in this frame, by order of first appearance: a name met again
 * is written as KEY_AGAIN and its index. A batch of calls to one route repeats the same few names; the reader
 * then makes each name's string once per frame instead of once per object (making those strings was a third
 * of a replica's decoding time).
 */
let keyIds = new Map<string, number>();
/** Where typed arrays of the frame being written go by ref (StoreRef: the same wire record as extension 0x13),
 *  and the refs made for it, given back if the frame goes to msgpackr instead. */
let compactStore: ObjectStore | undefined;
let compactRefs: ObjectRef[] = [];
const KEY_AGAIN = 0xff;
/** Flag bits of a compact call. */
const CALL_STREAM = 1;
const CALL_MODEL = 2;
const CALL_TRACE = 4;
const MAX_KEYS = 0xffff;

let scratch = new Uint8Array(4096);
let view = new DataView(scratch.buffer);
let pos = 0;

function room(n: number): void {
  if (pos + n <= scratch.length) return;
  const bigger = new Uint8Array(Math.max(scratch.length * 2, pos + n));
  bigger.set(scratch.subarray(0, pos));
  scratch = bigger;
  view = new DataView(scratch.buffer);
}

/** Writes a short ASCII string; false if the string is not one. */
function writeAscii(s: string): boolean {
  const n = s.length;
  if (n > MAX_INLINE_STRING) return false;
  room(1 + n);
  scratch[pos] = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return false;
    scratch[pos + 1 + i] = c;
  }
  pos += 1 + n;
  return true;
}

/** Writes a key or method name: its index when this frame has it already, else its ASCII bytes (at most 254). */
function writeKey(s: string): boolean {
  const id = keyIds.get(s);
  if (id !== undefined) {
    room(3);
    scratch[pos] = KEY_AGAIN;
    scratch[pos + 1] = id & 0xff;
    scratch[pos + 2] = id >>> 8;
    pos += 3;
    return true;
  }
  if (s.length >= KEY_AGAIN || !writeAscii(s)) return false;
  // The reader numbers every name written out, in the same order, up to the same limit.
  if (keyIds.size < MAX_KEYS) keyIds.set(s, keyIds.size);
  return true;
}

function writeValue(v: unknown, depth = 0): boolean {
  if (--valuesLeft < 0) return false;
  room(9);
  switch (typeof v) {
    case 'undefined':
      scratch[pos++] = Tag.Undefined;
      return true;
    case 'boolean':
      scratch[pos++] = v ? Tag.True : Tag.False;
      return true;
    case 'number':
      scratch[pos++] = Tag.Number;
      view.setFloat64(pos, v, true);
      pos += 8;
      return true;
    case 'string':
      scratch[pos++] = Tag.String;
      return writeAscii(v);
    case 'object': {
      if (v === null) {
        scratch[pos++] = Tag.Null;
        return true;
      }
      const seen = seenObjects.get(v);
      if (seen !== undefined) {
        scratch[pos++] = Tag.Ref;
        view.setUint32(pos, seen, true);
        pos += 4;
        return true;
      }
      if (depth >= MAX_INLINE_DEPTH) return false;
      if (compactStore !== undefined && travelsByRef(v, compactStore)) return writeStoreRef(v as TypedArray);
      seenObjects.set(v, seenObjects.size);
      if (Array.isArray(v)) return writeArray(v, depth);
      // Only plain objects: class instances, Dates, Maps, typed arrays... keep msgpackr's handling.
      if (Object.getPrototypeOf(v) !== Object.prototype) return false;
      return writeObject(v as Record<string, unknown>, depth);
    }
    default:
      return false;
  }
}

/** A large typed array: put into (or retained in) the store, and its wire record written; false if the arena is full. */
function writeStoreRef(v: TypedArray): boolean {
  const record = refRecord(v, compactStore!, compactRefs);
  if (!record) return false; // no room now: the frame goes to msgpackr, which sends it inline
  seenObjects.set(v, seenObjects.size);
  room(3 + record.byteLength);
  scratch[pos++] = Tag.StoreRef;
  scratch[pos++] = record.byteLength & 0xff;
  scratch[pos++] = record.byteLength >>> 8;
  scratch.set(record, pos);
  pos += record.byteLength;
  return true;
}

function writeArray(v: unknown[], depth: number): boolean {
  const n = v.length;
  if (n > MAX_INLINE_ITEMS) return false;
  scratch[pos++] = Tag.Array;
  scratch[pos++] = n;
  for (let i = 0; i < n; i++) if (!(i in v) || !writeValue(v[i], depth + 1)) return false;
  return true;
}

function writeObject(v: Record<string, unknown>, depth: number): boolean {
  scratch[pos++] = Tag.Object;
  const countAt = pos++;
  let n = 0;
  for (const key in v) {
    if (++n > MAX_INLINE_ITEMS || key === '__proto__' || !writeKey(key) || !writeValue(v[key], depth + 1)) return false;
  }
  scratch[countAt] = n;
  return true;
}

/** Fields each kind carries in a compact frame; a message with any other field goes through msgpackr. */
const fieldCount: Record<string, number> = { call: 4, cancel: 2, credit: 3, ok: 3, err: 3, item: 3, end: 2 };

function countFields(m: object): number {
  let n = 0;
  for (const _ in m) n++;
  return n;
}

function writeMessage(m: any): boolean {
  const kind = kindCode[m.t];
  const id = m.id;
  if (kind === undefined || !(id >= 0 && id <= 0xffffffff && Number.isInteger(id))) return false;
  // A field this format does not know (the protocol grew) must not be dropped silently.
  if (countFields(m) !== fieldCount[m.t]! + ('s' in m ? 1 : 0) + ('mm' in m ? 1 : 0) + ('tc' in m ? 1 : 0)) return false;
  valuesLeft = MAX_INLINE_VALUES;
  room(5);
  scratch[pos] = kind;
  view.setUint32(pos + 1, id, true);
  pos += 5;
  switch (m.t) {
    case 'call': {
      const args = m.a;
      const mm = m.mm;
      const tc = m.tc;
      if (!Array.isArray(args) || args.length > MAX_INLINE_ARGS || (m.s !== undefined && m.s !== 1)) return false;
      if (mm !== undefined && typeof mm !== 'string') return false;
      if (tc !== undefined && typeof tc !== 'string') return false;
      room(2);
      // Flags: CALL_STREAM, CALL_MODEL when a multiplexed model id follows the method name (as a key: a frame of
      // calls for the same model writes it once), CALL_TRACE when the request's trace carrier follows that.
      scratch[pos++] = (m.s === 1 ? CALL_STREAM : 0) | (mm !== undefined ? CALL_MODEL : 0) | (tc !== undefined ? CALL_TRACE : 0);
      scratch[pos++] = args.length;
      if (!writeKey(m.m)) return false;
      if (mm !== undefined && !writeKey(mm)) return false;
      if (tc !== undefined && !writeAscii(tc)) return false;
      for (let i = 0; i < args.length; i++) if (!(i in args) || !writeValue(args[i])) return false;
      return true;
    }
    case 'ok':
    case 'item':
      return writeValue(m.v);
    case 'credit':
      return writeValue(m.n);
    case 'cancel':
    case 'end':
      return true;
    default:
      return false; // errors keep their class, cause and stack through msgpackr
  }
}

/** The compact frame of a batch, or undefined when one of its messages needs msgpackr. */
function encodeCompact(batch: readonly object[], store: ObjectStore | undefined): Uint8Array | undefined {
  pos = 0;
  room(1);
  scratch[pos++] = COMPACT;
  compactStore = store;
  compactRefs = [];
  let done = false;
  try {
    // Past MAX_COMPACT_FRAME the batch goes to msgpackr: the scratch buffer stays bounded.
    for (const m of batch) if (!writeMessage(m) || pos > MAX_COMPACT_FRAME) return undefined;
    done = true;
  } finally {
    if (!done && store) dropRecords(compactRefs, store);
    // Fresh maps, not clear(): a cleared table keeps what it held, and once these long-lived maps' tables are
    // in the old generation every clear() would leave one there holding a frame's objects (see IdTable).
    if (seenObjects.size > 0) seenObjects = new Map();
    if (keyIds.size > 0) keyIds = new Map();
    compactStore = undefined;
    compactRefs = [];
  }
  return scratch.slice(0, pos);
}

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, start: number, end: number): string }).latin1Slice;

function readAscii(bytes: Uint8Array, at: number): string {
  const n = bytes[at]!;
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(bytes[at + 1 + i]!);
  return s;
}

// Decoder state: one frame is decoded at a time, synchronously. Module-level functions, not closures:
// tsx names every closure it creates (a defineProperty per call), which showed in profiles.
let inBytes: Uint8Array = scratch;
let inView: DataView = view;
let at = 0;
/** Objects and arrays of the frame being decoded, in order of appearance (what Tag.Ref points at). */
let refs: object[] = [];
/** Keys and method names of the frame being decoded, in order of appearance (what KEY_AGAIN points at). */
let keyList: string[] = [];

function readKey(): string {
  const n = inBytes[at]!;
  if (n === KEY_AGAIN) {
    const key = keyList[inBytes[at + 1]! | (inBytes[at + 2]! << 8)];
    at += 3;
    if (key === undefined) throw new RangeError('a compact frame refers to a key it has not sent');
    return key;
  }
  const key = readAscii(inBytes, at);
  at += 1 + n;
  if (keyList.length < MAX_KEYS) keyList.push(key);
  return key;
}

function readValue(): unknown {
  const tag = inBytes[at++];
  switch (tag) {
    case Tag.Undefined: return undefined;
    case Tag.Null: return null;
    case Tag.True: return true;
    case Tag.False: return false;
    case Tag.Number: {
      const n = inView.getFloat64(at, true);
      at += 8;
      return n;
    }
    case Tag.String: {
      const s = readAscii(inBytes, at);
      at += 1 + inBytes[at]!;
      return s;
    }
    case Tag.Array: {
      const n = inBytes[at++]!;
      const a = new Array(n);
      refs.push(a);
      for (let i = 0; i < n; i++) a[i] = readValue();
      return a;
    }
    case Tag.Object: {
      const n = inBytes[at++]!;
      const o: Record<string, unknown> = {};
      refs.push(o);
      for (let i = 0; i < n; i++) {
        const key = readKey();
        o[key] = readValue();
      }
      return o;
    }
    case Tag.StoreRef: {
      const n = inBytes[at]! | (inBytes[at + 1]! << 8);
      at += 2;
      const view = adoptRecord(inBytes.subarray(at, at + n));
      at += n;
      refs.push(view);
      return view;
    }
    case Tag.Ref: {
      const target = refs[inView.getUint32(at, true)];
      at += 4;
      if (target === undefined) throw new RangeError('a compact frame refers to an object it has not sent');
      return target;
    }
    default:
      throw new RangeError(`bad value tag ${tag} in a compact frame`);
  }
}

function decodeCompact(bytes: Uint8Array): object[] {
  refs = [];
  keyList = [];
  inBytes = bytes;
  inView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  at = 1;
  const out: object[] = [];
  while (at < bytes.length) {
    const t = kinds[bytes[at]!];
    const id = inView.getUint32(at + 1, true);
    at += 5;
    switch (t) {
      case 'call': {
        const flags = bytes[at++]!;
        const argc = bytes[at++]!;
        const m = readKey();
        const mm = flags & CALL_MODEL ? readKey() : undefined;
        let tc: string | undefined;
        if (flags & CALL_TRACE) {
          // The carrier's ~70 ASCII bytes in one native call, not a string concatenation per character.
          const n = bytes[at]!;
          tc = latin1Slice.call(bytes, at + 1, at + 1 + n);
          at += 1 + n;
        }
        const a = new Array(argc);
        for (let i = 0; i < argc; i++) a[i] = readValue();
        if (flags === 0) out.push({ t, id, m, a });
        else if (flags === CALL_STREAM) out.push({ t, id, m, a, s: 1 });
        else if (flags === CALL_TRACE) out.push({ t, id, m, a, tc });
        else {
          const call: CallMessage = { t, id, m, a };
          if (flags & CALL_STREAM) call.s = 1;
          if (mm !== undefined) call.mm = mm;
          if (tc !== undefined) call.tc = tc;
          out.push(call);
        }
        break;
      }
      case 'ok':
      case 'item':
        out.push({ t, id, v: readValue() });
        break;
      case 'credit':
        out.push({ t, id, n: readValue() });
        break;
      case 'cancel':
      case 'end':
        out.push({ t, id });
        break;
      default:
        throw new RangeError(`bad message kind ${bytes[at - 5]} in a compact frame`);
    }
  }
  refs = []; // hold no user objects between frames
  keyList = [];
  return out;
}

/**
 * Encodes a batch of call-traffic messages: a compact frame when they are simple, msgpackr otherwise.
 * `store`: where large typed arrays go (default: this worker thread's store; null: inline).
 */
export function encodeMessages(batch: readonly object[], store?: ObjectStore | null): { frame: Frame; transferList: TransferListItem[] } {
  const target = store === undefined ? threadObjectStore() ?? null : store;
  const compact = encodeCompact(batch, target ?? undefined);
  if (compact) return { frame: { bytes: compact }, transferList: [compact.buffer as ArrayBuffer] };
  // msgpackr (2.1.3, useRecords: false) packs a cycle but cannot unpack it: the receiver would drop
  // the frame and the call would never settle. Refuse it here, where the call can be failed.
  for (const m of batch) if (hasCycle(m, new Set(), 0)) throw new UnserializableError('a call argument or result', CYCLE_HELP);
  return encode(batch, target);
}

const CYCLE_HELP = 'a structure that refers to itself and also holds values other than plain objects, arrays and primitives (a Date, Map, Set, typed array or class instance); break the cycle, or keep the cyclic part to plain objects and arrays';

/** Whether a value refers back to one of its own containers. Typed arrays, handles and errors are not walked. */
function hasCycle(value: unknown, path: Set<object>, depth: number): boolean {
  if (typeof value !== 'object' || value === null || depth > 64) return false;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return false;
  if (value instanceof Transfer || value instanceof Error || value instanceof Date || value instanceof RegExp || isExtensionValue(value)) return false;
  if (path.has(value)) return true;
  path.add(value);
  let found = false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && !found; i++) found = hasCycle(value[i], path, depth + 1);
  } else if (value instanceof Map) {
    for (const [k, v] of value) if ((found = hasCycle(k, path, depth + 1) || hasCycle(v, path, depth + 1))) break;
  } else if (value instanceof Set) {
    for (const v of value) if ((found = hasCycle(v, path, depth + 1))) break;
  } else {
    for (const key of Object.keys(value)) if ((found = hasCycle((value as any)[key], path, depth + 1))) break;
  }
  path.delete(value);
  return found;
}

export function decodeMessages(frame: Frame): object[] {
  if (frame.bytes[0] === COMPACT && !frame.attachments) return decodeCompact(frame.bytes);
  return decode(frame) as object[];
}
