// A replica thread's logging: its lines carry its application, deployment and replica, console.* goes through
// the logger, its deployment's level applies, and the lines go to the main thread in one message per turn (on
// the thread's control port, which the actor core hands over with setLogTransport), where they are written out
// and kept in the replica's recent lines (log-ring.ts).
import { captureConsole, setForward, setThreadLogging } from './log.ts';
import type { LogLevel } from './log-types.ts';

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
let transport: ((batch: LogBatch) => void) | undefined;

/** @internal The actor core's worker says how a batch of lines reaches the main thread. */
export function setLogTransport(send: (batch: LogBatch) => void): void {
  transport = send;
}

/** Called once in a replica's thread, before the user's class is built. */
export function installReplicaLogging(r: ReplicaLogging): void {
  if (installed || transport === undefined) return; // not in an actor's thread: lines stay on this thread's output
  installed = true;
  const send = transport;
  setThreadLogging({ application: r.application, deployment: r.deployment, replica: r.replica }, r.level);
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
    send(batch);
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
