// The object store's face in one thread. `ObjectStore.create()` makes the arena (main thread, when the
// runtime starts); `share()` gives a structured-clonable descriptor for a worker's workerData, and
// `ObjectStore.attach(share, { holder })` gives the same store there. Each thread is a holder (a small
// integer the runtime assigns, 0 = main); an object lives while any holder holds it.
import { totalmem } from 'node:os';
import { Arena, type RefClaim } from './arena.ts';
import { dtypeInfo, dtypeOfArray, isDtype, shapeSize, type Dtype, type TypedArray } from './dtypes.ts';
import type { Tensor, TensorData } from '../native/tensor.ts';
import {
  ForeignObjectRefError, InvalidObjectRefError, InvalidTensorError, ObjectNotHeldError, ObjectStoreConfigError,
  ObjectStoreFullError,
} from './errors.ts';
import {
  H_CAP_UNITS, H_FAILED_PUTS, H_FREES, H_FREE_SEQ, H_GC_RELEASES, H_HOLDER_RELEASES, H_INLINE_THRESHOLD, H_MAGIC,
  H_MAX_HOLDERS, H_MAX_OBJECTS, H_OBJECTS, H_PEAK_OBJECTS, H_PEAK_UNITS, H_PUTS, H_PUT_TIMEOUT_MS, H_RECOVERIES,
  H_STORE_ID, H_USED_UNITS, H_VERSION, MAGIC, UNIT, VERSION, computeLayout,
} from './layout.ts';
import { nativeAlias, nativeAliasStatus } from './native-alias.ts';
import { asObjectRef, makeRef, type ObjectRef } from './object-ref.ts';
import { noteAdopted, noteReleased } from './collect.ts';

export const DEFAULT_INLINE_THRESHOLD = 64 * 1024;
export const DEFAULT_MAX_HOLDERS = 64;
export const DEFAULT_PUT_TIMEOUT_MS = 1000;
export const DEFAULT_LOCK_TIMEOUT_MS = 1000;
const MAX_OBJECT_BYTES = 0x7fffffff;

// ES2024 Atomics.waitAsync (in Node 20, not yet in this project's TypeScript lib).
const waitAsync = (Atomics as unknown as {
  waitAsync(ta: Int32Array, index: number, value: number, timeout: number): { async: boolean; value: Promise<string> | string };
}).waitAsync;

export interface ObjectStoreOptions {
  /** Arena bytes. Default: min(1 GiB, total memory / 8). */
  capacity?: number;
  /** Objects alive at once. Default: capacity / 32 KiB, clamped to 1024..65536. */
  maxObjects?: number;
  /** Distinct holder ids (threads). Default 64. */
  maxHolders?: number;
  /** Typed arrays of at least this many bytes should travel as refs (read by the runtime). Default 64 KiB. */
  inlineThreshold?: number;
  /** How long `put` waits for frees when the arena is full before it throws. Default 1000 ms. */
  putTimeoutMs?: number;
  /** How long a thread spins for the store lock before it reports a stuck owner. Default 1000 ms. */
  lockTimeoutMs?: number;
}

export interface AttachOptions {
  /** This thread's holder id: a small integer unique among live threads; 0 is the main thread. */
  holder: number;
  lockTimeoutMs?: number;
}

/** Plain, structured-clonable: put it in a worker's workerData. */
export interface ObjectStoreShare {
  readonly kind: 'troupe.object-store';
  readonly version: number;
  readonly control: SharedArrayBuffer;
  readonly data: SharedArrayBuffer;
}

export interface PutOptions {
  /** Holder that gets the first hold. Default: this thread's holder. */
  holder?: number;
  /** Wait at most this long for room (put and allocate only). Default: the store's putTimeoutMs. */
  timeoutMs?: number;
}

/** An onnxruntime-node Tensor as the store reads it. */
export interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}

/** What putTensor takes: a troupe tensor, or an onnxruntime-node Tensor. */
export type TensorInput = Tensor | OrtTensor;

