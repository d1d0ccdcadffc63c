// The default logger: one JSON line per request on stdout, errors (with stacks) on stderr.
// Access lines are buffered and written once per turn of the event loop (or every 64 KiB): a write to a pipe
// or file is synchronous in Node, and one per request cost more than the request.
import type { AccessLogEntry, HttpLogger } from './types.ts';

const FLUSH_AT = 64 * 1024;
let buffered = '';
let scheduled = false;
let hooked = false;

function flush(): void {
  scheduled = false;
  if (buffered.length === 0) return;
  const out = buffered;
  buffered = '';
  process.stdout.write(out);
}

export const jsonLinesLogger: HttpLogger = {
  access(entry: AccessLogEntry): void {
    buffered += JSON.stringify({ level: 'info', msg: 'access', ...entry }) + '\n';
    if (buffered.length >= FLUSH_AT) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush).unref();
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
