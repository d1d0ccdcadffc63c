// Messages between the scenario (the load generator's process) and server.ts (serve and the deployment under
// test, one process per variant). Times are epoch milliseconds with fractions (performance.timeOrigin +
// performance.now()), so both processes read them on one clock.

/** What server.ts is asked to deploy: argv[2], as JSON. */
export interface ServerConfig {
  /** Iterations of CPU work per request (work.ts). */
  iterations: number;
  /** Deployment options on top of busy-app.ts's: numReplicas, or autoscalingConfig. */
  options: Record<string, unknown>;
  sampleEveryMs: number;
}

export interface DeploymentSnapshot {
  status: string;
  message: string;
  targetReplicas: number;
  replicas: Array<{ name: string; state: string }>;
  /** Whatever else serve.status() reports for the deployment (the autoscaler may add fields). */
  [more: string]: unknown;
}

export type ServerMessage =
  | { type: 'ready'; port: number; at: number }
  /** serve.start or serve.run threw (an option the controller does not know yet, say). */
  | { type: 'failed'; stage: 'start' | 'run'; code?: string; message: string }
  | {
      type: 'sample';
      at: number;
      /** CPU time of the whole server process (every thread) since the previous sample, ms. */
      cpuMs: number;
      deployment: DeploymentSnapshot | null;
      /** Successful replies through the proxy so far by replica (the access log's replica name)... */
      served: Record<string, number>;
      /** ...and the replies with a status of 400 or more, or from no replica (a full queue's 503). */
      serverErrors: number;
    }
  /** The proxy's first successful reply from this replica. */
  | { type: 'first-served'; replica: string; at: number }
  | { type: 'redeployed'; version: string; startedAt: number; at: number; error?: string };

export type ControlMessage = { type: 'redeploy'; version: string } | { type: 'stop' };

export const APP_NAME = 'autoscale';

export const now = (): number => performance.timeOrigin + performance.now();
