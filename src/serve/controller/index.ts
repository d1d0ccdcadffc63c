// The controller's face: the serve controller, its adapter interface (for tests and other hosts), and status types.
export { ServeController, type ApplicationInfo, type ApplicationStatus, type ControllerOptions, type RunHooks, type RunOptions, type ServeStatus } from './serve-controller.ts';
export { ThreadReplicaActions, type ReplicaActions, type ReplicaRef, type StartRequest } from './replica-actions.ts';
export type { DeploymentStatus, DeploymentStatusInfo } from './deployment-state.ts';
export type { ReplicaState } from './replica.ts';
export { planReplicas, surgeFor, type PlannedReplica, type ReplicaPlan } from './replica-plan.ts';
export { restartDelayMs } from './backoff.ts';
