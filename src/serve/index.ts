// Serve's face: deployments, bind() composition, typed handles, the router, the controller.
export { deployment, bind, Application, deploymentOf, isApplication, type DeploymentDef, type BindArgs } from './deployment.ts';
export { ServeController, type ApplicationInfo, type RunHooks, type RunOptions, type ServeStatus, type ApplicationStatus, type DeploymentStatus, type ReplicaState } from './controller.ts';
export { DeploymentResponse, makeDeploymentHandle, withSignal, isDeploymentHandle, deploymentAddressOf, type DeploymentHandle, type DeploymentMethod } from './handle.ts';
export { routerFor, replicaTopic, type ReplicaSet } from './router.ts';
export { chooseReplica } from './router-policy.ts';
export { resolveOptions, type DeploymentOptions, type ActorOptions, type ResolvedOptions } from './options.ts';
export * from './errors.ts';
export { batch, configureBatch, batchStats, batchedMethods, type Batch, type Unbatched, type BatchOptions, type BatchStats } from './batch.ts';
export * from './batch-errors.ts';
export { replicaContext, type ReplicaContext } from './replica-context.ts';
export { Placement, type Capacity, type Grant, type GpuGrant } from './placement.ts';
