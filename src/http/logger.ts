// The default logger: one JSON line per request on stdout, errors (with stacks) on stderr.
// Access lines are written into a 64 KiB buffer outside the JS heap and handed to stdout every 20 ms (or when
// full): a write to a pipe or file is synchronous in Node, and one per request cost more than the request.
// Lines are written as bytes (access-line.ts): no string per line or field lives past the request.
import { accessLineBound, writeAccessLine } from './access-line.ts';
import type { AccessLogEntry, HttpLogger } from './types.ts';

const CHUNK_BYTES = 64 * 1024;
const FLUSH_EVERY_MS = 20;
let chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
let used = 0;
let timer: NodeJS.Timeout | undefined;
let hooked = false;

function flush(): void {
  if (timer) {
    clearTimeout(timer);
    timer = undefined;
  }
  if (used === 0) return;
  // The written part goes to stdout as it is (no copy); the next lines go into a fresh chunk.
  const out = chunk.subarray(0, used);
  chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  used = 0;
  process.stdout.write(out);
}

/** Appends the entry's line to the chunk (flushing first when it might not fit). */
function append(entry: AccessLogEntry): void {
  const bound = accessLineBound(entry);
  if (used + bound > CHUNK_BYTES) {
    flush();
    if (bound > CHUNK_BYTES) {
      const line = Buffer.allocUnsafe(bound);
      process.stdout.write(line.subarray(0, writeAccessLine(line, 0, entry)));
      return;
    }
  }
  used = writeAccessLine(chunk, used, entry);
}

export const jsonLinesLogger: HttpLogger = {
  access(entry: AccessLogEntry): void {
    append(entry);
    if (!timer && used > 0) {
      timer = setTimeout(flush, FLUSH_EVERY_MS).unref();
      if (!hooked) {
        hooked = true;
        process.once('exit', flush); // what the last turn logged is not lost
      }
    }
  },
  error(message: string, fields: Record<string, unknown>): void {
    flush(); // keep access and error lines in the order they happened
    process.stderr.write(JSON.stringify({ level: 'error', time: new Date().toISOString(), msg: message, ...fields }) + '\n');
  },
};

export const silentLogger: HttpLogger = {
  access() {},
  error() {},
};
