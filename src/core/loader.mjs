// Which loaders a thread needs before it imports a module. troupe itself runs as compiled JavaScript
// (dist/); a TypeScript loader (tsx) is registered only when a module about to load is TypeScript: a
// user's .ts module, or troupe's own sources when it runs from its repository.
import { register } from 'node:module';

const TYPESCRIPT = /\.[cm]?tsx?$/;
let tsx = false;
let source = false;

/** True for a file path or URL that names a TypeScript module. */
export function isTypeScript(url) {
  return typeof url === 'string' && TYPESCRIPT.test(url.replace(/[?#].*$/, ''));
}

/** Registers tsx in this thread once, when any of `urls` is TypeScript. Resolves to whether tsx is registered. */
export async function typeScriptLoader(...urls) {
  if (tsx || !urls.some(isTypeScript)) return tsx;
  let api;
  try {
    api = await import('tsx/esm/api');
  } catch (err) {
    const error = new Error(`loading TypeScript (${urls.find(isTypeScript)}) needs tsx, which is not installed: run \`npm install tsx\`, or compile the module to JavaScript`, { cause: err });
    error.code = 'TROUPE_ERR_TYPESCRIPT_LOADER';
    throw error;
  }
  api.register();
  tsx = true;
  return true;
}

/** Running troupe from its own sources: `import 'troupe'` (examples, tests) resolves to src/index.ts too. */
export function sourceConditions() {
  if (source) return;
  source = true;
  register(new URL('./source-mode.mjs', import.meta.url));
}
