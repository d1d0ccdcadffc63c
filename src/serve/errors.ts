import { TroupeError, registerError } from '../errors/index.ts';

export class BackPressureError extends TroupeError {
  constructor(deployment: string, queued: number, limit: number) {
    super(
      'TROUPE_ERR_BACKPRESSURE',
      `deployment ${deployment} is overloaded: ${queued} calls already wait (maxQueuedRequests ${limit}). Retry later, add replicas, or raise maxQueuedRequests.`,
      { details: { deployment, queued, limit } },
    );
  }
}
registerError('BackPressureError', BackPressureError);

export class ReplicaDiedError extends TroupeError {
  constructor(deployment: string, replica: string, cause: unknown) {
    super(
      'TROUPE_ERR_REPLICA_DIED',
      `replica ${replica} of deployment ${deployment} died while running this call; it was not retried because it may have had effects. Retry if the call is safe to repeat.`,
      { cause, details: { deployment, replica } },
    );
  }
}
registerError('ReplicaDiedError', ReplicaDiedError);

export class DeploymentOptionError extends TroupeError {
  constructor(deployment: string, option: string, problem: string) {
    super('TROUPE_ERR_DEPLOYMENT_OPTION', `deployment ${deployment}: option ${option} ${problem}.`, { details: { deployment, option } });
  }
}
registerError('DeploymentOptionError', DeploymentOptionError);

export class NotADeploymentError extends TroupeError {
  constructor(what: string) {
    super('TROUPE_ERR_NOT_A_DEPLOYMENT', `${what} is not a deployment. Decorate the class with @deployment() and pass Cls.bind(...) (an application), not the class itself.`, {
      details: { what },
    });
  }
}
registerError('NotADeploymentError', NotADeploymentError);

export class DeploymentFailedError extends TroupeError {
  constructor(deployment: string, attempts: number, cause: unknown) {
    super(
      'TROUPE_ERR_DEPLOYMENT_FAILED',
      `deployment ${deployment} failed to start a replica after ${attempts} attempts: ${(cause as Error)?.message ?? String(cause)}. Fix the constructor or init() and run the application again.`,
      { cause, details: { deployment, attempts } },
    );
  }
}
registerError('DeploymentFailedError', DeploymentFailedError);

export class DeploymentGoneError extends TroupeError {
  constructor(deployment: string) {
    super('TROUPE_ERR_NO_REPLICA', `deployment ${deployment} has been deleted or shut down, so no replica can take this call. Run the application again.`, {
      details: { deployment },
    });
  }
}
registerError('DeploymentGoneError', DeploymentGoneError);

export class ApplicationNotFoundError extends TroupeError {
  constructor(name: string) {
    super('TROUPE_ERR_APP_NOT_FOUND', `no application is named "${name}". serve.status() lists the running ones.`, { details: { name } });
  }
}
registerError('ApplicationNotFoundError', ApplicationNotFoundError);

export class InsufficientResourcesError extends TroupeError {
  constructor(deployment: string, option: string, asked: number, free: number, total: number, unit: 'GPUs' | 'CPUs' | 'MiB of memory' | 'bytes of slot memory' = 'GPUs') {
    const fix =
      unit === 'GPUs'
        ? total === 0
          ? `this machine has no GPU the native addon can see (see gpuDiagnostic()): set ${option} to 0, run on a machine with a GPU, or set TROUPE_GPU_HOST_SLOTS=1 to run it on host memory slots`
          : `lower ${option}, lower numReplicas, or add a GPU`
        : unit === 'bytes of slot memory'
          ? `no device's slot pool is that large: lower ${option} to at most ${total}`
          : `lower ${option} or numReplicas (maxReplicas), or delete an application to free them`;
    super('TROUPE_ERR_INSUFFICIENT_RESOURCES', `deployment ${deployment}: a replica needs ${option} ${asked} but only ${free} of ${total} ${unit} are free; ${fix}.`, {
      details: { deployment, option, asked, free, total, unit },
    });
  }
}
registerError('InsufficientResourcesError', InsufficientResourcesError);

/** An option of @multiplexed or the multiplexedModelId of a handle call is of the wrong type or out of range. */
export class MultiplexOptionError extends TroupeError {
  constructor(where: string, option: string, problem: string) {
    super('TROUPE_ERR_MULTIPLEX_OPTION', `${where}: ${option} ${problem}.`, { details: { where, option } });
  }
}
registerError('MultiplexOptionError', MultiplexOptionError);

/** A @multiplexed loader was called without a model id: the call carries none. */
export class NoModelIdError extends TroupeError {
  constructor(method: string) {
    super(
      'TROUPE_ERR_NO_MODEL_ID',
      `${method} needs a model id, but got none: call the deployment with handle.options({ multiplexedModelId: 'id' }) or send the x-troupe-model-id header (getMultiplexedModelId() returns '' without one).`,
      { details: { method } },
    );
  }
}
registerError('NoModelIdError', NoModelIdError);

/** An option of serve.run or handle.options() is of the wrong type or unknown. */
export class ServeOptionError extends TroupeError {
  constructor(where: string, problem: string) {
    super('TROUPE_ERR_SERVE_OPTION', `${where}: ${problem}.`, { details: { where } });
  }
}
registerError('ServeOptionError', ServeOptionError);

/** A replica's checkHealth() did not answer within healthCheckTimeoutMs: the replica counts as unhealthy. */
export class HealthCheckTimeoutError extends TroupeError {
  constructor(replica: string, timeoutMs: number) {
    super(
      'TROUPE_ERR_HEALTH_CHECK_TIMEOUT',
      `replica ${replica}: checkHealth() did not answer within healthCheckTimeoutMs (${timeoutMs} ms); make it answer sooner, or raise healthCheckTimeoutMs.`,
      { details: { replica, timeoutMs } },
    );
  }
}
registerError('HealthCheckTimeoutError', HealthCheckTimeoutError);

/** `await request.json()` in a `__call__(request)` on a body that is not JSON: the client's mistake, answered 400. */
export class MalformedRequestBodyError extends TroupeError {
  constructor(reason: string) {
    super('TROUPE_ERR_REQUEST_JSON', `the request body is not JSON: ${reason}; send a JSON body (content-type application/json)`);
  }
}
registerError('MalformedRequestBodyError', MalformedRequestBodyError);
