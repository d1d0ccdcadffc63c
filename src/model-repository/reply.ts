// What both infer routes send back: the V2Server ingress's (models loaded after start) and a start-up model's
// own ModelHost route (one hop). One infer response (JSON, or the binary extension's JSON header followed by the
// binary outputs) and one mapping of a failure to the protocol's `{ "error": "..." }` with its status.
import { httpResponse } from '../http/index.ts';
import { HEADER_LENGTH, inferResponse, type HostTensor, type ModelDescription, type ParsedInfer } from './protocol.ts';

/** The reply to one infer request: a JSON object, or the binary extension's bytes with Inference-Header-Content-Length. */
export function inferReply(model: ModelDescription, parsed: ParsedInfer, tensors: HostTensor[]): unknown {
  const { json, binaries } = inferResponse(model, parsed.id, parsed.outputs, tensors);
  if (binaries.length === 0) return json;
  const header = Buffer.from(JSON.stringify(json));
  const out = Buffer.allocUnsafe(header.byteLength + binaries.reduce((n, b) => n + b.byteLength, 0));
  header.copy(out, 0);
  let at = header.byteLength;
  for (const b of binaries) {
    out.set(b, at);
    at += b.byteLength;
  }
  return httpResponse(new Uint8Array(out.buffer, out.byteOffset, out.byteLength), {
    contentType: 'application/octet-stream',
    headers: { [HEADER_LENGTH]: String(header.byteLength) },
  });
}

const OVERLOADED = new Set(['TROUPE_ERR_BACKPRESSURE', 'TROUPE_ERR_BATCH_QUEUE_FULL', 'TROUPE_ERR_NO_REPLICA', 'TROUPE_ERR_REPLICA_DIED']);

/** Runs a route's work; a failure becomes the protocol's `{ "error": "..." }` with its status. */
export async function v2(work: () => unknown): Promise<unknown> {
  try {
    return await work();
  } catch (err) {
    return v2Error(err);
  }
}

/** A failure as the protocol answers it: a V2RequestError with its own status, bad model input 400, overload 503. */
export function v2Error(err: unknown): unknown {
  const e = err as { code?: string; message?: string; details?: { status?: unknown } };
  const code = e?.code ?? '';
  const status = code === 'TROUPE_ERR_V2_REQUEST' && typeof e.details?.status === 'number'
    ? e.details.status
    : code === 'TROUPE_ERR_MODEL_INPUT' || code === 'TROUPE_ERR_MODEL_RUN'
      ? 400
      : OVERLOADED.has(code)
        ? 503
        : 500;
  return httpResponse({ error: e?.message ?? String(err) }, { status });
}
