// The Open Inference Protocol's infer request and response, JSON and Triton's binary tensor data extension
// (a JSON header of Inference-Header-Content-Length bytes, then each binary tensor's bytes in order). What
// the ingress checks against the model before a host sees the request, and what it sends back.
import type { TensorData, TensorDtype, TensorInfo } from '../models/index.ts';
import { typedArrayFor } from '../models/index.ts';
import { bytesPerElement, dtypeOfV2, v2OfDtype } from './datatypes.ts';
import { V2RequestError } from './errors.ts';

export const HEADER_LENGTH = 'inference-header-content-length';

/** A model version as the protocol shows it (dims the model leaves open are -1). */
export interface TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

/** What a host reports of one model version: its state and, once loaded, its inputs and outputs. */
export interface ModelDescription {
  name: string;
  version: string;
  state: 'READY' | 'UNAVAILABLE';
  reason?: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

/** One input as it travels to a host: its data inline, or where it lies in the request body. */
export interface WireInput {
  name: string;
  dtype: TensorDtype;
  shape: number[];
  data?: TensorData;
  offset?: number;
  byteLength?: number;
}

export interface HostRequest {
  /** `<name>/<version>`. */
  key: string;
  /** The model file, so that a replica that has not loaded this version yet can. */
  path: string;
  /** The whole request body (object-store memory for a large one): binary inputs are views of it. */
  body?: Uint8Array;
  inputs: WireInput[];
  /** Output names to fetch; all when absent. */
  outputs?: string[];
}

export interface HostTensor {
  name: string;
  dtype: TensorDtype;
  shape: number[];
  data: TensorData;
}

export interface ParsedInfer {
  id?: string;
  request: Omit<HostRequest, 'key' | 'path'>;
  /** The outputs to send back, in order, and whether each goes as binary data. */
  outputs: { name: string; binary: boolean }[];
}

export function tensorMetadata(info: TensorInfo): TensorMetadata {
  return { name: info.name, datatype: v2OfDtype(info.dtype), shape: info.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) };
}

const bad = (message: string, details: Record<string, unknown> = {}) => new V2RequestError(400, message, details);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The request as the proxy parsed it (a JSON object, or the raw bytes of an octet-stream body) checked against
 * the model: names, datatypes, shapes, byte lengths. Every problem is a V2RequestError(400).
 */