export interface ObjectStoreStats {
  capacity: number;
  /** Bytes allocated (objects rounded up to 64-byte units). */
  used: number;
  free: number;
  peak: number;
  largestFree: number;
  freeBlocks: number;
  objects: number;
  peakObjects: number;
  maxObjects: number;
  puts: number;
  frees: number;
  failedPuts: number;
  /** Holds dropped because a view owning them was garbage-collected. */
  gcReleases: number;
  /** Holds dropped by releaseHolder (threads that died). */
  holderReleases: number;
  /** Times the lock of a dead thread was broken and the allocator rebuilt. */
  recoveries: number;
}

export interface OrtCompatibleView {
  /** A typed array over a plain ArrayBuffer: accepted by onnxruntime-node. */
  readonly data: TypedArray;
  /** True when `data` aliases arena memory (native addon present); false when it is a copy. */
  readonly zeroCopy: boolean;
  readonly reason: string;
}

interface ViewInfo {
  readonly ref: ObjectRef;
  owned: boolean;
  readonly token: object;
  /** Came from adopt(): its bytes count toward this thread's next collection (collect.ts) until released. */
  readonly adopted: boolean;
}

interface GcHold {
  readonly claim: RefClaim;
  readonly holder: number;
}

// Views carry their ref under a module-private symbol: far cheaper than a WeakMap entry per get().
const kView = Symbol('troupe.store.view');

function viewInfo(view: object): ViewInfo | undefined {
  return (view as { [kView]?: ViewInfo })[kView];
}

function claimOf(ref: ObjectRef): RefClaim {
  return { id: ref.id, gen: ref.gen, offset: ref.offset, length: ref.length, dtypeCode: dtypeInfo(ref.dtype).code };
}

function positiveInt(name: string, value: number | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new ObjectStoreConfigError(`${name} must be an integer between 0 and ${max}, got ${String(value)}`, { [name]: value });
  }
  return value;
}

export class ObjectStore {
  readonly id: number;
  readonly holder: number;
  readonly capacity: number;
  readonly inlineThreshold: number;
  readonly #arena: Arena;
  readonly #control: SharedArrayBuffer;
  readonly #data: SharedArrayBuffer;
  readonly #ctrl: Int32Array;
  readonly #putTimeoutMs: number;
  readonly #registry: FinalizationRegistry<GcHold>;
  #closed = false;

  private constructor(control: SharedArrayBuffer, data: SharedArrayBuffer, holder: number, lockTimeoutMs: number, format: boolean) {
    const ctrl = new Int32Array(control);
    const layout = computeLayout(ctrl[H_CAP_UNITS]!, ctrl[H_MAX_OBJECTS]!, ctrl[H_MAX_HOLDERS]!);
    if (control.byteLength < layout.totalBytes || data.byteLength < layout.capUnits * UNIT) {
      throw new ObjectStoreConfigError('the object store share is truncated: pass the descriptor from share() unchanged', {});
    }
    if (!Number.isInteger(holder) || holder < 0 || holder >= layout.maxHolders) {
      throw new ObjectStoreConfigError(`holder ${String(holder)} is out of range: use 0..${layout.maxHolders - 1}`, { holder });
    }
    this.#control = control;
    this.#data = data;
    this.#ctrl = ctrl;
    this.#arena = new Arena(ctrl, layout, holder, lockTimeoutMs);
    if (format) this.#arena.format();
    this.id = ctrl[H_STORE_ID]!;
    this.holder = holder;
    this.capacity = layout.capUnits * UNIT;
    this.inlineThreshold = ctrl[H_INLINE_THRESHOLD]!;
    this.#putTimeoutMs = ctrl[H_PUT_TIMEOUT_MS]!;
    this.#registry = new FinalizationRegistry((hold) => this.#onViewCollected(hold));
  }

