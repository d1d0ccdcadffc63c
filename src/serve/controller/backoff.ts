// Restart back-off: a replica that keeps failing to start or keeps dying is retried after a delay that doubles
// with each consecutive failure, so a crash loop shows in status() instead of spinning a core.

export const BACKOFF_BASE_MS = 250;
export const BACKOFF_MAX_MS = 30_000;

/** Delay before the next start after `failures` consecutive failures (0: none). */
export function restartDelayMs(failures: number, baseMs = BACKOFF_BASE_MS, maxMs = BACKOFF_MAX_MS): number {
  if (failures <= 0) return 0;
  return Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
}
