// The one place that finds and loads the .node binary, and the type of its surface.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeMissingError } from './errors.ts';
import type { TensorData } from './tensor.ts';
import type { DeviceInfo } from './types.ts';

export interface RawTensor {
  dtype: string;
  shape: number[];
  data: TensorData;
}

export interface NativeSlotStats {
  id: number;
  device: number;
  bytes: number;
  used: number;
  largestFree: number;
  buffers: number;
  released: boolean;
}

export interface NativeSlotBuffer {
  readonly byteLength: number;
  readonly freed: boolean;
  readonly address: bigint;
  readonly device: number;
  readonly slot: NativeSlot;
  write(source: ArrayBufferView | ArrayBufferLike, byteOffset: number): Promise<void>;
  read(target: ArrayBufferView | ArrayBufferLike, byteOffset: number): Promise<void>;
  hostView(): ArrayBuffer;
  free(): void;
}

export interface NativeSlot {
  readonly id: number;
  readonly device: number;
  readonly bytes: number;
  readonly released: boolean;
  alloc(bytes: number): NativeSlotBuffer;
  release(): void;
  stats(): NativeSlotStats;
  gather(tensors: RawTensor[], target: number[], rows: number, padBits: bigint): Promise<NativeSlotBuffer>;
}

export interface NativePoolStats {
  device: number;
  bytes: number;
  used: number;
  largestFree: number;
  slots: number;
}

export interface NativeBinding {
  abiVersion: number;
  cudaCompiled: boolean;
  hostDevice: number;
  devices(): DeviceInfo[];
  diagnostic(): string;
  reservePool(device: number, bytes: number): number;
  closePool(device: number): boolean;
  poolStats(): NativePoolStats[];
  acquireSlot(device: number, bytes: number, fraction: number): NativeSlot;
  ownedSlots(): number;
  measureCopyBandwidth(device: number, bytes: number, iterations: number, toDevice: boolean): number;
  gather(tensors: RawTensor[], out: TensorData, target: number[], rows: number, padBits: bigint): void;
  gatherAsync(tensors: RawTensor[], out: TensorData, target: number[], rows: number, padBits: bigint): Promise<void>;
  scatterCrop(batch: TensorData, row: number[], elemSize: number, items: { index: number; crop: number[]; out: TensorData }[]): void;
  aliasArrayBuffer(view: Uint8Array, owner: object): ArrayBuffer;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Where the binary is looked for: $TROUPE_NATIVE_PATH alone when set, else build/Release (what `npm run build:native`
 * writes: a local build, CUDA included, wins), then the package's prebuilt binary for this platform.
 */
export function nativeCandidates(): string[] {
  if (process.env.TROUPE_NATIVE_PATH) return [resolve(process.env.TROUPE_NATIVE_PATH)];
  return [
    join(root, 'build', 'Release', 'troupe_native.node'),
    join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'troupe_native.node'),
  ];
}

let cached: NativeBinding | undefined;
let failure: Error | undefined;

function tryLoad(): NativeBinding | undefined {
  if (cached) return cached;
  if (failure) return undefined;
  const require = createRequire(import.meta.url);
  const tried: string[] = [];
  for (const file of nativeCandidates()) {
    if (!existsSync(file)) {
      tried.push(`${file} (missing)`);
      continue;
    }
    try {
      cached = require(file) as NativeBinding;
      return cached;
    } catch (err) {
      failure = new NativeMissingError(
        `the native addon at ${file} does not load (${(err as Error).message}): rebuild it with \`npm run build:native\``,
        { cause: err, details: { path: file } },
      );
      return undefined;
    }
  }
  failure = new NativeMissingError(
    `the native addon is not built (looked for ${tried.join(', ')}): run \`npm run build:native\``,
    { details: { tried } },
  );
  return undefined;
}

/** True when the binary is present and loads. */
export function nativeAvailable(): boolean {
  return tryLoad() !== undefined;
}

/** The loaded addon; throws NativeMissingError (TROUPE_ERR_NATIVE_MISSING) naming the command that builds it. */
export function loadNative(): NativeBinding {
  const binding = tryLoad();
  if (!binding) throw failure!;
  return binding;
}

/** Loads a specific binary, bypassing the cache (used to compare builds). */
export function loadNativeFrom(file: string): NativeBinding {
  return createRequire(import.meta.url)(resolve(file)) as NativeBinding;
}
