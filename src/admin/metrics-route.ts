// GET /metrics on the admin port: Prometheus text of every thread's metrics (src/observability/). A scrape asks
// the running replicas for fresh reports first and answers within REFRESH_TIMEOUT_MS whatever they do.
import { metricsHub, type MetricsHub } from '../observability/index.ts';
import type { AdminHandler } from './admin-server.ts';

export const METRICS_PATH = '/metrics';

export function metricsHandler(hub: MetricsHub = metricsHub): AdminHandler {
  return async () => ({ headers: { 'content-type': hub.contentType }, body: await hub.render() });
}
