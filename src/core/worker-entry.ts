// Worker threads start from a file beside this one: the .ts sources when troupe runs from its repository,
// the compiled .js in dist/ otherwise (a URL built at run time is not rewritten by the compiler).
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** file: URL of a troupe module in src/core (or dist/core), by base name. */
export function coreModule(base: string): string {
  return new URL(`./${base}${ext}`, import.meta.url).href;
}

/** file: URL of a troupe module by path relative to src/ (or dist/), without extension. */
export function troupeModule(path: string): string {
  return new URL(`../${path}${ext}`, import.meta.url).href;
}

/** Registers a TypeScript loader (tsx) in this thread when `url` is TypeScript and troupe runs compiled. */
export async function loaderFor(url: string): Promise<void> {
  if (ext === '.ts') return; // running from sources: this thread already loads TypeScript
  const { typeScriptLoader } = await import('./loader.mjs');
  await typeScriptLoader(url);
}
