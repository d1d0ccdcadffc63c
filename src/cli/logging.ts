// The config's `logging` section: the process's log format and level (src/observability/, which every thread's
// logger follows) and the HTTP proxy's access log. Unset, the format is text on a terminal and JSON otherwise.
import { configureLogging, httpLogger as accessLogger, textLinesLogger, type HttpLogger } from '../observability/index.ts';
import type { LoggingConfig } from '../config/index.ts';

export function httpLogger(logging: LoggingConfig = {}): HttpLogger {
  configureLogging({ format: logging.encoding, level: logging.level, accessLog: logging.accessLog });
  return accessLogger({ format: logging.encoding, level: logging.level, accessLog: logging.accessLog });
}

/** One readable line a request (the proxy's text access log). */
export const textLogger = textLinesLogger;
