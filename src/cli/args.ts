// Flags of every command, parsed by node:util parseArgs in strict mode: an unknown flag, a flag without its
// value or an extra argument is a usage error (exit code 2) that says what was meant.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closest } from '../config/index.ts';

/** Exit codes scripts can rely on. */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** The command was understood but failed: invalid config, no server answering, a rejected deploy, a start that failed. */
  failure: 1,
  /** The command line itself is wrong: unknown command or flag, a missing or malformed value. */
  usage: 2,
  /** `troupe run` stopped, but requests still in flight at its --graceful-timeout were cancelled (503), or the
   *  stop itself passed the deadline. */
  dropped: 3,
} as const;

/** A duration in seconds from a flag: a positive number, else a usage error. */
export function secondsValue(command: string, what: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
  if (!(n > 0)) throw new UsageError(command, `${what} must be a positive number of seconds, got "${value}"`);
  return n;
}

export class UsageError extends Error {
  constructor(readonly command: string, message: string) {
    super(message);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed<V> {
  values: V;
  positionals: string[];
}

/** Parses `argv` for `command`; throws UsageError with a suggestion for what was probably meant. */
export function parse<V = Record<string, string | boolean | undefined>>(command: string, argv: string[], options: Options): Parsed<V> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    return { values: values as V, positionals };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const message = e.message ?? String(err);
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const flag = /Unknown option '([^']+)'/.exec(message)?.[1] ?? message;
      const names = Object.keys(options);
      const guess = closest(flag.replace(/^-+/, '').split('=')[0]!, names);
      throw new UsageError(command, `unknown option ${flag}${guess ? `; did you mean --${guess}?` : ''}`);
    }
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      // "Option '-o, --output <value>' argument missing", "Option '--port' argument is ambiguous..."
      const flag = /Option '(?:-\w, )?(--[\w-]+)/.exec(message)?.[1];
      if (flag && /argument missing|ambiguous/.test(message)) throw new UsageError(command, `${flag} needs a value (${flag} <value> or ${flag}=<value>)`);
      throw new UsageError(command, message.split('\n', 1)[0]!);
    }
    throw new UsageError(command, message.split('\n', 1)[0]!);
  }
}

/** A port from a flag or the environment: an integer 0-65535, else a usage error naming where it came from. */
export function portValue(command: string, what: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(command, `${what} must be an integer from 0 to 65535, got "${value}"`);
  return n;
}