  /** Makes a new arena. Call once, in the thread that starts the runtime (it becomes holder 0). */
  static create(options: ObjectStoreOptions = {}): ObjectStore {
    const defaultCapacity = Math.min(1024 ** 3, Math.floor(totalmem() / 8));
    const capacity = positiveInt('capacity', options.capacity, defaultCapacity, 0x7fffffff * UNIT);
    const capUnits = Math.floor(capacity / UNIT);
    if (capUnits < 1) throw new ObjectStoreConfigError(`capacity must be at least ${UNIT} bytes`, { capacity });
    const maxObjects = positiveInt('maxObjects', options.maxObjects, Math.min(65536, Math.max(1024, Math.ceil(capacity / 32768))), 1 << 24);
    const maxHolders = positiveInt('maxHolders', options.maxHolders, DEFAULT_MAX_HOLDERS, 4096);
    if (maxObjects < 1 || maxHolders < 1) throw new ObjectStoreConfigError('maxObjects and maxHolders must be at least 1', { maxObjects, maxHolders });
    const inlineThreshold = positiveInt('inlineThreshold', options.inlineThreshold, DEFAULT_INLINE_THRESHOLD, 0x7fffffff);
    const putTimeoutMs = positiveInt('putTimeoutMs', options.putTimeoutMs, DEFAULT_PUT_TIMEOUT_MS, 0x7fffffff);
    const lockTimeoutMs = positiveInt('lockTimeoutMs', options.lockTimeoutMs, DEFAULT_LOCK_TIMEOUT_MS, 0x7fffffff);
    const layout = computeLayout(capUnits, maxObjects, maxHolders);
    const control = new SharedArrayBuffer(layout.totalBytes);
    const data = new SharedArrayBuffer(capUnits * UNIT);
    const ctrl = new Int32Array(control);
    let id = 0;
    while (id === 0) id = crypto.getRandomValues(new Int32Array(1))[0]!;
    ctrl[H_MAGIC] = MAGIC;
    ctrl[H_VERSION] = VERSION;
    ctrl[H_STORE_ID] = id;
    ctrl[H_CAP_UNITS] = capUnits;
    ctrl[H_MAX_OBJECTS] = maxObjects;
    ctrl[H_MAX_HOLDERS] = maxHolders;
    ctrl[H_INLINE_THRESHOLD] = inlineThreshold;
    ctrl[H_PUT_TIMEOUT_MS] = putTimeoutMs;
    return new ObjectStore(control, data, 0, lockTimeoutMs, true);
  }

  /** The same store in another thread (an actor worker or a task worker). */
  static attach(share: ObjectStoreShare, options: AttachOptions): ObjectStore {
    if (
      typeof share !== 'object' || share === null || share.kind !== 'troupe.object-store' ||
      !(share.control instanceof SharedArrayBuffer) || !(share.data instanceof SharedArrayBuffer)
    ) {
      throw new ObjectStoreConfigError('attach() takes the descriptor returned by store.share(), passed unchanged (for instance in workerData)', {});
    }
    const header = new Int32Array(share.control, 0, 8);
    if (header[H_MAGIC] !== MAGIC || header[H_VERSION] !== VERSION || share.version !== VERSION) {
      throw new ObjectStoreConfigError(`the share is not an object store of version ${VERSION}: both threads must load the same troupe`, {});
    }
    if (typeof options !== 'object' || options === null) {
      throw new ObjectStoreConfigError('attach() needs { holder }: the id the runtime gave this thread', {});
    }
    const lockTimeoutMs = positiveInt('lockTimeoutMs', options.lockTimeoutMs, DEFAULT_LOCK_TIMEOUT_MS, 0x7fffffff);
    return new ObjectStore(share.control, share.data, options.holder, lockTimeoutMs, false);
  }

