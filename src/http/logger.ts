// The default logger: one JSON line per request on stdout, errors (with stacks) on stderr.
import type { AccessLogEntry, HttpLogger } from './types.ts';

export const jsonLinesLogger: HttpLogger = {
  access(entry: AccessLogEntry): void {
    process.stdout.write(JSON.stringify({ level: 'info', msg: 'access', ...entry }) + '\n');
  },
  error(message: string, fields: Record<string, unknown>): void {
    process.stderr.write(JSON.stringify({ level: 'error', time: new Date().toISOString(), msg: message, ...fields }) + '\n');
  },
};

export const silentLogger: HttpLogger = {
  access() {},
  error() {},
};
