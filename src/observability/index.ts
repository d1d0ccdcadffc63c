// The face of src/observability/ (layer 0: imports nothing above it; every other part reports into it).
export {
  counter, gauge, histogram, Counter, Gauge, Histogram, metricsEnabled, setMetricsEnabled, setThreadGauge,
  recordReplicaCall, recordBatch, recordHttpRequest, threadMetricsReport, threadMetrics,
  type CallOutcome, type MetricOptions, type HistogramOptions, type ThreadReport,
} from './metrics.ts';
export { metricsHub, MetricsHub, REFRESH_TIMEOUT_MS, type Sample, type SourceLabels } from './metrics-hub.ts';
export { METRICS, builtinMetric, LATENCY_BUCKETS, BATCH_SIZE_BUCKETS, BATCH_WAIT_BUCKETS } from './metrics-catalog.ts';
export { MetricNameClashError, MetricDefinitionError } from './metrics-errors.ts';
export { MAX_SERIES, OVERFLOW_LABEL, type MetricDef, type MetricType } from './metrics-local.ts';
export {
  logger, configureLogging, loggingSettings, checkLevel, captureConsole, releaseConsole, textLine, writeLine, setLogOutput,
  type Logger, type LoggingSettings, type LogOutput,
} from './log.ts';
export { LOG_LEVELS, LOG_FORMATS, type AccessLogEntry, type HttpLogger, type LogLevel, type LogFormat } from './log-types.ts';
export { jsonLinesLogger, textLinesLogger, silentLogger, defaultHttpLogger, httpLogger } from './log-access.ts';
export { accessLineBound, writeAccessLine } from './log-access-line.ts';
export { installReplicaLogging, setLogTransport, type ReplicaLogging, type LogBatch } from './log-replica.ts';
export { receiveLogBatch, recentLogs, logRingStats, keepLine, LINES_PER_REPLICA, MAX_QUERY_LIMIT, type LogLine, type LogQuery } from './log-ring.ts';
export { LoggingOptionError, LogQueryError } from './log-errors.ts';
export {
  TRACEPARENT_HEADER, parseTraceparent, traceCarrier, traceInfo, isCarrier, currentCarrier, setTraceSource,
  carrierTraceId, carrierRequestId, carrierTraceparent, type TraceInfo, type TraceParent,
} from './trace.ts';
export {
  channels, CHANNEL_NAMES, publishReplicaState, splitDeploymentId,
  type RequestStartMessage, type RequestEndMessage, type ReplicaStateMessage, type BatchFlushMessage, type AutoscaleDecisionMessage,
} from './channels.ts';
