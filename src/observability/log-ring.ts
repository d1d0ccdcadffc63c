// The main thread's side of replica logs: each line a replica sends (its actor's control port hands the batch to
// receiveLogBatch) is written out (log.ts's writeLine, in the
// process's format) and kept in a ring of that replica's recent lines, which GET /api/logs reads. Bounded: a
// fixed number of lines per replica, a cap on a kept line's size, and a cap on replicas remembered (the least
// recently heard from goes first). Lines are kept as the JSON text they came as and parsed only when read.
import { LogQueryError } from './log-errors.ts';
import type { LogBatch } from './log-replica.ts';
import { writeLine } from './log.ts';

export const LINES_PER_REPLICA = 200;
export const MAX_REPLICAS_KEPT = 512;
/** A longer line is kept with its message cut (its output is not cut). */
export const MAX_KEPT_LINE = 8 * 1024;
export const MAX_QUERY_LIMIT = 1000;

class Ring {
  readonly lines: string[] = [];
  #next = 0;

  push(line: string): void {
    if (this.lines.length < LINES_PER_REPLICA) this.lines.push(line);
    else this.lines[this.#next] = line;
    this.#next = (this.#next + 1) % LINES_PER_REPLICA;
  }

  /** Oldest first. */
  ordered(): string[] {
    return this.lines.length < LINES_PER_REPLICA ? this.lines.slice() : [...this.lines.slice(this.#next), ...this.lines.slice(0, this.#next)];
  }
}

const rings = new Map<string, Ring>();

/** Keeps one line of a replica (and forgets the least recently heard replica past MAX_REPLICAS_KEPT). */
export function keepLine(replica: string, line: string): void {
  let ring = rings.get(replica);
  if (ring) rings.delete(replica);
  else {
    ring = new Ring();
    if (rings.size >= MAX_REPLICAS_KEPT) rings.delete(rings.keys().next().value!);
  }
  rings.set(replica, ring); // last in the map: the most recently heard
  ring.push(line.length <= MAX_KEPT_LINE ? line : shorten(line));
}

function shorten(line: string): string {
  try {
    const rec = JSON.parse(line);
    if (typeof rec.msg === 'string') rec.msg = rec.msg.slice(0, MAX_KEPT_LINE / 2) + '…';
    const out = JSON.stringify(rec);
    if (out.length <= MAX_KEPT_LINE) return out;
    const { time, level, msg, application, deployment, replica, requestId, traceId } = rec;
    return JSON.stringify({ time, level, msg: typeof msg === 'string' ? msg : '(line too long to keep)', application, deployment, replica, requestId, traceId });
  } catch {
    return JSON.stringify({ level: 'info', msg: line.slice(0, MAX_KEPT_LINE / 2) });
  }
}

/** A replica's batch of lines: written out in the process's format and kept in its ring. */
export function receiveLogBatch(batch: LogBatch): void {
  if (typeof batch?.replica !== 'string' || !Array.isArray(batch.lines)) return;
  for (const line of batch.lines) {
    if (typeof line !== 'string') continue;
    writeLine(line);
    keepLine(batch.replica, line);
  }
}

export interface LogLine {
  time: string;
  level: string;
  msg: string;
  application: string | undefined;
  deployment: string | undefined;
  replica: string;
  requestId: string | undefined;
  traceId: string | undefined;
}

export interface LogQuery {
  application?: string;
  /** The deployment's name, or `<application>/<deployment>`. */
  deployment?: string;
  replica?: string;
  /** Most recent lines to return; default 100, at most MAX_QUERY_LIMIT. */
  limit?: number | string;
}

/** Splits `<application>/<deployment>#<n>`. */
function replicaParts(name: string): { application: string; deployment: string } {
  const slash = name.indexOf('/');
  const hash = name.lastIndexOf('#');
  return { application: slash < 0 ? '' : name.slice(0, slash), deployment: name.slice(slash + 1, hash < 0 ? undefined : hash) };
}

function matches(name: string, q: LogQuery): boolean {
  if (q.replica !== undefined && q.replica !== '' && name !== q.replica && !name.endsWith(`#${q.replica}`)) return false;
  const p = replicaParts(name);
  if (q.application !== undefined && q.application !== '' && p.application !== q.application) return false;
  if (q.deployment !== undefined && q.deployment !== '' && p.deployment !== q.deployment && `${p.application}/${p.deployment}` !== q.deployment) return false;
  return true;
}

function parseLimit(limit: LogQuery['limit']): number {
  if (limit === undefined || limit === '') return 100;
  const n = typeof limit === 'number' ? limit : Number(limit);
  if (!Number.isInteger(n) || n < 1) throw new LogQueryError(`limit must be a positive integer, got ${JSON.stringify(limit)}; ask for at most ${MAX_QUERY_LIMIT} lines`);
  return Math.min(n, MAX_QUERY_LIMIT);
}

/** The most recent kept lines of the replicas the query names, oldest first. */
export function recentLogs(q: LogQuery = {}): LogLine[] {
  const limit = parseLimit(q.limit);
  const out: LogLine[] = [];
  for (const [name, ring] of rings) {
    if (!matches(name, q)) continue;
    const lines = ring.ordered();
    for (const line of lines.slice(-limit)) out.push(toLogLine(name, line));
  }
  out.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return out.slice(-limit);
}

function toLogLine(name: string, line: string): LogLine {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line);
  } catch {
    rec = { msg: line };
  }
  const p = replicaParts(name);
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    time: str(rec.time) ?? '',
    level: str(rec.level) ?? 'info',
    msg: str(rec.msg) ?? '',
    application: str(rec.application) ?? p.application,
    deployment: str(rec.deployment) ?? p.deployment,
    replica: name,
    requestId: str(rec.requestId),
    traceId: str(rec.traceId),
  };
}

/** How many replicas and lines are kept (tests check that memory stays bounded). */
export function logRingStats(): { replicas: number; lines: number } {
  let lines = 0;
  for (const ring of rings.values()) lines += ring.lines.length;
  return { replicas: rings.size, lines };
}