  share(): ObjectStoreShare {
    return { kind: 'troupe.object-store', version: VERSION, control: this.#control, data: this.#data };
  }

  /** Copies a typed array (or ArrayBuffer bytes) into the arena; waits up to timeoutMs for room. */
  async put(data: ArrayBufferView | ArrayBuffer, options: PutOptions = {}): Promise<ObjectRef> {
    const { dtype, shape, bytes } = this.#describeArray(data);
    const known = this.#reuse(data, options);
    if (known) return known;
    const { ref, view } = await this.#allocateWaiting(dtype, shape, options);
    new Uint8Array(view.buffer, view.byteOffset, ref.length).set(bytes);
    return ref;
  }

  /** Like put, but never waits: throws ObjectStoreFullError at once when there is no room. */
  putSync(data: ArrayBufferView | ArrayBuffer, options: PutOptions = {}): ObjectRef {
    const { dtype, shape, bytes } = this.#describeArray(data);
    const known = this.#reuse(data, options);
    if (known) return known;
    const { ref, view } = this.#allocateNow(dtype, shape, options, true)!;
    new Uint8Array(view.buffer, view.byteOffset, ref.length).set(bytes);
    return ref;
  }

  /** Stores a tensor (troupe's { dtype, shape, data } or an onnxruntime Tensor); the ref carries dtype and shape. */
  async putTensor(tensor: TensorInput, options: PutOptions = {}): Promise<ObjectRef> {
    const t = normalizeTensor(tensor);
    const known = this.#reuse(t.data, options, t.shape);
    if (known) return known;
    const { ref, view } = await this.#allocateWaiting(t.dtype, t.shape, options);
    view.set(t.data as never);
    return ref;
  }

  putTensorSync(tensor: TensorInput, options: PutOptions = {}): ObjectRef {
    const t = normalizeTensor(tensor);
    const known = this.#reuse(t.data, options, t.shape);
    if (known) return known;
    const { ref, view } = this.#allocateNow(t.dtype, t.shape, options, true)!;
    view.set(t.data as never);
    return ref;
  }

  /**
   * Reserves a tensor in the arena and returns a writable view over it, so a producer can write its result
   * in place (no copy at all). The caller holds the ref; `data` is a borrowed view.
   */
  async allocate(dtype: Dtype, shape: readonly number[], options: PutOptions = {}): Promise<{ ref: ObjectRef; data: TypedArray }> {
    const { ref, view } = await this.#allocateWaiting(dtype, shape, options);
    this.#track(view, ref, false);
    return { ref, data: view };
  }

  allocateSync(dtype: Dtype, shape: readonly number[], options: PutOptions = {}): { ref: ObjectRef; data: TypedArray } {
    const { ref, view } = this.#allocateNow(dtype, shape, options, true)!;
    this.#track(view, ref, false);
    return { ref, data: view };
  }

  /** A view on the object's memory (no copy), valid while some holder holds the ref. */
  get(ref: ObjectRef): TypedArray {
    const r = this.#own(ref);
    const view = this.#view(r);
    this.#track(view, r, false);
    return view;
  }

  /**
   * A view that owns one of this thread's holds on the ref: the hold is dropped by `release(view)` or, as a
   * safety net, when the view is garbage-collected. Use it where the ref itself is then forgotten (a runtime
   * decoding arguments into typed arrays).
   */
  take(ref: ObjectRef): TypedArray {
    const r = this.#own(ref);
    const claim = claimOf(r);
    const held = this.#arena.holdCount(claim, this.holder);
    if (held === 0) {
      throw new ObjectNotHeldError(`take() needs a hold of this thread (holder ${this.holder}) on object ${r.id}: retain the ref for this holder before sending it`, { id: r.id, holder: this.holder });
    }
    const view = this.#view(r);
    this.#track(view, r, true);
    return view;
  }

  /**
   * Takes over one hold that holder `from` made for this thread (a ref that arrived in a message) and
   * returns a view owning it, as take() does. Fails with a clear error if `from` no longer holds it.
   */
  adopt(ref: ObjectRef, from: number): TypedArray {
    const r = this.#own(ref);
    this.#arena.move(claimOf(r), from, this.holder);
    const view = this.#view(r);
    this.#track(view, r, true, true);
    noteAdopted(view.byteLength, this.capacity);
    return view;
  }

  getTensor(ref: ObjectRef): Tensor {
    const r = this.#own(ref);
    return { dtype: r.dtype, shape: r.shape, data: this.get(r) as TensorData };
  }

  takeTensor(ref: ObjectRef): Tensor {
    const r = this.#own(ref);
    return { dtype: r.dtype, shape: r.shape, data: this.take(r) as TensorData };
  }

  /** The ref behind a view this thread got from get/take/allocate, or undefined. */
  refOf(view: object): ObjectRef | undefined {
    return viewInfo(view)?.ref;
  }

  /** Adds a hold for `holder` (default: this thread). Call it before sending a ref to another thread. */
  retain(ref: ObjectRef, holder: number = this.holder, count = 1): void {
    const r = this.#own(ref);
    if (!Number.isInteger(count) || count < 1) throw new ObjectStoreConfigError(`retain count must be a positive integer, got ${String(count)}`, { count });
    this.#arena.retain(claimOf(r), holder, count);
  }

  /**
   * Drops one hold of `holder` (default: this thread). Given a view from `take`, drops the hold that view
   * owns. The object is freed when no holder is left.
   */
  release(refOrView: ObjectRef | ArrayBufferView, holder: number = this.holder): void {
    this.#open();
    if (ArrayBuffer.isView(refOrView)) {
      const info = viewInfo(refOrView);
      if (!info) throw new InvalidObjectRefError('this view did not come from this store in this thread (get, take or allocate): release its ref instead', {});
      if (info.owned) {
        info.owned = false;
        this.#registry.unregister(info.token);
        this.#arena.release(claimOf(info.ref), this.holder, 1);
        if (info.adopted) noteReleased(refOrView.byteLength);
        return;
      }
      this.#arena.release(claimOf(info.ref), holder, 1);
      return;
    }
    const r = this.#own(refOrView);
    this.#arena.release(claimOf(r), holder, 1);
  }

  /**
   * Drops every hold of a holder whose thread died or ended, computed from shared memory. Call it from the
   * thread that saw the exit. If the dead thread died inside the store, its lock is broken and the
   * allocator rebuilt.
   */
  releaseHolder(holder: number): { objects: number; holds: number; freed: number; recovered: boolean } {
    this.#open();
    return this.#arena.releaseHolder(holder);
  }

  /** Holds on a live object: of one holder, or of all when `holder` is left out. */
  holdCount(ref: ObjectRef, holder?: number): number {
    const r = this.#own(ref);
    return this.#arena.holdCount(claimOf(r), holder);
  }

  /**
   * A typed array over a plain ArrayBuffer for libraries that refuse SharedArrayBuffer memory
   * (onnxruntime-node): an alias of the arena when the native addon provides one, else a copy.
   */
  ortCompatibleView(ref: ObjectRef): OrtCompatibleView {
    const plain = this.plainView(ref);
    if (plain) return { data: plain, zeroCopy: true, reason: nativeAliasStatus() };
    const view = this.#view(this.#own(ref));
    const copy = new (view.constructor as new (n: number) => TypedArray)(view.length);
    copy.set(view as never);
    return { data: copy, zeroCopy: false, reason: `copied: ${nativeAliasStatus()}` };
  }

  /**
   * The object's memory through an ordinary ArrayBuffer (an alias of the whole arena, made once per thread by
   * the native addon), or undefined without the addon. Copies into it run at memcpy speed: V8 copies into
   * shared memory at an odd offset byte by byte.
   */
  plainView(ref: ObjectRef): TypedArray | undefined {
    const r = this.#own(ref);
    const alias = nativeAlias();
    if (!alias) return undefined;
    const { ctor } = dtypeInfo(r.dtype);
    return new ctor(alias(this.#data), r.offset, r.length / ctor.BYTES_PER_ELEMENT);
  }

  stats(): ObjectStoreStats {
    const c = this.#ctrl;
    const used = Atomics.load(c, H_USED_UNITS) * UNIT;
    return {
      capacity: this.capacity,
      used,
      free: this.capacity - used,
      peak: Atomics.load(c, H_PEAK_UNITS) * UNIT,
      largestFree: this.#arena.largestFreeBytes(),
      freeBlocks: this.#arena.freeBlocks(),
      objects: Atomics.load(c, H_OBJECTS),
      peakObjects: Atomics.load(c, H_PEAK_OBJECTS),
      maxObjects: this.#arena.layout.maxObjects,
      puts: Atomics.load(c, H_PUTS),
      frees: Atomics.load(c, H_FREES),
      failedPuts: Atomics.load(c, H_FAILED_PUTS),
      gcReleases: Atomics.load(c, H_GC_RELEASES),
      holderReleases: Atomics.load(c, H_HOLDER_RELEASES),
      recoveries: Atomics.load(c, H_RECOVERIES),
    };
  }

  /**
   * Detaches this thread: drops every hold this holder has (views it made may then see reused memory) and
   * stops the GC safety net. The arena itself lives while any thread references its buffers.
   */
  close(): void {
    if (this.#closed) return;
    this.#arena.releaseHolder(this.holder);
    this.#closed = true;
  }

  get closed(): boolean {
    return this.#closed;
  }

  #open(): void {
    if (this.#closed) throw new ObjectStoreConfigError('this object store was closed in this thread: attach again to use it', {});
  }

  #own(ref: ObjectRef): ObjectRef {
    this.#open();
    const r = asObjectRef(ref);
    if (r.store !== this.id) {
      throw new ForeignObjectRefError(
        `object ref belongs to store ${r.store}, not to this store ${this.id}: refs cannot cross runtimes (or a store that was recreated)`,
        { refStore: r.store, store: this.id },
      );
    }
    return r;
  }

  #view(ref: ObjectRef): TypedArray {
    const { byteOffset, length } = this.#arena.check(claimOf(ref));
    const { ctor } = dtypeInfo(ref.dtype);
    return new ctor(this.#data, byteOffset, length / ctor.BYTES_PER_ELEMENT);
  }

  #track(view: TypedArray, ref: ObjectRef, owned: boolean, adopted = false): void {
    const token = {};
    (view as { [kView]?: ViewInfo })[kView] = { ref, owned, token, adopted };
    if (owned) this.#registry.register(view, { claim: claimOf(ref), holder: this.holder }, token);
  }

  #onViewCollected(hold: GcHold): void {
    if (this.#closed) return;
    try {
      this.#arena.release(hold.claim, hold.holder, 1);
      Atomics.add(this.#ctrl, H_GC_RELEASES, 1);
    } catch {
      // Already gone (releaseHolder, or a recovery): nothing left to drop.
    }
  }

  // A view this thread got from the store, covering a whole object: hand out the same object with one more hold.
  #reuse(data: ArrayBufferView | ArrayBuffer, options: PutOptions, shape?: readonly number[]): ObjectRef | undefined {
    this.#open();
    if (!ArrayBuffer.isView(data)) return undefined;
    const info = viewInfo(data);
    if (!info || info.ref.store !== this.id) return undefined;
    this.retain(info.ref, options.holder ?? this.holder);
    if (shape && (shape.length !== info.ref.shape.length || shape.some((d, i) => d !== info.ref.shape[i]))) {
      return makeRef(info.ref.store, info.ref.id, info.ref.gen, info.ref.offset, info.ref.length, info.ref.dtype, shape);
    }
    return info.ref;
  }

  #describeArray(data: ArrayBufferView | ArrayBuffer): { dtype: Dtype; shape: number[]; bytes: Uint8Array } {
    if (data instanceof ArrayBuffer || data instanceof SharedArrayBuffer) {
      return { dtype: 'uint8', shape: [data.byteLength], bytes: new Uint8Array(data) };
    }
    if (!ArrayBuffer.isView(data)) {
      throw new InvalidTensorError('put() takes a typed array, a DataView or an ArrayBuffer; use putTensor() for { dtype, shape, data }', { type: typeof data });
    }
    const dtype = dtypeOfArray(data);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return { dtype, shape: [data.byteLength / dtypeInfo(dtype).bytes], bytes };
  }

  #prepare(dtype: Dtype, shape: readonly number[], options: PutOptions) {
    this.#open();
    if (!isDtype(dtype)) dtypeInfo(dtype);
    const bytes = shapeSize(shape) * dtypeInfo(dtype).bytes;
    if (bytes > MAX_OBJECT_BYTES) {
      throw new InvalidTensorError(`one object holds at most ${MAX_OBJECT_BYTES} bytes; ${dtype} ${JSON.stringify(shape)} needs ${bytes}`, { bytes });
    }
    const holder = options.holder ?? this.holder;
    return { bytes, holder, code: dtypeInfo(dtype).code };
  }

