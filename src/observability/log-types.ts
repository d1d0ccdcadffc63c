// The shapes of troupe's logging that other layers name: the HTTP access entry and the proxy's logger interface.

export interface AccessLogEntry {
  time: string;
  requestId: string;
  app: string | undefined;
  deployment: string | undefined;
  replica: string | undefined;
  method: string;
  path: string;
  status: number;
  latencyMs: number;
  /** The request's x-troupe-model-id (a multiplexed model); only present when the request had one. */
  modelId?: string;
  /** The request's W3C trace id (from its traceparent, or made for it); absent for lines without one. */
  traceId?: string;
}

export interface HttpLogger {
  access(entry: AccessLogEntry): void;
  error(message: string, fields: Record<string, unknown>): void;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
export type LogFormat = 'json' | 'text';
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'text'];
