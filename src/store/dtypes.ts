// What the store adds to troupe's one dtype list (src/native/tensor.ts): the code of each dtype in shared memory,
// and checks that throw the store's own error.
import { ARRAY_OF, DTYPES, isDtype, type Dtype, type TypedArrayClass } from '../native/tensor.ts';
import { InvalidTensorError } from './errors.ts';

export { DTYPES, isDtype, dtypeOfArray, type Dtype, type TypedArray } from '../native/tensor.ts';

interface DtypeInfo {
  readonly code: number;
  readonly ctor: TypedArrayClass;
  readonly bytes: number;
}

// Codes are stored in the object table: never renumber them.
const CODES: Record<Dtype, number> = {
  float32: 1, float64: 2, int8: 3, uint8: 4, int16: 5, uint16: 6, int32: 7, uint32: 8, int64: 9, uint64: 10, bool: 11, float16: 12,
};

const table = Object.fromEntries(
  DTYPES.map((d) => [d, { code: CODES[d], ctor: ARRAY_OF[d] as TypedArrayClass, bytes: ARRAY_OF[d].BYTES_PER_ELEMENT }]),
) as Record<Dtype, DtypeInfo>;

const byCode: Dtype[] = [];
for (const d of DTYPES) byCode[CODES[d]] = d;

export function dtypeInfo(dtype: Dtype): DtypeInfo {
  const info = isDtype(dtype) ? table[dtype] : undefined;
  if (!info) throw new InvalidTensorError(`unknown dtype ${JSON.stringify(dtype)}: use one of ${DTYPES.join(', ')}`, { dtype });
  return info;
}

export function dtypeFromCode(code: number): Dtype | undefined {
  return byCode[code];
}

/** Number of elements a shape holds; throws on negative, fractional or non-finite dimensions. */
export function shapeSize(shape: readonly number[]): number {
  if (!Array.isArray(shape)) throw new InvalidTensorError('shape must be an array of non-negative integers', { shape });
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new InvalidTensorError(`shape ${JSON.stringify(shape)} has a bad dimension ${String(d)}: dimensions are non-negative integers`, { shape });
    }
    n *= d;
  }
  return n;
}
