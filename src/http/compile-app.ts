// A mounted application, made ready for the hot path: its routes in a table with their validators compiled.
import type { ValidateFunction } from 'ajv';
import { DEFAULT_ACCEPTS, JSON_ONLY } from './body.ts';
import { routesOf, type IngressMetadata, type WebSocketRouteDef } from './decorators.ts';
import { RouteDefinitionError } from './errors.ts';
import { RouteTable } from './route-table.ts';
import { compile } from './schema.ts';
import type { MountedApp } from './types.ts';

export interface CompiledRoute {
  methodName: string;
  /** Declared path, for logs and /-/routes. */
  path: string;
  streaming: boolean;
  /** `__call__(request)`: the method gets a RequestRecord instead of a RouteInput. */
  raw: boolean;
  /** False for a method declared without parameters (a health check, a no-op): the proxy still checks the
   *  request against the route's schemas and content types, but builds and sends no RouteInput. */
  takesInput: boolean;
  accepts: string[];
  body: ValidateFunction | undefined;
  query: ValidateFunction | undefined;
  params: ValidateFunction | undefined;
  timeoutMs: number | undefined;
}

export interface CompiledApp {
  mounted: MountedApp;
  /** '/' or '/api' (no trailing slash). */
  prefix: string;
  meta: IngressMetadata;
  /** Undefined for a `__call__` application: every request under the prefix goes to it. */
  table: RouteTable<CompiledRoute> | undefined;
  rawRoute: CompiledRoute | undefined;
  websockets: RouteTable<WebSocketRouteDef>;
  openapi: string | undefined;
}

export function normalizePrefix(prefix: string): string {
  if (typeof prefix !== 'string' || !prefix.startsWith('/')) {
    throw new RouteDefinitionError(`routePrefix must start with '/', got ${JSON.stringify(prefix)}`);
  }
  const trimmed = prefix.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

export function compileApp(mounted: MountedApp): CompiledApp {
  const prefix = normalizePrefix(mounted.routePrefix);
  const meta = routesOf(mounted.ingressClass);
  const proto = (mounted.ingressClass as { prototype?: Record<string, unknown> } | undefined)?.prototype;
  const websockets = new RouteTable<WebSocketRouteDef>();
  for (const ws of meta.websockets) websockets.add('GET', ws.path, ws);

  if (meta.routes.length === 0) {
    // Caught when the application is deployed, not by its first request (which would find no route).
    if (meta.ingress && meta.websockets.length === 0 && typeof proto?.__call__ !== 'function') {
      const cls = (mounted.ingressClass as { name?: string }).name || mounted.deploymentName;
      throw new RouteDefinitionError(
        `@ingress class ${cls} (application ${mounted.name}) declares no routes: decorate its methods with @get/@post/@put/@patch/@del ` +
          `(or @websocket), or drop @ingress and give the class a __call__(request) method that takes every request`,
        { app: mounted.name, ingress: cls },
      );
    }
    const streaming = Object.prototype.toString.call(proto?.__call__) === '[object AsyncGeneratorFunction]';
    const rawRoute: CompiledRoute = {
      methodName: '__call__', path: '/*', streaming, raw: true, takesInput: true, accepts: ['*/*'],
      body: undefined, query: undefined, params: undefined, timeoutMs: undefined,
    };
    return { mounted, prefix, meta, table: undefined, rawRoute: meta.websockets.length && !proto?.__call__ ? undefined : rawRoute, websockets, openapi: undefined };
  }

  const table = new RouteTable<CompiledRoute>();
  for (const def of meta.routes) {
    const o = def.options;
    try {
      table.add(def.method, def.path, {
        methodName: def.methodName,
        path: def.path,
        streaming: def.streaming,
        raw: false,
        takesInput: takesInput(proto?.[def.methodName]),
        accepts: o.accepts ?? (o.body !== undefined ? JSON_ONLY : DEFAULT_ACCEPTS),
        body: o.body === undefined ? undefined : compile(o.body, 'body'),
        query: o.query === undefined ? undefined : compile(o.query, 'query'),
        params: o.params === undefined ? undefined : compile(o.params, 'params'),
        timeoutMs: o.timeoutMs,
      });
    } catch (err) {
      if (err instanceof RouteDefinitionError) throw err;
      throw new RouteDefinitionError(`invalid schema on ${def.method} ${def.path} (${mounted.name}.${def.methodName}): ${(err as Error).message}`, { app: mounted.name });
    }
  }
  return { mounted, prefix, meta, table, rawRoute: undefined, websockets, openapi: undefined };
}

/**
 * Whether a route method can see what it is called with. Only a method whose parameter list is empty and
 * whose source never names `arguments` cannot; anything else (a wrapper from another decorator, rest or
 * default parameters, source that cannot be read) counts as taking its input.
 */
export function takesInput(fn: unknown): boolean {
  if (typeof fn !== 'function') return true;
  if (fn.length > 0) return true;
  const source = Function.prototype.toString.call(fn);
  // Native and bound functions show no parameters; a computed name may hold parentheses of its own.
  if (source.includes('[native code]')) return true;
  const open = source.indexOf('(');
  if (open < 0 || /[[\]'"`]/.test(source.slice(0, open)) || !/^\(\s*\)/.test(source.slice(open))) return true;
  return /\barguments\b/.test(source);
}

/** The application whose prefix is the longest one that `path` falls under. `apps` is sorted longest first. */
export function findApp(apps: CompiledApp[], path: string): CompiledApp | undefined {
  const at = findAppIndex(apps, path, 0);
  return at < 0 ? undefined : apps[at];
}

/** The index of the first application from `from` on whose prefix `path` falls under, or -1: the next shorter
 *  match, for a path the longer prefix's application has no route for. */
export function findAppIndex(apps: CompiledApp[], path: string, from: number): number {
  for (let i = from; i < apps.length; i++) {
    const p = apps[i]!.prefix;
    if (p === '/' || path === p || (path.startsWith(p) && path.charCodeAt(p.length) === 47 /* / */)) return i;
  }
  return -1;
}

export function subPath(app: CompiledApp, path: string): string {
  if (app.prefix === '/') return path;
  const rest = path.slice(app.prefix.length);
  return rest === '' ? '/' : rest;
}
