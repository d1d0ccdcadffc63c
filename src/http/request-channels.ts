// Publishes the proxy's request start and end on troupe's diagnostics channels (src/observability/channels.ts),
// only when someone subscribed: an unwatched proxy pays two property reads a request.
import { carrierTraceId, carrierTraceparent, channels, type RequestEndMessage, type RequestStartMessage } from '../observability/index.ts';
import type { Exchange } from './exchange.ts';

export function requestChannelsWatched(): boolean {
  return channels.requestStart.hasSubscribers || channels.requestEnd.hasSubscribers;
}

function startMessage(ex: Exchange): RequestStartMessage {
  const trace = ex.trace ?? '';
  return { requestId: ex.requestId, traceId: carrierTraceId(trace), traceparent: carrierTraceparent(trace), method: ex.method, path: ex.path };
}

export function publishRequestStart(ex: Exchange): void {
  if (channels.requestStart.hasSubscribers) channels.requestStart.publish(startMessage(ex));
}

export function publishRequestEnd(ex: Exchange): void {
  if (!channels.requestEnd.hasSubscribers) return;
  const message: RequestEndMessage = {
    ...startMessage(ex), application: ex.app, deployment: ex.deployment, replica: ex.replica, status: ex.status,
    latencyMs: Math.round((performance.now() - ex.start) * 1000) / 1000,
  };
  channels.requestEnd.publish(message);
}
