// What /metrics reads from the controller at scrape time: replicas by state, targets, starts, health-check
// failures, ongoing and queued calls, the object store and the GPU pools. The replicas' own counters arrive
// with their load reports (deployment-state.ts); a scrape first asks every running replica for a fresh one.
import type { ObjectStore } from '../../store/index.ts';
import { METRICS, type Sample } from '../../observability/index.ts';
import { devices, nativeAvailable, poolStats } from '../../native/index.ts';
import { routerQueued } from '../router.ts';
import type { DeploymentState } from './deployment-state.ts';

const STATES = ['PENDING', 'STARTING', 'RUNNING', 'UNHEALTHY', 'STOPPING'] as const;

export function* controllerSamples(deployments: Iterable<DeploymentState>, store: ObjectStore | undefined): Iterable<Sample> {
  const all = [...deployments];
  // Calls waiting for a replica: in this thread's routers (the proxy's) and in those of every replica's thread.
  const queued = routerQueued();
  for (const d of all) d.reportedQueues(queued);
  for (const d of all) {
    const v = d.metricsView();
    const ad = [v.application, v.deployment];
    yield { def: METRICS.targetReplicas, labels: ad, value: v.targetReplicas };
    yield { def: METRICS.replicaStarts, labels: ad, value: v.starts };
    yield { def: METRICS.healthFailures, labels: ad, value: v.healthCheckFailures };
    yield { def: METRICS.deploymentQueued, labels: ad, value: queued[d.id] ?? 0 };
    const byState = new Map<string, number>(STATES.map(s => [s, 0]));
    let ongoing = 0;
    for (const r of v.replicas) {
      byState.set(r.state, (byState.get(r.state) ?? 0) + 1);
      if (r.state !== 'RUNNING') continue;
      ongoing += r.ongoing;
      yield { def: METRICS.replicaOngoing, labels: [...ad, r.name], value: r.ongoing };
    }
    yield { def: METRICS.deploymentOngoing, labels: ad, value: ongoing };
    for (const [state, n] of byState) yield { def: METRICS.replicas, labels: [...ad, state], value: n };
  }
  if (store) {
    const s = store.stats();
    yield { def: METRICS.storeUsed, labels: [], value: s.used };
    yield { def: METRICS.storeCapacity, labels: [], value: s.capacity };
    yield { def: METRICS.storeObjects, labels: [], value: s.objects };
    yield { def: METRICS.storeFailedPuts, labels: [], value: s.failedPuts };
  }
  // The controller has already asked the addon for devices() at start; without it there is nothing to read.
  if (nativeAvailable()) {
    for (const d of devices()) {
      yield { def: METRICS.gpuDeviceMemory, labels: [String(d.index), 'total'], value: d.totalMemory };
      yield { def: METRICS.gpuDeviceMemory, labels: [String(d.index), 'free'], value: d.freeMemory };
    }
    for (const p of poolStats()) {
      if (p.device === 'host') continue;
      yield { def: METRICS.gpuDeviceMemory, labels: [String(p.device), 'reserved'], value: p.bytes };
      yield { def: METRICS.gpuDeviceMemory, labels: [String(p.device), 'used'], value: p.used };
    }
  }
}