export function parseInfer(model: ModelDescription, body: unknown, headerLength: string | undefined): ParsedInfer {
  let header: unknown = body;
  let bytes: Uint8Array | undefined;
  let at = 0;
  if (body instanceof Uint8Array || typeof body === 'string') {
    const raw = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    let jsonEnd = raw.byteLength;
    if (headerLength !== undefined) {
      const n = /^\d+$/.test(headerLength.trim()) ? Number(headerLength) : NaN;
      if (!Number.isSafeInteger(n)) throw bad(`Inference-Header-Content-Length must be a byte count, got "${headerLength}"`);
      if (n > raw.byteLength) {
        throw bad(`Inference-Header-Content-Length is ${n} but the body has ${raw.byteLength} bytes: send the JSON header's length in bytes`);
      }
      jsonEnd = n;
      bytes = body instanceof Uint8Array ? body : raw;
      at = n;
    }
    try {
      header = JSON.parse(utf8.decode(raw.subarray(0, jsonEnd)));
    } catch (err) {
      throw bad(`the inference request is not valid JSON (${(err as Error).message}); with binary tensors, set Inference-Header-Content-Length to the JSON header's length`);
    }
  }
  if (header === undefined) throw bad('the inference request has no body: send a JSON object with "inputs"');
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw bad('the inference request must be a JSON object with "inputs"');
  const h = header as { id?: unknown; inputs?: unknown; outputs?: unknown; parameters?: unknown };
  if (!Array.isArray(h.inputs) || h.inputs.length === 0) throw bad('the inference request needs "inputs": a list of { name, shape, datatype, data }');
  const byName = new Map(model.inputs.map((i) => [i.name, i]));
  const seen = new Set<string>();
  const symbols = new Map<string, number>();
  const inputs: WireInput[] = [];
  for (const [index, value] of h.inputs.entries()) {
    const input = value as { name?: unknown; shape?: unknown; datatype?: unknown; data?: unknown; parameters?: { binary_data_size?: unknown } };
    if (typeof input !== 'object' || input === null) throw bad(`inputs[${index}] must be an object { name, shape, datatype, data }`);
    const name = input.name;
    if (typeof name !== 'string') throw bad(`inputs[${index}] needs a "name"`);
    const info = byName.get(name);
    if (!info) throw bad(`model "${model.name}" has no input "${name}"; its inputs are ${names(model.inputs)}`, { input: name });
    if (seen.has(name)) throw bad(`input "${name}" is given twice`, { input: name });
    seen.add(name);
    const expected = v2OfDtype(info.dtype);
    if (input.datatype !== expected) throw bad(`input "${name}" has datatype ${JSON.stringify(input.datatype)}; model "${model.name}" expects ${expected}`, { input: name });
    const dtype = dtypeOfV2(expected);
    if (!dtype) throw bad(`input "${name}" is ${expected}, which this server does not take (numeric and BOOL tensors only)`, { input: name });
    const shape = checkShape(model.name, info, input.shape, symbols);
    const count = shape.reduce((a, b) => a * b, 1);
    const size = input.parameters?.binary_data_size;
    if (size !== undefined) {
      if (!bytes) throw bad(`input "${name}" has binary_data_size but the request has no Inference-Header-Content-Length header: send it with the JSON header's length`, { input: name });
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw bad(`input "${name}": binary_data_size must be a byte count, got ${JSON.stringify(size)}`);
      const want = count * bytesPerElement(dtype);
      if (size !== want) throw bad(`input "${name}": binary_data_size is ${size} bytes but ${expected} [${shape.join(', ')}] needs ${want}`, { input: name });
      if (at + size > bytes.byteLength) {
        throw bad(`input "${name}": its ${size} bytes of binary data run past the end of the body (${bytes.byteLength - at} left after byte ${at})`, { input: name });
      }
      inputs.push({ name, dtype, shape, offset: at, byteLength: size });
      at += size;
    } else {
      if (input.data === undefined) throw bad(`input "${name}" has no "data" and no binary_data_size`, { input: name });
      inputs.push({ name, dtype, shape, data: jsonData(name, expected, dtype, input.data, count) });
    }
  }
  for (const info of model.inputs) {
    if (!seen.has(info.name)) throw bad(`input "${info.name}" is missing: model "${model.name}" takes ${names(model.inputs)}`, { input: info.name });
  }
  if (bytes && at !== bytes.byteLength) {
    throw bad(`the body has ${bytes.byteLength - at} bytes after the last binary input: binary_data_size values must add up to the body's length minus the JSON header`);
  }
  const outputs = requestedOutputs(model, h.outputs, h.parameters);
  const request: ParsedInfer['request'] = { inputs };
  if (bytes && inputs.some((i) => i.offset !== undefined)) request.body = bytes;
  if (Array.isArray(h.outputs)) request.outputs = outputs.map((o) => o.name);
  const id = h.id === undefined ? undefined : String(h.id);
  return { ...(id === undefined ? {} : { id }), request, outputs };
}

function checkShape(model: string, info: TensorInfo, shape: unknown, symbols: Map<string, number>): number[] {
  const want = `[${info.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)).join(', ')}]`;
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw bad(`input "${info.name}" needs a "shape" of non-negative integers such as ${want}, got ${JSON.stringify(shape)}`, { input: info.name });
  }
  if (shape.length !== info.shape.length) {
    throw bad(`input "${info.name}" has shape [${shape.join(', ')}]; model "${model}" expects ${want} (rank ${info.shape.length})`, { input: info.name });
  }
  info.shape.forEach((d, i) => {
    if (typeof d === 'number' && d >= 0 && shape[i] !== d) {
      throw bad(`input "${info.name}" has shape [${shape.join(', ')}]; model "${model}" expects ${want} (dim ${i} is ${d})`, { input: info.name });
    }
    if (typeof d === 'string') {
      const size = symbols.get(d);
      if (size !== undefined && size !== shape[i]) throw bad(`input "${info.name}" dim ${i} (${d}) is ${shape[i]}, but another input has ${size} for the same dim`, { input: info.name });
      symbols.set(d, shape[i] as number);
    }
  });
  return shape as number[];
}

