// Checks a run's inputs against the model's declared inputs before ONNX Runtime
// sees them, so a wrong request gets an error naming the model, the input and what
// was expected instead of ORT's index dump (or a crash on a short buffer).
import { ModelInputError } from './errors.ts';
import { formatShape, type TensorInfo } from './metadata.ts';
import { dataMatchesDtype, elementCount, isTensorDtype, type TensorLike } from './tensor.ts';

export function validateInputs(model: string, declared: readonly TensorInfo[], inputs: Readonly<Record<string, TensorLike>>): void {
  if (typeof inputs !== 'object' || inputs === null) {
    throw new ModelInputError(`model "${model}": inputs must be an object keyed by input name (${names(declared)})`, {
      details: { model },
    });
  }
  const expected = new Set(declared.map((d) => d.name));
  for (const key of Object.keys(inputs)) {
    if (!expected.has(key)) {
      throw new ModelInputError(`model "${model}" has no input "${key}"; its inputs are ${names(declared)}`, {
        details: { model, input: key, expected: [...expected] },
      });
    }
  }
  const symbols = new Map<string, { size: number; input: string }>();
  for (const info of declared) {
    const value = inputs[info.name];
    const details = { model, input: info.name, expectedDtype: info.dtype, expectedShape: info.shape };
    if (value === undefined) {
      throw new ModelInputError(`model "${model}": input "${info.name}" is missing; expected ${info.dtype} ${formatShape(info.shape)}`, { details });
    }
    if (!info.isTensor) continue;
    if (!isTensorDtype(value.dtype)) {
      throw new ModelInputError(`model "${model}": input "${info.name}" has unsupported dtype "${String(value.dtype)}"; expected ${info.dtype}`, { details });
    }
    if (value.dtype !== info.dtype) {
      throw new ModelInputError(
        `model "${model}": input "${info.name}" has dtype ${value.dtype}; expected ${info.dtype} ${formatShape(info.shape)}`,
        { details: { ...details, dtype: value.dtype } },
      );
    }
    const shape = value.shape;
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new ModelInputError(`model "${model}": input "${info.name}" needs a shape of non-negative integers, got ${JSON.stringify(shape)}`, {
        details,
      });
    }
    if (shape.length !== info.shape.length) {
      throw new ModelInputError(
        `model "${model}": input "${info.name}" has rank ${shape.length} [${shape.join(', ')}]; expected rank ${info.shape.length} ${formatShape(info.shape)}`,
        { details: { ...details, shape } },
      );
    }
    info.shape.forEach((want, i) => {
      const got = shape[i];
      if (typeof want === 'number') {
        if (want >= 0 && got !== want) {
          throw new ModelInputError(
            `model "${model}": input "${info.name}" dim ${i} is ${got}; expected ${want} (shape ${formatShape(info.shape)}, got [${shape.join(', ')}])`,
            { details: { ...details, shape, dim: i } },
          );
        }
        return;
      }
      // The same symbol on two inputs (a shared batch dim) must have one size in a run.
      const seen = symbols.get(want);
      if (seen && seen.size !== got) {
        throw new ModelInputError(
          `model "${model}": input "${info.name}" dim ${i} (${want}) is ${got} but input "${seen.input}" has ${seen.size} for the same dim`,
          { details: { ...details, shape, dim: i } },
        );
      }
      if (!seen) symbols.set(want, { size: got, input: info.name });
    });
    if (!dataMatchesDtype(value.dtype, value.data)) {
      throw new ModelInputError(
        `model "${model}": input "${info.name}" is ${value.dtype} but its data is a ${value.data?.constructor?.name ?? typeof value.data}`,
        { details },
      );
    }
    const need = elementCount(shape);
    if (value.data.length !== need) {
      throw new ModelInputError(
        `model "${model}": input "${info.name}" of shape [${shape.join(', ')}] needs ${need} elements; its data has ${value.data.length}`,
        { details: { ...details, shape, length: value.data.length } },
      );
    }
  }
}

function names(declared: readonly TensorInfo[]): string {
  return declared.map((d) => `"${d.name}" ${d.dtype} ${formatShape(d.shape)}`).join(', ');
}
