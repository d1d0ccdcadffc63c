import { isIP } from 'node:net';
import { BenchOptionsError, BenchTargetNotLocalError } from './errors.ts';

export type BodySource = string | Uint8Array | ((index: number) => string | Uint8Array);

/** An HTTP endpoint on this machine. */
export interface HttpTarget {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  /** A fixed body, or a generator called with the request's index. */
  body?: BodySource;
}

/** Any async call, e.g. a troupe handle method; it gets the request's index. */
export type FunctionTarget = (index: number) => Promise<unknown>;

export type LoadTarget = HttpTarget | FunctionTarget;

export interface ResolvedHttpTarget {
  host: string;
  port: number;
  method: string;
  path: string;
  /** Everything but the body, ready to write: request line, Host, user headers. */
  head: string;
  body?: BodySource;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  if (LOOPBACK_NAMES.has(host)) return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

export function resolveHttpTarget(target: HttpTarget): ResolvedHttpTarget {
  let url: URL;
  try {
    url = new URL(target.url);
  } catch (cause) {
    throw new BenchOptionsError(`target url "${target.url}" is not a URL: write it as http://127.0.0.1:PORT/path`, { cause });
  }
  if (url.protocol !== 'http:') {
    throw new BenchOptionsError(`target url must be http:// (got ${url.protocol}); the generator speaks plain HTTP/1.1`);
  }
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  if (!isLoopbackHost(hostname)) throw new BenchTargetNotLocalError(target.url);
  const host = hostname === 'localhost' ? '127.0.0.1' : hostname;
  const port = url.port ? Number(url.port) : 80;
  const method = (target.method ?? 'GET').toUpperCase();
  if (!/^[A-Z]+$/.test(method)) throw new BenchOptionsError(`HTTP method "${target.method}" is not a method name`);
  const path = url.pathname + url.search;
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${url.host}`];
  let hasContentType = false;
  for (const [name, value] of Object.entries(target.headers ?? {})) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(String(value))) {
      throw new BenchOptionsError(`header "${name}" contains a line break`);
    }
    const lower = name.toLowerCase();
    if (lower === 'content-length' || lower === 'host' || lower === 'transfer-encoding') continue; // the client owns these
    if (lower === 'content-type') hasContentType = true;
    lines.push(`${name}: ${value}`);
  }
  if (target.body !== undefined && !hasContentType && typeof target.body === 'string') {
    lines.push('Content-Type: text/plain; charset=utf-8');
  }
  return { host, port, method, path, head: lines.join('\r\n') + '\r\n', body: target.body };
}

/** The request bytes for one request, built once when the body is fixed. */
export function requestEncoder(t: ResolvedHttpTarget): (index: number) => Buffer {
  const encode = (body: string | Uint8Array | undefined): Buffer => {
    if (body === undefined) {
      const needsLength = t.method === 'POST' || t.method === 'PUT' || t.method === 'PATCH';
      return Buffer.from(t.head + (needsLength ? 'Content-Length: 0\r\n' : '') + '\r\n', 'latin1');
    }
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    return Buffer.concat([Buffer.from(`${t.head}Content-Length: ${bytes.length}\r\n\r\n`, 'latin1'), bytes]);
  };
  if (typeof t.body === 'function') {
    const gen = t.body;
    return (i) => encode(gen(i));
  }
  const fixed = encode(t.body);
  return () => fixed;
}
