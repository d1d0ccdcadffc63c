// The HTTP proxy's logger: the access line on its measured fast path, error lines through pino.
// JSON access lines are written into a 64 KiB buffer outside the JS heap and handed to stdout every 20 ms (or
// when full): a write to a pipe or file is synchronous in Node, and one per request cost more than the request.
// Lines are written as bytes (log-access-line.ts): no string per line or field lives past the request.
import { accessLineBound, writeAccessLine } from './log-access-line.ts';
import { logger, loggingSettings, setBeforeWrite } from './log.ts';
import type { AccessLogEntry, HttpLogger, LogFormat, LogLevel } from './log-types.ts';

const CHUNK_BYTES = 64 * 1024;
const FLUSH_EVERY_MS = 20;
let chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
let used = 0;
let timer: NodeJS.Timeout | undefined;
let hooked = false;

function flushJson(): void {
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
function appendJson(entry: AccessLogEntry): void {
  const bound = accessLineBound(entry);
  if (used + bound > CHUNK_BYTES) {
    flushJson();
    if (bound > CHUNK_BYTES) {
      const line = Buffer.allocUnsafe(bound);
      process.stdout.write(line.subarray(0, writeAccessLine(line, 0, entry)));
      return;
    }
  }
  used = writeAccessLine(chunk, used, entry);
}

let pendingText: string[] = [];

function flushText(): void {
  if (pendingText.length === 0) return;
  const text = pendingText.join('');
  pendingText = [];
  process.stdout.write(text);
}

function flushAll(): void {
  flushJson();
  flushText();
}

function arm(): void {
  if (timer) return;
  timer = setTimeout(flushAll, FLUSH_EVERY_MS).unref();
  if (!hooked) {
    hooked = true;
    process.once('exit', flushAll); // what the last turn logged is not lost
  }
}

// Any other line written here first lets the buffered access lines out: the output keeps the order of events.
setBeforeWrite(flushAll);

function textAccess(e: AccessLogEntry): string {
  const where = [e.app && `app=${e.app}`, e.deployment && `deployment=${e.deployment}`, e.replica && `replica=${e.replica}`, e.modelId && `model=${e.modelId}`]
    .filter(Boolean)
    .join(' ');
  return `${e.time} INFO  ${e.method} ${e.path} ${e.status} ${e.latencyMs.toFixed(1)}ms ${where} request=${e.requestId}${e.traceId ? ` trace=${e.traceId}` : ''}\n`;
}

function logError(message: string, fields: Record<string, unknown>): void {
  logger().error(fields, message);
}

/** Access lines as JSON, on the byte-writing fast path; errors through the process's logger. */
export const jsonLinesLogger: HttpLogger = {
  access(entry: AccessLogEntry): void {
    appendJson(entry);
    if (used > 0) arm();
  },
  error: logError,
};

/** One readable text line per request, gathered and written every 20 ms. */
export const textLinesLogger: HttpLogger = {
  access(entry: AccessLogEntry): void {
    pendingText.push(textAccess(entry));
    arm();
  },
  error: logError,
};

export const silentLogger: HttpLogger = {
  access() {},
  error() {},
};

/** The proxy's default: the access line in the process's format (loggingSettings()), when the access log is on. */
export const defaultHttpLogger: HttpLogger = {
  access(entry: AccessLogEntry): void {
    const s = loggingSettings();
    if (!s.accessLog) return;
    if (s.format === 'json') jsonLinesLogger.access(entry);
    else textLinesLogger.access(entry);
  },
  error: logError,
};

const RANK: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: 100 };

/** A logger for given settings (the config file's `logging` section): access lines only at level info or below. */
export function httpLogger(options: { format?: LogFormat; level?: LogLevel; accessLog?: boolean } = {}): HttpLogger {
  const base = (options.format ?? loggingSettings().format) === 'text' ? textLinesLogger : jsonLinesLogger;
  const s = loggingSettings();
  const access = (options.accessLog ?? s.accessLog) && RANK[options.level ?? s.level] <= RANK.info;
  if (access) return base;
  return { access() {}, error: base.error };
}
