// The schema of an uploaded file field in a multipart body: validated as an object, shown as a file picker in
// /docs (openapi.ts turns the marker into `type: string, format: binary`).
import type { TUnsafe } from '@sinclair/typebox';
import type { UploadedFile } from './types.ts';

// TypeBox's own marker for Type.Unsafe, written out: importing TypeBox to make one object costs a replica
// ~0.3 s of its start (every replica imports troupe).
const kind = Symbol.for('TypeBox.Kind');

export function fileSchema(description?: string): TUnsafe<UploadedFile> {
  return {
    [kind]: 'Unsafe',
    type: 'object',
    required: ['filename', 'contentType', 'data'],
    'x-troupe-file': true,
    ...(description ? { description } : {}),
  } as unknown as TUnsafe<UploadedFile>;
}
