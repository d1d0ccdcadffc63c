// OpenAPI 3.1 built from the route metadata of one application.
import { JSON_ONLY, DEFAULT_ACCEPTS } from './body.ts';
import type { HttpRouteDef, IngressMetadata } from './decorators.ts';
import type { JsonSchema } from './types.ts';

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'requestId'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        requestId: { type: 'string' },
        details: { type: 'object' },
      },
    },
  },
};

export function buildOpenApi(meta: IngressMetadata, prefix: string, fallbackTitle: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of meta.routes) {
    const full = joinPath(prefix, route.path);
    const key = full.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{wildcard}');
    (paths[key] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: meta.ingress?.title ?? fallbackTitle,
      version: meta.ingress?.version ?? '0.1.0',
      ...(meta.ingress?.summary ? { summary: meta.ingress.summary } : {}),
      ...(meta.ingress?.description ? { description: meta.ingress.description } : {}),
    },
    paths,
    components: { schemas: { Error: ERROR_SCHEMA } },
  };
}

export function joinPath(prefix: string, path: string): string {
  if (prefix === '/' || prefix === '') return path;
  return path === '/' ? prefix : prefix + path;
}

function operation(route: HttpRouteDef): Record<string, unknown> {
  const o = route.options;
  const op: Record<string, unknown> = { operationId: o.operationId ?? route.methodName };
  if (o.summary) op.summary = o.summary;
  if (o.description) op.description = o.description;
  if (o.tags) op.tags = o.tags;

  const parameters: unknown[] = [];
  const paramProps = propertiesOf(o.params);
  for (const m of route.path.matchAll(/:([A-Za-z0-9_]+)/g)) {
    parameters.push({ name: m[1], in: 'path', required: true, schema: toOpenApi(paramProps[m[1]!] ?? { type: 'string' }) });
  }
  if (route.path.endsWith('*')) parameters.push({ name: 'wildcard', in: 'path', required: true, schema: { type: 'string' } });
  const queryRequired = new Set(requiredOf(o.query));
  for (const [name, schema] of Object.entries(propertiesOf(o.query))) {
    parameters.push({ name, in: 'query', required: queryRequired.has(name), schema: toOpenApi(schema) });
  }
  if (parameters.length) op.parameters = parameters;

  const acceptList = o.accepts ?? (o.body !== undefined ? JSON_ONLY : route.method === 'GET' || route.method === 'DELETE' ? [] : DEFAULT_ACCEPTS);
  if (acceptList.length) {
    const content: Record<string, unknown> = {};
    for (const type of acceptList) {
      const binary = !(type.includes('json') || type.startsWith('multipart/') || type.includes('urlencoded') || type.startsWith('text/'));
      content[type] = { schema: binary ? { type: 'string', format: 'binary' } : toOpenApi(o.body ?? (type.startsWith('text/') ? { type: 'string' } : {})) };
    }
    op.requestBody = { required: o.body !== undefined, content };
  }

  const okContent: Record<string, unknown> = route.streaming
    ? { 'application/x-ndjson': { schema: toOpenApi(o.response ?? {}) }, 'text/event-stream': { schema: { type: 'string' } } }
    : { 'application/json': { schema: toOpenApi(o.response ?? {}) } };
  const errorRef = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  const responses: Record<string, unknown> = { '200': { description: 'Success', content: okContent } };
  if (o.body !== undefined || o.query !== undefined || o.params !== undefined) responses['400'] = { description: 'Invalid request', ...errorRef };
  responses['503'] = { description: 'Overloaded or no healthy replica', ...errorRef };
  responses['504'] = { description: 'Timed out', ...errorRef };
  responses.default = { description: 'Error', ...errorRef };
  op.responses = responses;
  return op;
}

function propertiesOf(schema: JsonSchema | undefined): Record<string, JsonSchema> {
  if (!schema || typeof schema !== 'object') return {};
  return (schema.properties ?? {}) as Record<string, JsonSchema>;
}

function requiredOf(schema: JsonSchema | undefined): string[] {
  if (!schema || typeof schema !== 'object' || !Array.isArray(schema.required)) return [];
  return schema.required as string[];
}

/** A JSON copy of the schema (TypeBox's symbol keys drop out), with file fields shown as binary strings. */
function toOpenApi(schema: JsonSchema): unknown {
  return JSON.parse(JSON.stringify(schema), (_key, value) => {
    if (value && typeof value === 'object' && value['x-troupe-file'] === true) {
      const { 'x-troupe-file': _f, type: _t, ...rest } = value;
      return { ...rest, type: 'string', format: 'binary' };
    }
    return value;
  });
}
