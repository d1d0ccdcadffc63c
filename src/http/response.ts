// Turning what a route method returned into status, headers and bytes. `httpResponse()` builds plain data with
// a marker field, so it survives msgpack and structured clone on its way back from a replica.

import { InvalidArgumentError } from '../errors/index.ts';

const MARKER = '__troupeHttpResponse';

export interface HttpResponseInit {
  status?: number;
  headers?: Record<string, string>;
  contentType?: string;
}

export interface HttpResponseValue {
  [MARKER]: 1;
  status: number;
  headers: Record<string, string>;
  contentType?: string;
  body: unknown;
}

/** An explicit response: choose the status, headers and content type of what a route returns. */
export function httpResponse(body: unknown, init: HttpResponseInit = {}): HttpResponseValue {
  const status = init.status ?? 200;
  if (!Number.isInteger(status) || status < 100 || status > 599) throw new InvalidArgumentError(`httpResponse status must be an integer from 100 to 599, got ${String(status)}`);
  const value: HttpResponseValue = { [MARKER]: 1, status, headers: { ...(init.headers ?? {}) }, body };
  if (init.contentType !== undefined) value.contentType = init.contentType;
  return value;
}

export function isHttpResponse(value: unknown): value is HttpResponseValue {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[MARKER] === 1;
}

export interface Encoded {
  status: number;
  contentType: string | undefined;
  headers: Record<string, string> | undefined;
  body: string | Uint8Array;
}

/** JSON by default; bytes → application/octet-stream; a string → text/plain; undefined → 204. */
export function encodeResult(value: unknown): Encoded {
  if (isHttpResponse(value)) {
    const inner = encodeBody(value.body);
    const status = value.body === undefined && value.status === 200 ? 204 : value.status;
    return { status, contentType: value.contentType ?? inner.contentType, headers: value.headers, body: inner.body };
  }
  const { contentType, body } = encodeBody(value);
  return { status: value === undefined ? 204 : 200, contentType, headers: undefined, body };
}

function encodeBody(value: unknown): { contentType: string | undefined; body: string | Uint8Array } {
  if (value === undefined) return { contentType: undefined, body: '' };
  if (typeof value === 'string') return { contentType: 'text/plain; charset=utf-8', body: value };
  if (value instanceof Uint8Array) return { contentType: 'application/octet-stream', body: value };
  if (ArrayBuffer.isView(value)) return { contentType: 'application/octet-stream', body: new Uint8Array(value.buffer, value.byteOffset, value.byteLength) };
  if (value instanceof ArrayBuffer) return { contentType: 'application/octet-stream', body: new Uint8Array(value) };
  return { contentType: 'application/json', body: JSON.stringify(value, jsonReplacer) };
}

/** Values JSON cannot hold get a sensible form instead of a throw: bigint → string, typed arrays → arrays. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  return value;
}

/** One value of a streamed response as bytes: strings and bytes as they are, other values as NDJSON lines. */
export function encodeChunk(value: unknown): string | Uint8Array {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return JSON.stringify(value ?? null, jsonReplacer) + '\n';
}

export function streamContentType(first: unknown): string {
  if (typeof first === 'string') return 'text/plain; charset=utf-8';
  if (ArrayBuffer.isView(first)) return 'application/octet-stream';
  return 'application/x-ndjson';
}

/** One Server-Sent Event. A value may choose its event name and id with `{ event, id, data }`. */
export function encodeSse(value: unknown): string {
  let event: string | undefined;
  let id: string | undefined;
  let data: unknown = value;
  if (typeof value === 'object' && value !== null && 'data' in value && ('event' in value || 'id' in value)) {
    const v = value as { event?: unknown; id?: unknown; data: unknown };
    event = v.event === undefined ? undefined : String(v.event);
    id = v.id === undefined ? undefined : String(v.id);
    data = v.data;
  }
  const text = typeof data === 'string' ? data : JSON.stringify(data ?? null, jsonReplacer);
  let out = '';
  if (event) out += `event: ${event.replace(/[\r\n]/g, ' ')}\n`;
  if (id) out += `id: ${id.replace(/[\r\n]/g, ' ')}\n`;
  for (const line of text.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return out + '\n';
}
