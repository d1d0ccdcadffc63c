// A replica thread's logging: its lines carry its application, deployment and replica, console.* goes through
// the logger, its deployment's level applies, and the lines go to the main thread in one message per turn, where
// they are written out and kept in the replica's recent lines (log-ring.ts).
import { captureConsole, setForward, setThreadLogging } from './log.ts';
import type { LogLevel } from './log-types.ts';

/** The BroadcastChannel replica lines travel on (every thread of the process can reach it by name). */
export const LOG_CHANNEL = 'troupe:logs';

/** What a replica posts: its name and the JSON lines of one turn. */
export interface LogBatch {
  replica: string;
  lines: string[];
}

export interface ReplicaLogging {
  application: string;
  deployment: string;
  /** The replica's name, `<application>/<deployment>#<n>`. */
  replica: string;
  level?: LogLevel;
}

/** Lines above this many in one turn are counted and dropped, not queued: a loop of console.log stays bounded. */
const MAX_LINES_PER_TURN = 10_000;

let installed = false;

/** Called once in a replica's thread, before the user's class is built. */
export function installReplicaLogging(r: ReplicaLogging): void {
  if (installed) return;
  installed = true;
  setThreadLogging({ application: r.application, deployment: r.deployment, replica: r.replica }, r.level);
  const channel = new BroadcastChannel(LOG_CHANNEL);
  (channel as unknown as { unref(): void }).unref();
  let lines: string[] = [];
  let dropped = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (dropped > 0) {
      lines.push(JSON.stringify({ level: 'warn', time: new Date().toISOString(), application: r.application, deployment: r.deployment, replica: r.replica, msg: `${dropped} log lines dropped: more than ${MAX_LINES_PER_TURN} in one turn` }) + '\n');
      dropped = 0;
    }
    if (lines.length === 0) return;
    const batch: LogBatch = { replica: r.replica, lines };
    lines = [];
    channel.postMessage(batch);
  };
  setForward(line => {
    if (lines.length >= MAX_LINES_PER_TURN) {
      dropped++;
      return;
    }
    lines.push(line);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
  process.once('exit', flush); // a replica that stops still sends what it logged last
  captureConsole();
}
