// Route decorators (TypeScript 5 standard decorators). Everything is written into `context.metadata`, which
// every decorator of one class shares, so `@ingress` may sit above or below `@deployment()` and the order of
// method decorators does not matter. Subclasses inherit their parent's routes and may add or override.
import { RouteDefinitionError } from './errors.ts';
import type { JsonSchema, RouteInput, WebSocketEvent } from './types.ts';

// Node 20 has no Symbol.metadata; this is the same symbol TypeScript's and esbuild's helpers fall back to.
(Symbol as { metadata?: symbol }).metadata ??= Symbol.for('Symbol.metadata');
const METADATA: symbol = (Symbol as unknown as { metadata: symbol }).metadata;
const KEY = Symbol.for('troupe.http.routes');

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface IngressOptions {
  title?: string;
  version?: string;
  /** A one-line summary of the API (OpenAPI's info.summary). */
  summary?: string;
  description?: string;
}

export interface RouteOptions {
  /** JSON Schema (or TypeBox) of the JSON body; with multipart, of the object of fields (see fileSchema()). */
  body?: JsonSchema;
  /** Schema of the query object; values are coerced to the declared types. */
  query?: JsonSchema;
  /** Schema of the path parameters; values are coerced to the declared types. */
  params?: JsonSchema;
  /** Schema of the response: documentation only. */
  response?: JsonSchema;
  summary?: string;
  description?: string;
  tags?: string[];
  /** Content types this route accepts ('image/*' matches any image type). Default: JSON when a body schema
   * is given, otherwise JSON, text, forms, multipart, octet-stream and images. */
  accepts?: string[];
  /** Overrides the proxy's requestTimeoutMs for this route. */
  timeoutMs?: number;
  operationId?: string;
}

export interface HttpRouteDef {
  method: HttpMethod;
  path: string;
  methodName: string;
  /** The method is an async generator: its values are streamed (chunked, or SSE on request). */
  streaming: boolean;
  options: RouteOptions;
}

export interface WebSocketRouteDef {
  path: string;
  methodName: string;
  streaming: boolean;
}

export interface IngressMetadata {
  /** Undefined when the class has routes but no `@ingress` (routes are still served). */
  ingress: IngressOptions | undefined;
  routes: HttpRouteDef[];
  websockets: WebSocketRouteDef[];
}

interface Store {
  ingress?: IngressOptions;
  routes: Map<string, HttpRouteDef>;
  websockets: Map<string, WebSocketRouteDef>;
}

const byClass = new WeakMap<object, Store>();

function storeOf(metadata: DecoratorMetadataObject | undefined, what: string): Store {
  if (!metadata) {
    throw new RouteDefinitionError(`${what} needs decorator metadata (TypeScript 5.2+ standard decorators, or tsx/esbuild); turn off experimentalDecorators`);
  }
  const record = metadata as Record<symbol, Store | undefined>;
  if (!Object.hasOwn(record, KEY)) {
    // Copy on first write so a subclass never mutates its parent's routes.
    const parent = record[KEY];
    record[KEY] = {
      ingress: parent?.ingress,
      routes: new Map(parent?.routes),
      websockets: new Map(parent?.websockets),
    };
  }
  return record[KEY]!;
}

function isAsyncGenerator(fn: unknown): boolean {
  return Object.prototype.toString.call(fn) === '[object AsyncGeneratorFunction]';
}

function checkPath(path: unknown, where: string): string {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new RouteDefinitionError(`${where}: a route path must be a string starting with '/', got ${JSON.stringify(path)}`);
  }
  return path;
}

/** Marks a class as an HTTP ingress and gives its OpenAPI title and version. */
export function ingress(options: IngressOptions = {}) {
  return function <T extends abstract new (...args: any) => any>(value: T, context: ClassDecoratorContext<T>): void {
    const store = storeOf(context.metadata, '@ingress');
    store.ingress = {
      title: options.title ?? String(context.name ?? 'troupe app'),
      version: options.version ?? '0.1.0',
      summary: options.summary,
      description: options.description,
    };
    byClass.set(value, store);
  };
}

type AnyInput = RouteInput<any, any, any>;
// A parameter that can take a RouteInput, or (a @batch route method) an array of them.
type TakesInput<P> = AnyInput extends P ? true : P extends readonly (infer E)[] ? (AnyInput extends E ? true : false) : false;
type TakesRouteInput<A extends readonly unknown[]> = A extends [] ? true
  : A extends [infer P] ? TakesInput<P>
  : A extends [(infer P)?] ? TakesInput<P>
  : number extends A['length'] ? (A extends readonly (infer P)[] ? (AnyInput extends P ? true : false) : false) // (...args: unknown[])
  : false;
type RouteMethodError = 'a route method takes one parameter, a RouteInput (the JSON body is input.body), or none';

/**
 * A route method takes one RouteInput, or nothing. A method written as Ray/FastAPI would, `serve(body: { text:
 * string })`, does not type-check: at run time it would get the RouteInput, not the body.
 */
export type RouteMethodDecorator = <F extends (this: any, ...args: any[]) => any>(
  value: TakesRouteInput<Parameters<F>> extends true ? F : RouteMethodError,
  context: ClassMethodDecoratorContext<unknown, F>,
) => void;

type MethodDecorator<Input> = <F extends (this: any, input: Input) => any>(value: F, context: ClassMethodDecoratorContext<unknown, F>) => void;

function routeDecorator(method: HttpMethod) {
  return function (path: string, options: RouteOptions = {}): RouteMethodDecorator {
    checkPath(path, `@${method.toLowerCase()}`);
    return (value, context) => {
      if (context.kind !== 'method' || context.static || context.private) {
        throw new RouteDefinitionError(`@${method.toLowerCase()}('${path}') goes on a public instance method`);
      }
      const methodName = String(context.name);
      const store = storeOf(context.metadata, `@${method.toLowerCase()}`);
      store.routes.set(`${method} ${path}`, { method, path, methodName, streaming: isAsyncGenerator(value), options });
    };
  };
}

export const get = routeDecorator('GET');
export const post = routeDecorator('POST');
export const put = routeDecorator('PUT');
export const patch = routeDecorator('PATCH');
export const del = routeDecorator('DELETE');
/** `route.delete` reads better than `del` where the name is free. */
export const route = { get, post, put, patch, delete: del, del };

/** A WebSocket route: the method is called with one WebSocketEvent per open, message and close, in order. A
 * returned value (string → text frame, bytes → binary frame, other → JSON text) is sent back; an async
 * generator method sends each value it yields. */
export function websocket(path: string): MethodDecorator<WebSocketEvent> {
  checkPath(path, '@websocket');
  return (value, context) => {
    if (context.kind !== 'method' || context.static || context.private) {
      throw new RouteDefinitionError(`@websocket('${path}') goes on a public instance method`);
    }
    const store = storeOf(context.metadata, '@websocket');
    store.websockets.set(path, { path, methodName: String(context.name), streaming: isAsyncGenerator(value) });
  };
}

/** Reads the routes a class declared with the decorators above; an undecorated class gives no routes. */
export function routesOf(cls: Function | object | undefined): IngressMetadata {
  let store: Store | undefined;
  if (cls && (typeof cls === 'function' || typeof cls === 'object')) {
    const metadata = (cls as Record<symbol, Record<symbol, Store | undefined> | undefined>)[METADATA];
    store = metadata?.[KEY] ?? byClass.get(cls);
  }
  return {
    ingress: store?.ingress ? { ...store.ingress } : undefined,
    routes: store ? [...store.routes.values()] : [],
    websockets: store ? [...store.websockets.values()] : [],
  };
}
