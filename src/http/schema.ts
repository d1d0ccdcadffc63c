// JSON Schema validation with ajv. Bodies are validated as sent; query strings and path parameters arrive as
// text, so their validator coerces to the declared types (and wraps a lone value when an array is declared).
import { createRequire } from 'node:module';
import type AjvModule from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { ValidationError, type ValidationIssue } from './errors.ts';
import type { JsonSchema } from './types.ts';

type AjvClass = typeof AjvModule.default;
type Ajv = InstanceType<AjvClass>;

// ajv is loaded when the first schema is compiled, not on import: replicas import troupe but never validate,
// and the import is a tenth of a replica's start (bench/results/autoscale.md).
const require = createRequire(import.meta.url);
let bodyAjv: Ajv | undefined;
let textAjv: Ajv | undefined;

function makeAjv(coerce: boolean): Ajv {
  const ajvModule = require('ajv');
  const formatsModule = require('ajv-formats');
  const AjvCtor = (ajvModule.default ?? ajvModule) as AjvClass;
  const addFormats = (formatsModule.default ?? formatsModule) as (ajv: Ajv) => void;
  const ajv = new AjvCtor({ allErrors: true, strict: false, useDefaults: true, coerceTypes: coerce ? 'array' : false });
  addFormats(ajv);
  return ajv;
}

const cache = new WeakMap<object, { body?: ValidateFunction; text?: ValidateFunction }>();

export type Part = 'body' | 'query' | 'params';

/** Compiles once per schema object; throws at mount time on a schema ajv rejects. */
export function compile(schema: JsonSchema, part: Part): ValidateFunction {
  const key = typeof schema === 'object' ? schema : { boolean: schema };
  let entry = cache.get(key);
  if (!entry) cache.set(key, (entry = {}));
  const slot = part === 'body' ? 'body' : 'text';
  const ajv = part === 'body' ? (bodyAjv ??= makeAjv(false)) : (textAjv ??= makeAjv(true));
  return (entry[slot] ??= ajv.compile(schema));
}

/** Validates (and, for query/params, coerces in place); throws ValidationError listing every failing path. */
export function validate(validator: ValidateFunction, part: Part, value: unknown): void {
  if (validator(value)) return;
  throw new ValidationError(part, (validator.errors ?? []).map((e) => toIssue(part, e)));
}

function toIssue(part: Part, e: ErrorObject): ValidationIssue {
  let path = part + e.instancePath;
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'required' && typeof params.missingProperty === 'string') path += '/' + params.missingProperty;
  if (e.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') path += '/' + params.additionalProperty;
  return { path, message: e.message ?? e.keyword, keyword: e.keyword };
}

/** Top-level property names a schema declares with an array type (used to keep repeated query keys). */
export function arrayProperties(schema: JsonSchema | undefined): Set<string> {
  const out = new Set<string>();
  if (!schema || typeof schema !== 'object') return out;
  const props = schema.properties as Record<string, { type?: unknown }> | undefined;
  for (const [name, prop] of Object.entries(props ?? {})) {
    const type = prop?.type;
    if (type === 'array' || (Array.isArray(type) && type.includes('array'))) out.add(name);
  }
  return out;
}
