// Builds tiny ONNX models in memory for tests: a hand-written protobuf encoder for
// the few ModelProto fields a one-node graph needs. Lets tests cover what the OCR
// models do not have: several inputs, a shared symbolic dim, int64 tensors.

type Dim = number | string;
export interface ValueSpec {
  name: string;
  /** ONNX TensorProto.DataType: 1 float32, 6 int32, 7 int64, 11 float64. */
  elemType: number;
  shape: Dim[];
}

export interface OneNodeModel {
  op: string;
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  opset?: number;
}

/** A model with one node `op(inputs...) -> outputs...`, serialized as ONNX protobuf bytes. */
export function oneNodeModel(spec: OneNodeModel): Uint8Array {
  const node = concat(
    ...spec.inputs.map((i) => str(1, i.name)),
    ...spec.outputs.map((o) => str(2, o.name)),
    str(4, spec.op),
  );
  const graph = concat(
    bytes(1, node),
    str(2, 'tiny'),
    ...spec.inputs.map((i) => bytes(11, valueInfo(i))),
    ...spec.outputs.map((o) => bytes(12, valueInfo(o))),
  );
  const opset = concat(str(1, ''), varintField(2, spec.opset ?? 13));
  return concat(varintField(1, 8), str(2, 'troupe-tests'), bytes(7, graph), bytes(8, opset));
}

function valueInfo(v: ValueSpec): Uint8Array {
  const dims = v.shape.map((d) => bytes(1, typeof d === 'number' ? varintField(1, d) : str(2, d)));
  const tensorType = concat(varintField(1, v.elemType), bytes(2, concat(...dims)));
  return concat(str(1, v.name), bytes(2, bytes(1, tensorType)));
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

function varintField(field: number, value: number): Uint8Array {
  return Uint8Array.from([...varint(field << 3), ...varint(value)]);
}

function bytes(field: number, payload: Uint8Array): Uint8Array {
  return concat(Uint8Array.from([...varint((field << 3) | 2), ...varint(payload.length)]), payload);
}

function str(field: number, text: string): Uint8Array {
  return bytes(field, new TextEncoder().encode(text));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
