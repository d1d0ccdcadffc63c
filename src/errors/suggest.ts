// "Did you mean": the closest valid name for a mistyped one, or for Ray Serve's snake_case spelling of it. Every
// error that rejects an unknown name (deployment options, config fields, CLI flags) asks here.

/** Ray Serve's names whose camelCase form is not simply the same letters. */
const rayNames: Record<string, string> = {
  ray_actor_options: 'actorOptions',
  http_options: 'http',
  logging_config: 'logging',
  max_concurrent_queries: 'maxOngoingRequests',
  max_queued_requests: 'maxQueuedRequests',
  graceful_shutdown_timeout_s: 'gracefulShutdownTimeoutMs',
  health_check_period_s: 'healthCheckPeriodMs',
  health_check_timeout_s: 'healthCheckTimeoutMs',
  upscale_delay_s: 'upscaleDelayMs',
  downscale_delay_s: 'downscaleDelayMs',
  target_num_ongoing_requests_per_replica: 'targetOngoingRequests',
  target_ongoing_requests: 'targetOngoingRequests',
  request_timeout_s: 'requestTimeoutMs',
  dashboard: 'admin',
};

/** The candidate closest to `name`, or undefined when none is close enough to be a likely typo. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  const alias = rayNames[name];
  if (alias && candidates.includes(alias)) return alias;
  // Compared without case, '_' or '-', so num_replicas finds numReplicas; a trailing 's' → 'ms' is one edit.
  const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, '');
  const k = norm(name);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const c = norm(candidate);
    const d = k.length >= 4 && (c.startsWith(k) || k.startsWith(c)) ? 0.5 : editDistance(k, c);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(k.length / 3)) ? best : undefined;
}

/** Levenshtein distance, two rows. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
