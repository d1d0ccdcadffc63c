// The one owner of msgpackr. Every value that crosses a thread boundary goes through encode/decode:
// typed arrays travel as binary, errors keep their class and code, actor handles and other
// registered types ride as extensions, and values marked with transfer() move without a copy.
import { Packr, addExtension } from 'msgpackr';
import type { TransferListItem } from 'node:worker_threads';
import { EventEmitter } from 'node:events';
import { fromErrorRecord, toErrorRecord, type ErrorRecord } from '../errors/index.ts';
import { UnserializableError } from './errors.ts';

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

export interface Frame {
  bytes: Uint8Array;
  /** Values that travel beside the bytes by structured clone with transfer (see transfer()). */
  attachments?: unknown[];
}

export function encode(value: unknown): { frame: Frame; transferList: TransferListItem[] } {
  attachments = [];
  let packed: Uint8Array;
  try {
    packed = packr.pack(value);
  } finally {
    var taken = attachments as Transfer<unknown>[];
    attachments = [];
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
  return encode(value).frame;
}

/**
 * Throws UnserializableError naming the argument (and the path inside it) when a value cannot
 * cross threads: functions, symbols, promises, sockets and other event emitters, weak collections.
 * Typed arrays and buffers are not walked.
 */
export function assertSerializable(value: unknown, where: string, depth = 0, seen = new Set<object>()): void {
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
    for (let i = 0; i < value.length; i++) assertSerializable(value[i], `${where}[${i}]`, depth + 1, seen);
    return;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) {
      assertSerializable(k, `${where} (a Map key)`, depth + 1, seen);
      assertSerializable(v, `${where}.get(${String(k)})`, depth + 1, seen);
    }
    return;
  }
  if (value instanceof Set) {
    for (const v of value) assertSerializable(v, `${where} (a Set member)`, depth + 1, seen);
    return;
  }
  for (const key of Object.keys(value)) assertSerializable((value as any)[key], `${where}.${key}`, depth + 1, seen);
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
