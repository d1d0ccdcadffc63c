// The schema of an uploaded file field in a multipart body: validated as an object, shown as a file picker in
// /docs (openapi.ts turns the marker into `type: string, format: binary`).
import { Type, type TUnsafe } from '@sinclair/typebox';
import type { UploadedFile } from './types.ts';

export function fileSchema(description?: string): TUnsafe<UploadedFile> {
  return Type.Unsafe<UploadedFile>({
    type: 'object',
    required: ['filename', 'contentType', 'data'],
    'x-troupe-file': true,
    ...(description ? { description } : {}),
  });
}
