// How the benches start Node for a troupe server: with the flags bin/troupe.js's first line gives Node when
// `troupe run` is run as a command (that file says why), since a bench starts it as `node bin/troupe.js`.
// Read from that line, so the two cannot drift apart.
import { readFileSync } from 'node:fs';

const shebang = readFileSync(new URL('../../bin/troupe.js', import.meta.url), 'utf8').split('\n', 1)[0]!;
export const TROUPE_NODE_FLAGS = shebang.split(/\s+/).filter((word) => word.startsWith('--'));
