// The OCR application's model code, with no dependency on serve: the integrator's
// app.ts wraps these stages into deployments.
export { decodeImage, resizeImage, defaultDecodeLimits, type RgbImage, type DecodeOptions } from './image.ts';
export {
  preprocessForDetection,
  boxesFromProbabilityMap,
  sortReadingOrder,
  type DetectionInput,
  type DetectionPreOptions,
  type DbOptions,
  type TextBox,
} from './detection.ts';
export { cropQuad, rotate90CounterClockwise, rotate180, resizeBilinear } from './crop.ts';
export { ANGLE_INPUT, preprocessForAngle, preprocessAnglesBatch, postprocessAngles, applyAngles, type AngleResult } from './angle.ts';
export { REC_HEIGHT, preprocessForRecognition, ctcGreedyDecode, loadDictionary, type Recognition, type RecognitionPreOptions } from './recognition.ts';
export { ocrModelPaths, loadDetectionModel, loadAngleModel, loadRecognitionModel, type OcrModelPaths, type OcrModelOptions } from './models.ts';
export {
  detectText,
  cropBoxes,
  classifyAngles,
  uprightCrops,
  recognizeText,
  type DetectOptions,
  type AngleOptions,
  type RecognizeOptions,
} from './stages.ts';
export { OcrPipeline, runOcrInProcess, closeOcrInProcess, type OcrResult, type OcrPipelineOptions } from './pipeline.ts';
export { ImageEmptyError, ImageFormatError, ImageTruncatedError, ImageTooLargeError, OcrModelsNotFoundError } from './errors.ts';
export type { Point, Quad } from './geometry.ts';