  // Returns null when there is no room and `throwIfFull` is false.
  #allocateNow(dtype: Dtype, shape: readonly number[], options: PutOptions, throwIfFull: boolean): { ref: ObjectRef; view: TypedArray } | null {
    const { bytes, holder, code } = this.#prepare(dtype, shape, options);
    if (bytes > this.capacity) throw this.#full(bytes, 'too-large');
    const got = this.#arena.allocate(bytes, code, holder);
    if (typeof got === 'string') {
      if (throwIfFull) throw this.#full(bytes, got);
      return null;
    }
    const ref = makeRef(this.id, got.slot, got.gen, got.byteOffset, bytes, dtype, shape);
    const { ctor } = dtypeInfo(dtype);
    return { ref, view: new ctor(this.#data, got.byteOffset, bytes / ctor.BYTES_PER_ELEMENT) };
  }

  async #allocateWaiting(dtype: Dtype, shape: readonly number[], options: PutOptions): Promise<{ ref: ObjectRef; view: TypedArray }> {
    const timeoutMs = positiveInt('timeoutMs', options.timeoutMs, this.#putTimeoutMs, 0x7fffffff);
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      // Read the free counter before trying, so a free between the try and the wait is not missed.
      const seq = Atomics.load(this.#ctrl, H_FREE_SEQ);
      const got = this.#allocateNow(dtype, shape, options, false);
      if (got) return got;
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        const { bytes } = this.#prepare(dtype, shape, options);
        throw this.#full(bytes, this.#arena.layout.maxObjects <= Atomics.load(this.#ctrl, H_OBJECTS) ? 'objects' : 'space', timeoutMs);
      }
      const wait = waitAsync(this.#ctrl, H_FREE_SEQ, seq, remaining);
      if (wait.async) {
        // A pending waitAsync does not keep Node's event loop alive; the timer does, until the wait ends.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([wait.value, new Promise((resolve) => { timer = setTimeout(resolve, remaining); })]);
        clearTimeout(timer);
      }
    }
  }

  #full(requested: number, reason: string, waitedMs = 0): ObjectStoreFullError {
    Atomics.add(this.#ctrl, H_FAILED_PUTS, 1);
    const used = Atomics.load(this.#ctrl, H_USED_UNITS) * UNIT;
    const free = this.capacity - used;
    const largestFree = this.#arena.largestFreeBytes();
    const objects = Atomics.load(this.#ctrl, H_OBJECTS);
    const why =
      reason === 'too-large' ? `it is larger than the whole arena; create the store with a larger capacity` :
      reason === 'objects' ? `all ${this.#arena.layout.maxObjects} object slots are in use${waitedMs ? ` after waiting ${waitedMs} ms` : ''}; release refs or raise maxObjects` :
      `${free} bytes are free (largest free block ${largestFree})${waitedMs ? ` after waiting ${waitedMs} ms for frees` : ''}; release refs sooner, raise capacity, or lower the inline threshold`;
    return new ObjectStoreFullError(
      `object store cannot hold ${requested} more bytes (capacity ${this.capacity}): ${why}`,
      { requested, free, capacity: this.capacity, largestFree, objects, reason },
    );
  }
}

function normalizeTensor(tensor: TensorInput): { dtype: Dtype; shape: readonly number[]; data: TypedArray } {
  if (typeof tensor !== 'object' || tensor === null) {
    throw new InvalidTensorError('a tensor is { dtype, shape, data } (or an onnxruntime Tensor { type, dims, data })', {});
  }
  const t = tensor as { dtype?: unknown; type?: unknown; shape?: unknown; dims?: unknown; data?: unknown };
  const dtype = (t.dtype ?? t.type) as Dtype;
  const shape = (t.shape ?? t.dims) as readonly number[];
  const data = t.data;
  const info = dtypeInfo(dtype);
  if (!ArrayBuffer.isView(data) || data instanceof DataView) {
    throw new InvalidTensorError(`tensor data must be a typed array (${info.ctor.name} for ${dtype})`, { dtype });
  }
  const okClass = data instanceof info.ctor || (dtype === 'uint8' && data instanceof Uint8ClampedArray);
  if (!okClass) {
    throw new InvalidTensorError(`tensor dtype ${dtype} needs a ${info.ctor.name}, got a ${data.constructor.name}`, { dtype, got: data.constructor.name });
  }
  const elements = shapeSize(shape);
  if (elements * info.bytes !== data.byteLength) {
    throw new InvalidTensorError(
      `tensor shape ${JSON.stringify(shape)} of ${dtype} needs ${elements} elements but data has ${data.byteLength / info.bytes}`,
      { dtype, shape, elements: data.byteLength / info.bytes },
    );
  }
  return { dtype, shape, data: data as TypedArray };
}
