// In a replica's thread, troupe's module loads before the user's class is built (the class imports it): that is
// when the thread's logging becomes the replica's (its fields on every line, console captured, its deployment's
// level, lines to the main thread). Anywhere else this does nothing.
import { installReplicaLogging, splitDeploymentId } from '../observability/index.ts';
import { replicaContext } from './replica-context.ts';

const context = replicaContext();
if (context !== undefined) {
  const { application, deployment } = splitDeploymentId(context.deployment);
  installReplicaLogging({ application, deployment, replica: context.replica, level: context.logLevel });
}
