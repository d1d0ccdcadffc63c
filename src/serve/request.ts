// What a deployment's `__call__(request)` receives: the proxy's plain request record (it crosses threads as data),
// with the body readers of a Fetch Request added in the replica.
import { MalformedRequestBodyError } from './errors.ts';

/** The request as the proxy sends it (http's RequestRecord, which serve cannot import). */
interface RequestFields {
  method: string;
  /** The path below the application's route prefix, starting with '/'. */
  path: string;
  /** The query string, parsed: a repeated key becomes an array. */
  query: Record<string, string | string[]>;
  /** Lower-case header names. */
  headers: Record<string, string>;
  params: Record<string, string>;
  requestId: string;
  /** The raw body. */
  body: Uint8Array;
}

export interface ServeRequest extends RequestFields {
  /** The body parsed as JSON; a body that is not JSON rejects with MalformedRequestBodyError, answered 400. */
  json<T = any>(): Promise<T>;
  /** The body decoded as UTF-8. */
  text(): Promise<string>;
  bytes(): Promise<Uint8Array>;
}

const decoder = new TextDecoder();

interface Request extends RequestFields {}
class Request implements ServeRequest {
  constructor(fields: RequestFields) {
    Object.assign(this, fields);
  }

  async json<T = any>(): Promise<T> {
    const text = decoder.decode(this.body);
    if (text.trim() === '') throw new MalformedRequestBodyError('the body is empty');
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new MalformedRequestBodyError((err as Error).message);
    }
  }

  async text(): Promise<string> {
    return decoder.decode(this.body);
  }

  async bytes(): Promise<Uint8Array> {
    return this.body;
  }
}

function isRequestRecord(value: unknown): value is RequestFields {
  const r = value as Partial<RequestFields> | null;
  return typeof r === 'object' && r !== null && !(r instanceof Request) && r.body instanceof Uint8Array
    && typeof r.method === 'string' && typeof r.path === 'string' && typeof r.headers === 'object';
}

const wrapped = Symbol('troupe.requestReaders');

/** Makes the class's own `__call__` receive a ServeRequest where the proxy sends a request record. */
export function addRequestReaders(cls: { prototype: object }): void {
  const proto = cls.prototype as Record<string | symbol, unknown>;
  const original = proto.__call__ as ((...args: unknown[]) => unknown) | undefined;
  if (typeof original !== 'function' || (original as any)[wrapped]) return;
  const toRequest = (arg: unknown) => (isRequestRecord(arg) ? new Request(arg) : arg);
  // A streaming __call__ stays an async generator: the proxy streams what a generator method yields.
  const replacement = Object.prototype.toString.call(original) === '[object AsyncGeneratorFunction]'
    ? async function* (this: unknown, request: unknown, ...rest: unknown[]) {
      return yield* original.call(this, toRequest(request), ...rest) as AsyncGenerator<unknown>;
    }
    : function (this: unknown, request: unknown, ...rest: unknown[]) {
      return original.call(this, toRequest(request), ...rest);
    };
  Object.defineProperty(replacement, wrapped, { value: true });
  Object.defineProperty(replacement, 'name', { value: '__call__' });
  Object.defineProperty(replacement, 'length', { value: original.length });
  Object.defineProperty(proto, '__call__', { value: replacement, writable: true, configurable: true, enumerable: false });
}
