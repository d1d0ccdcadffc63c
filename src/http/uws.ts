// uWebSockets.js loads a native addon when imported: every replica imports this layer through 'troupe' but never
// opens a socket, so the addon loads on the first use instead (a thread's start is on the results page).
import { createRequire } from 'node:module';
import type * as Uws from 'uWebSockets.js';

let loaded: typeof Uws | undefined;

export function uws(): typeof Uws {
  return (loaded ??= createRequire(import.meta.url)('uWebSockets.js') as typeof Uws);
}
