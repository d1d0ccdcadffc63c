// Optional link to the native addon's `aliasWhole`: an ordinary ArrayBuffer over the whole arena, which
// libraries that refuse SharedArrayBuffer-backed arrays (onnxruntime-node) accept. Loaded once per thread;
// when the addon is not built the store falls back to copying and says so.

export type AliasFn = (sab: SharedArrayBuffer) => ArrayBuffer;

let alias: AliasFn | null = null;
let reason = 'not loaded';

try {
  // A computed specifier: the addon module may not exist in every checkout, and that is not an error.
  const spec = new URL(import.meta.url.endsWith('.ts') ? '../native/index.ts' : '../native/index.js', import.meta.url).href;
  const native = (await import(spec)) as { aliasWhole?: unknown; nativeAvailable?: () => boolean };
  if (native.nativeAvailable && !native.nativeAvailable()) {
    reason = 'the native addon is not built (npm run build:native)';
  } else if (typeof native.aliasWhole === 'function') {
    alias = native.aliasWhole as AliasFn;
    reason = 'native aliasArrayBuffer';
  } else {
    reason = 'src/native has no aliasWhole';
  }
} catch (err) {
  reason = `native addon unavailable: ${(err as Error)?.message?.split('\n')[0] ?? String(err)}`;
}

export function nativeAlias(): AliasFn | null {
  return alias;
}

/** Why aliasing is or is not available in this thread (for reports and stats). */
export function nativeAliasStatus(): string {
  return reason;
}
