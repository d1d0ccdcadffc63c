// Optional link to the native addon's `aliasArrayBuffer`: an ordinary ArrayBuffer over arena memory, which
// libraries that refuse SharedArrayBuffer-backed arrays (onnxruntime-node) accept. Loaded once per thread;
// when the addon is not built the store falls back to copying and says so.

export type AliasFn = (sab: SharedArrayBuffer, byteOffset: number, byteLength: number) => ArrayBuffer;

let alias: AliasFn | null = null;
let reason = 'not loaded';

try {
  // A computed specifier: the addon module may not exist in every checkout, and that is not an error.
  const spec = new URL('../native/index.ts', import.meta.url).href;
  const native = (await import(spec)) as { aliasArrayBuffer?: unknown };
  if (typeof native.aliasArrayBuffer === 'function') {
    alias = native.aliasArrayBuffer as AliasFn;
    reason = 'native aliasArrayBuffer';
  } else {
    reason = 'src/native has no aliasArrayBuffer';
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
