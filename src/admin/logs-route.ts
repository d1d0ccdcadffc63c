// GET /api/logs?application=&deployment=&replica=&limit= : the recent log lines of replicas (the main thread keeps
// a bounded ring per replica, src/observability/log-ring.ts), oldest first. The dashboard polls it.
import { LogQueryError, recentLogs } from '../observability/index.ts';
import type { AdminHandler } from './admin-server.ts';

export const LOGS_PATH = '/api/logs';

export function logsHandler(): AdminHandler {
  return req => {
    const q = req.query;
    try {
      const lines = recentLogs({
        application: q.get('application') ?? undefined,
        deployment: q.get('deployment') ?? undefined,
        replica: q.get('replica') ?? undefined,
        limit: q.get('limit') ?? undefined,
      });
      return { body: { lines } };
    } catch (err) {
      if (err instanceof LogQueryError) return { status: 400, body: { error: { code: err.code, message: err.message } } };
      throw err;
    }
  };
}
