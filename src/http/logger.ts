// The default logger: one JSON line per request on stdout, errors (with stacks) on stderr.
// Access lines are buffered and written every 20 ms (or every 64 KiB): a write to a pipe or file is synchronous
// in Node, and one per request cost more than the request.
import type { AccessLogEntry, HttpLogger } from './types.ts';

const FLUSH_AT = 64 * 1024;
const FLUSH_EVERY_MS = 20;
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
    buffered += accessLine(entry);
    if (buffered.length >= FLUSH_AT) flush();
    else if (!scheduled) {
      scheduled = true;
      setTimeout(flush, FLUSH_EVERY_MS).unref();
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

const NEEDS_ESCAPE = /["\\\u0000-\u001f\u007f-\uffff]/;
// Ids, names, methods and most paths need no escaping: quoting them directly is several times cheaper.
const str = (v: string | undefined) => (v === undefined ? 'null' : NEEDS_ESCAPE.test(v) ? JSON.stringify(v) : `"${v}"`);

/** The same JSON as JSON.stringify({ level, msg, ...entry }) would give, without building that object. */
function accessLine(e: AccessLogEntry): string {
  return (
    `{"level":"info","msg":"access","time":"${e.time}","requestId":${str(e.requestId)},"app":${str(e.app)},` +
    `"deployment":${str(e.deployment)},"replica":${str(e.replica)},"method":${str(e.method)},"path":${str(e.path)},` +
    `"status":${e.status},"latencyMs":${e.latencyMs}}\n`
  );
}

export const silentLogger: HttpLogger = {
  access() {},
  error() {},
};
