// The model repository's errors: a folder or config.yaml that cannot be served (thrown when the application
// is built), and a v2 request the protocol answers with 400 or 404 (never thrown past the ingress).
import { TroupeError, registerError } from '../errors/index.ts';

/** The repository folder, or a model's config.yaml in it, cannot be served as it is. */
export class ModelRepositoryError extends TroupeError {
  constructor(message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super('TROUPE_ERR_MODEL_REPOSITORY', message, options);
  }
}
registerError('ModelRepositoryError', ModelRepositoryError);

/** A v2 request that cannot be served: answered as `{ "error": message }` with `status` (400 or 404). */
export class V2RequestError extends TroupeError {
  readonly status: 400 | 404;

  constructor(status: 400 | 404, message: string, details: Record<string, unknown> = {}) {
    super('TROUPE_ERR_V2_REQUEST', message, { details: { ...details, status } });
    this.status = status;
  }
}
registerError('V2RequestError', V2RequestError);
