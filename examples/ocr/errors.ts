// Errors for the OCR application's inputs. `details.status` (and `details.httpStatus`) say which HTTP
// status the ingress should answer with: 400 for a request that is not a usable
// image, 413 for one that is too large. Both survive crossing threads.
import { TroupeError, registerError } from 'troupe';

type Options = { cause?: unknown; details?: Record<string, unknown> };

/** The request body had no bytes. */
export class ImageEmptyError extends TroupeError {
  constructor(options: Options = {}) {
    super('TROUPE_ERR_IMAGE_EMPTY', 'the request body is empty; send the image bytes (PNG, JPEG, WebP, GIF, TIFF or AVIF) as the body', {
      ...options,
      details: { status: 400, httpStatus: 400, ...options.details },
    });
  }
}

/** The bytes are not an image format the decoder knows. */
export class ImageFormatError extends TroupeError {
  constructor(message: string, options: Options = {}) {
    super('TROUPE_ERR_IMAGE_FORMAT', message, { ...options, details: { status: 400, httpStatus: 400, ...options.details } });
  }
}

/** The image's header was readable but its data ends early or is damaged. */
export class ImageTruncatedError extends TroupeError {
  constructor(message: string, options: Options = {}) {
    super('TROUPE_ERR_IMAGE_TRUNCATED', message, { ...options, details: { status: 400, httpStatus: 400, ...options.details } });
  }
}

/** The image has more pixels (or bytes) than the configured limit. */
export class ImageTooLargeError extends TroupeError {
  constructor(message: string, options: Options = {}) {
    super('TROUPE_ERR_IMAGE_TOO_LARGE', message, { ...options, details: { status: 413, httpStatus: 413, ...options.details } });
  }
}

/** The OCR model files could not be found. */
export class OcrModelsNotFoundError extends TroupeError {
  constructor(message: string, options: Options = {}) {
    super('TROUPE_ERR_OCR_MODELS_NOT_FOUND', message, options);
  }
}

registerError('ImageEmptyError', ImageEmptyError);
registerError('ImageFormatError', ImageFormatError);
registerError('ImageTruncatedError', ImageTruncatedError);
registerError('ImageTooLargeError', ImageTooLargeError);
registerError('OcrModelsNotFoundError', OcrModelsNotFoundError);
