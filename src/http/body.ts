// Request bodies: the content-type decides how the bytes become the route's `body`.
import { uws } from './uws.ts';
import { MalformedBodyError, UnsupportedMediaTypeError } from './errors.ts';
import type { UploadedFile } from './types.ts';

export const DEFAULT_ACCEPTS = [
  'application/json', 'text/*', 'application/x-www-form-urlencoded', 'multipart/form-data',
  'application/octet-stream', 'image/*', 'audio/*', 'video/*',
];
export const JSON_ONLY = ['application/json'];
const MAX_PARTS = 1000;
const decoder = new TextDecoder('utf-8', { fatal: true });

/** 'Application/JSON; charset=utf-8' → 'application/json'. */
export function mediaType(contentType: string): string {
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

export function accepts(list: string[], type: string): boolean {
  for (const pattern of list) {
    if (pattern === type || pattern === '*/*') return true;
    if (pattern.endsWith('/*') && type.startsWith(pattern.slice(0, -1))) return true;
    if (pattern === 'application/json' && type.startsWith('application/') && type.endsWith('+json')) return true;
  }
  return false;
}

/** Bytes → body value. An empty body without a content type is `undefined`. */
export function parseBody(bytes: Uint8Array, contentTypeHeader: string, acceptList: string[]): unknown {
  const type = mediaType(contentTypeHeader);
  if (bytes.byteLength === 0 && type === '') return undefined;
  if (!accepts(acceptList, type)) throw new UnsupportedMediaTypeError(type, acceptList);
  if (type === 'application/json' || type.endsWith('+json')) {
    if (bytes.byteLength === 0) return undefined;
    try {
      return JSON.parse(text(bytes));
    } catch (err) {
      throw new MalformedBodyError(`invalid JSON (${(err as Error).message})`, err);
    }
  }
  if (type.startsWith('text/')) return text(bytes);
  if (type === 'application/x-www-form-urlencoded') return formFields(new URLSearchParams(text(bytes)));
  if (type === 'multipart/form-data') return multipart(bytes, contentTypeHeader);
  return bytes;
}

function text(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch (err) {
    throw new MalformedBodyError('the body is not valid UTF-8', err);
  }
}

/** Query strings and urlencoded forms: a repeated key becomes an array. */
export function formFields(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of params) {
    const prev = out[key];
    if (prev === undefined) out[key] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[key] = [prev, value];
  }
  return out;
}

function multipart(bytes: Uint8Array, contentTypeHeader: string): Record<string, unknown> {
  if (!/boundary=/i.test(contentTypeHeader)) throw new MalformedBodyError('multipart/form-data without a boundary');
  const parts = uws().getParts(bytes, contentTypeHeader);
  if (!parts) throw new MalformedBodyError('could not parse the multipart/form-data body');
  if (parts.length > MAX_PARTS) throw new MalformedBodyError(`more than ${MAX_PARTS} multipart fields`);
  const out: Record<string, unknown> = {};
  for (const part of parts) {
    const data = new Uint8Array(part.data.slice(0));
    const value: string | UploadedFile = part.filename !== undefined
      ? { filename: part.filename, contentType: part.type ?? 'application/octet-stream', data }
      : text(data);
    const prev = out[part.name];
    if (prev === undefined) out[part.name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[part.name] = [prev, value];
  }
  return out;
}
