// troupe's logger: pino, one root per thread. JSON lines when asked (TROUPE_LOG_FORMAT=json, `logging.encoding`,
// `--log-format json`), readable text otherwise on a terminal; a level per process (TROUPE_LOG_LEVEL) and per
// deployment (its `logLevel`, applied in its replicas). Lines carry the request and trace ids of the call being
// served (mixin) and, in a replica, its application, deployment and replica (bindings set at its start).
import { format as formatArgs } from 'node:util';
import { createRequire } from 'node:module';
import type { Logger as PinoLogger } from 'pino';
import { LoggingOptionError } from './log-errors.ts';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './log-types.ts';
import { carrierRequestId, carrierTraceId, currentCarrier } from './trace.ts';

export type Logger = PinoLogger;

export interface LoggingSettings {
  level: LogLevel;
  format: LogFormat;
  /** The HTTP proxy's access line, one per request. */
  accessLog: boolean;
}

function fromEnv<T extends string>(name: string, allowed: readonly T[]): T | undefined {
  const v = process.env[name]?.trim().toLowerCase();
  return v !== undefined && (allowed as readonly string[]).includes(v) ? (v as T) : undefined;
}

let settings: LoggingSettings = {
  level: fromEnv('TROUPE_LOG_LEVEL', LOG_LEVELS) ?? 'info',
  format: fromEnv('TROUPE_LOG_FORMAT', LOG_FORMATS) ?? (process.stdout.isTTY ? 'text' : 'json'),
  accessLog: process.env.TROUPE_ACCESS_LOG !== '0',
};

export function checkLevel(level: unknown, what = 'the log level'): LogLevel {
  if (typeof level !== 'string' || !(LOG_LEVELS as readonly string[]).includes(level)) throw new LoggingOptionError(what, level, LOG_LEVELS);
  return level as LogLevel;
}

/** The settings in force on this thread. */
export function loggingSettings(): Readonly<LoggingSettings> {
  return settings;
}

/**
 * Sets the process's format, level and access log. Threads started afterwards inherit them (through
 * TROUPE_LOG_* in their environment); a deployment's `logLevel` still wins in its replicas.
 */
export function configureLogging(options: Partial<LoggingSettings>): void {
  const next = { ...settings };
  if (options.level !== undefined) next.level = checkLevel(options.level);
  if (options.format !== undefined) {
    if (!LOG_FORMATS.includes(options.format)) throw new LoggingOptionError('the log format', options.format, LOG_FORMATS);
    next.format = options.format;
  }
  if (options.accessLog !== undefined) next.accessLog = options.accessLog === true;
  settings = next;
  process.env.TROUPE_LOG_LEVEL = next.level;
  process.env.TROUPE_LOG_FORMAT = next.format;
  process.env.TROUPE_ACCESS_LOG = next.accessLog ? '1' : '0';
  if (rootLogger !== undefined) rootLogger.level = threadLevel ?? next.level;
}

// ---- where lines go ----

/** Called before a line is written here, so that buffered access lines go out first (order kept). */
let beforeWrite: () => void = () => {};
/** In a replica thread: where its lines go instead (to the main thread). */
let forward: ((line: string) => void) | undefined;

/** @internal */
export function setBeforeWrite(fn: () => void): void {
  beforeWrite = fn;
}

/** @internal A replica thread sends its lines to the main thread; undefined writes them here again. */
export function setForward(fn: ((line: string) => void) | undefined): void {
  forward = fn;
}

const isErrorLine = (line: string) => line.startsWith('{"level":"error"') || line.startsWith('{"level":"fatal"');

export type LogOutput = (text: string, isError: boolean) => void;
const standardOutput: LogOutput = (text, isError) => {
  if (isError) process.stderr.write(text);
  else process.stdout.write(text);
};
let output = standardOutput;

/** Where this thread's lines are written (default: errors to stderr, the rest to stdout); undefined restores that. */
export function setLogOutput(out: LogOutput | undefined): void {
  output = out ?? standardOutput;
}

/** Writes one JSON line (a pino line) in this process's format. */
export function writeLine(line: string): void {
  beforeWrite();
  output(settings.format === 'text' ? textLine(line) : line, isErrorLine(line));
}

