// The config's `logging` section as the HTTP proxy's logger: JSON lines (the proxy's own, unchanged) or one
// readable text line a request; the access log on or off; a level below which nothing is written.
import { jsonLinesLogger, type AccessLogEntry, type HttpLogger } from '../http/index.ts';
import type { LoggingConfig } from '../config/index.ts';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;

export function httpLogger(logging: LoggingConfig = {}): HttpLogger {
  const level = LEVELS[logging.level ?? 'info'];
  const access = (logging.accessLog ?? true) && level <= LEVELS.info;
  const base = logging.encoding === 'text' ? textLogger : jsonLinesLogger;
  if (access) return base;
  return { access() {}, error: (message, fields) => base.error(message, fields) };
}

let pending: string[] = [];
let timer: NodeJS.Timeout | undefined;
let hooked = false;

function flush(): void {
  timer = undefined;
  if (pending.length === 0) return;
  const text = pending.join('');
  pending = [];
  process.stdout.write(text);
}

/** Lines are gathered and written every 20 ms: a synchronous write per request costs more than the request. */
export const textLogger: HttpLogger = {
  access(e: AccessLogEntry) {
    const where = [e.app && `app=${e.app}`, e.deployment && `deployment=${e.deployment}`, e.replica && `replica=${e.replica}`, e.modelId && `model=${e.modelId}`]
      .filter(Boolean)
      .join(' ');
    pending.push(`${e.time} INFO ${e.method} ${e.path} ${e.status} ${e.latencyMs.toFixed(1)}ms ${where} request=${e.requestId}\n`);
    if (!timer) {
      timer = setTimeout(flush, 20).unref();
      if (!hooked) {
        hooked = true;
        process.once('exit', flush); // what the last turn logged is not lost
      }
    }
  },
  error(message, fields) {
    flush();
    const extra = Object.entries(fields)
      .filter(([k]) => k !== 'stack')
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    process.stderr.write(`${new Date().toISOString()} ERROR ${message}${extra ? ` ${extra}` : ''}\n${typeof fields.stack === 'string' ? fields.stack + '\n' : ''}`);
  },
};
