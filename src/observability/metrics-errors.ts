// Errors of the metrics registry: a metric defined twice in conflicting ways, or with a name, label or bucket
// Prometheus does not accept.
import { TroupeError, registerError } from '../errors/index.ts';

/** A metric name is taken by troupe's own metrics or by an earlier definition of another type or labels. */
export class MetricNameClashError extends TroupeError {
  constructor(name: string, why: string) {
    super('TROUPE_ERR_METRIC_NAME_CLASH', `metric ${name} ${why}: choose another name (troupe's own metrics start with troupe_), or define it once with the same type, labels and buckets`, { details: { name } });
  }
}
registerError('MetricNameClashError', MetricNameClashError);

/** A metric's name, help, labels or buckets are not valid Prometheus. */
export class MetricDefinitionError extends TroupeError {
  constructor(message: string) {
    super('TROUPE_ERR_METRIC_DEFINITION', message);
  }
}
registerError('MetricDefinitionError', MetricDefinitionError);