const LEVEL_WIDTH = 5;
const SHOWN_FIRST = new Set(['level', 'time', 'msg', 'stack', 'err']);

/** A pino JSON line as text: `<time> <LEVEL> <msg> key=value ...`, then the stack of an error if any. */
export function textLine(line: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line);
  } catch {
    return line.endsWith('\n') ? line : line + '\n';
  }
  const level = String(rec.level ?? 'info').toUpperCase().padEnd(LEVEL_WIDTH);
  const extra: string[] = [];
  for (const [k, v] of Object.entries(rec)) {
    if (SHOWN_FIRST.has(k) || v === undefined || v === null) continue;
    extra.push(`${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`);
  }
  const err = rec.err as { stack?: unknown } | undefined;
  const stack = typeof rec.stack === 'string' ? rec.stack : typeof err?.stack === 'string' ? err.stack : undefined;
  return `${rec.time ?? ''} ${level} ${rec.msg ?? ''}${extra.length ? ' ' + extra.join(' ') : ''}\n${stack ? stack + '\n' : ''}`;
}

// ---- the root logger ----

/** The request and trace ids of the call being served, on every line written during it (pino merges into the
 *  object returned: a new one each time). */
function traceFields(): object {
  const carrier = currentCarrier();
  return carrier === undefined ? {} : { requestId: carrierRequestId(carrier), traceId: carrierTraceId(carrier) };
}

const destination = {
  write(line: string): void {
    if (forward !== undefined) forward(line);
    else writeLine(line);
  },
};

// pino is loaded on the first line a thread writes: loading it took ~25 ms, which every worker thread (task
// workers, actors that never log) would otherwise pay at start.
let rootLogger: PinoLogger | undefined;
let threadBindings: Record<string, unknown> | undefined;
let threadLevel: LogLevel | undefined;

function root(): PinoLogger {
  if (rootLogger === undefined) {
    const pino = createRequire(import.meta.url)('pino') as typeof import('pino');
    rootLogger = pino(
      {
        level: threadLevel ?? settings.level,
        base: undefined,
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: label => ({ level: label }) },
        mixin: traceFields,
      },
      destination,
    );
    if (threadBindings !== undefined) rootLogger.setBindings(threadBindings);
  }
  return rootLogger;
}

/**
 * troupe's logger for this thread (pino's API: `logger().info({ key: 1 }, 'message')`). Inside a replica its
 * lines carry the application, deployment and replica, and those of a call the request and trace ids; they
 * reach the process's output and the replica's recent lines (GET /api/logs on the admin port).
 * `bindings` give a child logger with those fields on each line.
 */
export function logger(bindings?: Record<string, unknown>): Logger {
  return bindings === undefined ? root() : root().child(bindings);
}

/** @internal Fields every line of this thread carries, and its level (a replica's deployment sets both). */
export function setThreadLogging(bindings: Record<string, unknown>, level: LogLevel | undefined): void {
  threadBindings = bindings;
  threadLevel = level;
  if (rootLogger !== undefined) {
    rootLogger.setBindings(bindings);
    rootLogger.level = level ?? settings.level;
  }
}

// ---- console capture ----

const CONSOLE_LEVELS = { log: 'info', info: 'info', debug: 'debug', warn: 'warn', error: 'error' } as const;
type ConsoleMethod = keyof typeof CONSOLE_LEVELS;
let savedConsole: Partial<Record<ConsoleMethod, (...args: unknown[]) => void>> | undefined;

/** Routes console.log/info/debug/warn/error of this thread through the logger (with its fields). */
export function captureConsole(): void {
  if (savedConsole) return;
  savedConsole = {};
  for (const method of Object.keys(CONSOLE_LEVELS) as ConsoleMethod[]) {
    savedConsole[method] = console[method];
    const level = CONSOLE_LEVELS[method];
    console[method] = (...args: unknown[]) => {
      const log = root();
      if (log.isLevelEnabled(level)) log[level](formatArgs(...args));
    };
  }
}

/** Gives console its own methods back. */
export function releaseConsole(): void {
  if (!savedConsole) return;
  for (const [method, fn] of Object.entries(savedConsole)) (console as any)[method] = fn;
  savedConsole = undefined;
}
