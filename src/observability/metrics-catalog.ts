// troupe's own metrics: names, help, labels and buckets in one table (README "Metrics" lists them with their Ray
// Serve counterparts; the dashboard reads these names). Scoped ones are recorded in a replica's thread with only
// their last labels; the main thread adds application and deployment from the replica that reported them.
import type { MetricDef } from './metrics-local.ts';

/** Seconds: 1 ms to 60 s, the latencies of a model server. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
export const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
export const BATCH_WAIT_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 5];

const AD = ['application', 'deployment'] as const;
const ADR = ['application', 'deployment', 'replica'] as const;

const def = (name: string, type: MetricDef['type'], help: string, labelNames: readonly string[], extra: Partial<MetricDef> = {}): MetricDef => ({ name, type, help, labelNames, ...extra });

export const METRICS = {
  httpRequests: def('troupe_http_requests_total', 'counter', 'HTTP requests the proxy answered, end to end (route: the declared route, _unmatched for none)', ['application', 'route', 'method', 'status']),
  httpDuration: def('troupe_http_request_duration_seconds', 'histogram', 'Time from a request\'s arrival at the proxy to the end of its response', ['application', 'route'], { buckets: LATENCY_BUCKETS }),
  replicaRequests: def('troupe_replica_requests_total', 'counter', 'Calls replicas finished, by method and outcome (ok, error, cancelled)', ['method', 'outcome'], { scoped: true }),
  replicaDuration: def('troupe_replica_processing_duration_seconds', 'histogram', 'Time a replica spent running a call (from taking its slot to its result)', ['method'], { scoped: true, buckets: LATENCY_BUCKETS }),
  batchSize: def('troupe_batch_size', 'histogram', 'Calls in each batch a @batch method ran', ['method'], { scoped: true, buckets: BATCH_SIZE_BUCKETS }),
  batchWait: def('troupe_batch_wait_seconds', 'histogram', 'How long the oldest call of a batch waited for the batch to form', ['method'], { scoped: true, buckets: BATCH_WAIT_BUCKETS }),
  deploymentOngoing: def('troupe_deployment_ongoing_requests', 'gauge', 'Calls running on or waiting in the replicas of a deployment (their latest load reports)', AD),
  deploymentQueued: def('troupe_deployment_queued_requests', 'gauge', 'Calls waiting in callers\' routers for a replica of the deployment (maxQueuedRequests applies to them)', AD),
  replicaOngoing: def('troupe_replica_ongoing_requests', 'gauge', 'Calls running on or waiting in one replica (its latest load report)', ADR),
  replicas: def('troupe_replicas', 'gauge', 'Replicas of a deployment by state (PENDING, STARTING, RUNNING, UNHEALTHY, STOPPING)', [...AD, 'state']),
  replicaStarts: def('troupe_replica_starts_total', 'counter', 'Replica starts begun (first starts, restarts, scale-ups, rolling updates)', AD),
  healthFailures: def('troupe_replica_health_check_failures_total', 'counter', 'checkHealth() calls that threw or timed out', AD),
  targetReplicas: def('troupe_autoscaling_target_replicas', 'gauge', 'The replica count a deployment is held at (the autoscaler\'s decision, or numReplicas)', AD),
  storeUsed: def('troupe_object_store_bytes_used', 'gauge', 'Bytes of the shared object store in use', []),
  storeCapacity: def('troupe_object_store_capacity_bytes', 'gauge', 'Size of the shared object store', []),
  storeObjects: def('troupe_object_store_objects', 'gauge', 'Objects in the shared object store', []),
  storeFailedPuts: def('troupe_object_store_failed_puts_total', 'counter', 'Puts the object store refused (full)', []),
  gpuSlotBytes: def('troupe_gpu_slot_bytes', 'gauge', 'Bytes of native memory slots (quotas) a replica holds: on its GPU, or host memory where there is none', ADR),
  gpuDeviceMemory: def('troupe_gpu_device_memory_bytes', 'gauge', 'GPU memory by device: the device\'s total and free, and the pool troupe reserved on it and its part in use (state: total, free, reserved, used)', ['device', 'state']),
  eventLoopLag: def('troupe_event_loop_lag_seconds', 'gauge', 'Event-loop delay of a thread, p99 over its last whole second (thread: main, or the replica)', ['thread']),
  heapUsed: def('troupe_heap_used_bytes', 'gauge', 'V8 heap in use by a thread (thread: main, or the replica)', ['thread']),
} as const satisfies Record<string, MetricDef>;

const byName = new Map<string, MetricDef>(Object.values(METRICS).map(d => [d.name, d]));

/** troupe's own definition of `name`, if it has one. */
export function builtinMetric(name: string): MetricDef | undefined {
  return byName.get(name);
}

/** The labels a metric is shown with: a scoped one's application and deployment come first. */
export function exposedLabels(d: MetricDef): readonly string[] {
  return d.scoped ? [...AD, ...d.labelNames] : d.labelNames;
}
