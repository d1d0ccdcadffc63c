// Execution providers: what a user asks for, turned into ONNX Runtime session
// options. CPU is always there; CUDA only when its provider library was installed
// (`ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node`, with CUDA 12 and
// cuDNN 9 on the machine), which this package cannot do on its own.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ExecutionProviderError } from './errors.ts';

export type ExecutionProviderName = 'cpu' | 'cuda' | 'tensorrt' | 'webgpu';

export type ExecutionProviderSpec = ExecutionProviderName | { name: ExecutionProviderName; deviceId?: number };

export interface ResolvedProvider {
  name: ExecutionProviderName;
  deviceId?: number;
}

const known: readonly ExecutionProviderName[] = ['cpu', 'cuda', 'tensorrt', 'webgpu'];

export function normalizeProviders(specs: readonly ExecutionProviderSpec[] | undefined, defaultDeviceId: number | undefined): ResolvedProvider[] {
  const list = specs && specs.length > 0 ? specs : ['cpu' as const];
  return list.map((spec) => {
    const name = typeof spec === 'string' ? spec : spec?.name;
    if (!known.includes(name as ExecutionProviderName)) {
      throw new ExecutionProviderError(`unknown execution provider ${JSON.stringify(name)}; use one of ${known.join(', ')}`);
    }
    const deviceId = typeof spec === 'object' && spec.deviceId !== undefined ? spec.deviceId : name === 'cpu' ? undefined : defaultDeviceId;
    if (deviceId !== undefined && (!Number.isInteger(deviceId) || deviceId < 0)) {
      throw new ExecutionProviderError(`execution provider ${name}: deviceId must be a non-negative integer, got ${deviceId}`);
    }
    return deviceId === undefined ? { name: name as ExecutionProviderName } : { name: name as ExecutionProviderName, deviceId };
  });
}

/** ORT's ExecutionProviderConfig, spelled here: troupe's declarations must not need onnxruntime-node (an optional peer). */
export type OrtProviderConfig = ExecutionProviderName | { name: ExecutionProviderName; deviceId: number };

export function toOrtProviders(list: readonly ResolvedProvider[]): OrtProviderConfig[] {
  return list.map((p) => (p.deviceId === undefined ? p.name : { name: p.name, deviceId: p.deviceId }));
}

export function wantsAccelerator(list: readonly ResolvedProvider[]): boolean {
  return list.some((p) => p.name !== 'cpu');
}

export const cudaInstallHint =
  'install the CUDA provider with `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node` (needs CUDA 12 and cuDNN 9), ' +
  'or pass fallbackToCpu: true to run on the CPU when it is missing';

// Provider libraries that onnxruntime-node does not bundle; without them ORT fails to append the provider.
const providerLibraries: Partial<Record<ExecutionProviderName, string>> = {
  cuda: 'libonnxruntime_providers_cuda',
  tensorrt: 'libonnxruntime_providers_tensorrt',
};

/**
 * Why a provider cannot load in this installation, or undefined when it may. Checked before ORT is
 * asked, so a missing CUDA install is a clear error rather than a native log line.
 */
export function missingProviderReason(provider: ExecutionProviderName): string | undefined {
  const lib = providerLibraries[provider];
  if (!lib) return undefined;
  let binDir: string;
  try {
    const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
    binDir = join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return undefined;
  }
  const file = process.platform === 'win32' ? `${lib.replace(/^lib/, '')}.dll` : `${lib}.so`;
  return existsSync(join(binDir, file)) ? undefined : `${file} is not installed in ${binDir}`;
}