/** JSON tensor data, flat or nested, row-major, into the typed array of `dtype` (written as it is walked:
 *  Array.prototype.flat took 11 ms for one 110 KB image, more than the model's run). */
function jsonData(name: string, datatype: string, dtype: TensorDtype, data: unknown, count: number): TensorData {
  if (dtype === 'float16') throw bad(`input "${name}" is FP16, which JSON cannot carry: send it as binary data (binary_data_size)`, { input: name });
  const out = new (typedArrayFor(dtype))(count);
  const values = out as unknown as (number | bigint)[];
  const big = dtype === 'int64' || dtype === 'uint64';
  const integer = datatype !== 'FP32' && datatype !== 'FP64';
  let n = 0;
  const put = (v: unknown): void => {
    if (n >= count) {
      n++;
      return;
    }
    if (dtype === 'bool') {
      if (typeof v !== 'boolean') throw bad(`input "${name}" is BOOL: its data must be true or false, got ${JSON.stringify(v)} at element ${n}`, { input: name });
      values[n++] = v ? 1 : 0;
    } else if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
      throw bad(`input "${name}" is ${datatype}: element ${n} is ${JSON.stringify(v)}`, { input: name });
    } else {
      values[n++] = big ? BigInt(v) : v;
    }
  };
  const walk = (v: unknown): void => {
    if (!Array.isArray(v)) return put(v);
    for (let i = 0; i < v.length; i++) walk(v[i]);
  };
  walk(data);
  if (n !== count) throw bad(`input "${name}" has ${n} elements in "data"; its shape needs ${count}`, { input: name });
  return out;
}

function requestedOutputs(model: ModelDescription, outputs: unknown, parameters: unknown): { name: string; binary: boolean }[] {
  const all = (parameters as { binary_data_output?: unknown } | undefined)?.binary_data_output === true;
  if (outputs === undefined) return model.outputs.map((o) => ({ name: o.name, binary: all }));
  if (!Array.isArray(outputs)) throw bad('"outputs" must be a list of { name, parameters }');
  const known = new Set(model.outputs.map((o) => o.name));
  return outputs.map((o: { name?: unknown; parameters?: { binary_data?: unknown } }, i) => {
    if (typeof o !== 'object' || o === null || typeof o.name !== 'string') throw bad(`outputs[${i}] needs a "name"`);
    if (!known.has(o.name)) throw bad(`model "${model.name}" has no output "${o.name}"; its outputs are ${names(model.outputs)}`, { output: o.name });
    const binary = o.parameters?.binary_data;
    return { name: o.name, binary: typeof binary === 'boolean' ? binary : all };
  });
}

function names(list: readonly TensorInfo[]): string {
  return list.map((t) => `"${t.name}" ${v2OfDtype(t.dtype)} [${t.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)).join(', ')}]`).join(', ');
}

export interface InferResponse {
  /** The JSON object, or the JSON header of a binary response. */
  json: Record<string, unknown>;
  /** The binary tensors after the header, in order; empty for a JSON-only response. */
  binaries: Uint8Array[];
}

/** The response for the host's output tensors, each as JSON data or binary as requested. */
export function inferResponse(model: ModelDescription, id: string | undefined, wanted: ParsedInfer['outputs'], tensors: HostTensor[]): InferResponse {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const binaries: Uint8Array[] = [];
  const outputs = wanted.map(({ name, binary }) => {
    const t = byName.get(name)!;
    const out: Record<string, unknown> = { name, datatype: v2OfDtype(t.dtype), shape: t.shape };
    if (binary) {
      const b = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      binaries.push(b);
      out.parameters = { binary_data_size: b.byteLength };
    } else {
      out.data = jsonValues(t);
    }
    return out;
  });
  const json: Record<string, unknown> = { model_name: model.name, model_version: model.version, outputs };
  if (id !== undefined) json.id = id;
  return { json, binaries };
}

function jsonValues(t: HostTensor): unknown[] {
  if (t.dtype === 'bool') return Array.from(t.data as Uint8Array, (v) => v !== 0);
  if (t.dtype === 'float16') return Array.from(t.data as Uint16Array, halfToFloat);
  if (t.dtype === 'int64' || t.dtype === 'uint64') return Array.from(t.data as BigInt64Array, (v) => Number(v));
  return Array.from(t.data as Float32Array);
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}
