// Serve's face: deployments, bind() composition, typed handles, the router, the controller.
export { deployment, bind, Application, deploymentOf, defaultsFor, isApplication, type DeploymentDef, type BindArgs } from './deployment.ts';
export { ServeController, ThreadReplicaActions, planReplicas, surgeFor, restartDelayMs, type ApplicationInfo, type ControllerOptions, type RunHooks, type RunOptions, type ServeStatus, type ApplicationStatus, type DeploymentStatus, type DeploymentStatusInfo, type ReplicaState, type ReplicaActions, type ReplicaRef, type StartRequest } from './controller/index.ts';
export { DeploymentResponse, makeDeploymentHandle, callEveryReplica, withSignal, isDeploymentHandle, deploymentAddressOf, type DeploymentHandle, type DeploymentMethod, type HandleOptions } from './handle.ts';
export { routerFor, replicaTopic, MODEL_MATCH_WAIT_MS, type ReplicaSet, type RouteOptions, type CallObserver } from './router.ts';
export { chooseReplica, chooseFallback } from './router-policy.ts';
export { multiplexed, getMultiplexedModelId, multiplexedModelIds, MULTIPLEXED_MODELS_REPORT, type MultiplexedOptions } from './multiplex.ts';
export { resolveOptions, DEFAULT_MAX_ONGOING, DEFAULT_MAX_ONGOING_HTTP, type DeploymentOptions, type ActorOptions, type ResolvedOptions, type AutoscalingConfig, type ResolvedAutoscaling } from './options.ts';
export { defaultAutoscalingPolicy, decideScale, averageOngoing, type AutoscalingPolicy, type AutoscalingContext, type LoadSample, type ScaleState, type ScaleDecision } from './autoscaling-policy.ts';
export * from './errors.ts';
export { batch, configureBatch, batchStats, batchedMethods, batchCapacity, type Batch, type Unbatched, type BatchOptions, type BatchStats } from './batch.ts';
export * from './batch-errors.ts';
export { replicaContext, type ReplicaContext, type ReplicaGpu } from './replica-context.ts';
export type { ServeRequest } from './request.ts';
export { Placement, type Capacity, type Grant, type GpuGrant, type ResourceUsage } from './placement.ts';
import './replica-logging.ts'; // a replica's thread logs as the replica (no-op elsewhere)
