// A model's declared inputs and outputs, in troupe's terms: dims are numbers when
// fixed and strings (the symbol ONNX gives them) when they vary per run.
import type { TensorDtype } from './tensor.ts';

export interface TensorInfo {
  readonly name: string;
  /** Element type, or `undefined` for a non-tensor value (sequence, map). */
  readonly dtype: TensorDtype | 'string' | undefined;
  /** Fixed dims are numbers; symbolic dims keep the model's name for them. */
  readonly shape: readonly (number | string)[];
  readonly isTensor: boolean;
}

interface OrtValueMetadata {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: readonly (number | string)[];
}

export function toTensorInfos(metadata: readonly OrtValueMetadata[]): TensorInfo[] {
  return metadata.map((m) => ({
    name: m.name,
    isTensor: m.isTensor,
    dtype: m.isTensor ? (m.type as TensorDtype | 'string') : undefined,
    shape: m.isTensor ? [...(m.shape ?? [])] : [],
  }));
}

/** `[?batch, 3, ?h, ?w]`-style text for messages. */
export function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.map((d) => (typeof d === 'number' ? String(d) : `?${d}`)).join(', ')}]`;
}
